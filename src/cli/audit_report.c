/* `ronda audit` for people: every finding in plain words (which dialogue or follow-up, what
 * is wrong, what it means, what to do next) in Bahasa Indonesia and English, findings of one
 * class grouped with an explanation of the class, forks side by side, and the HTML page an
 * auditor hands on (docs/audit.md, "The report").
 *
 * The words are built once, into the report's JSON ("plain" of each finding, "classes"), and
 * the terminal, the JSON and the page all show those: one text, three views of it.
 *
 * Everything shown comes from a ledger under audit, so from an insider who may have written
 * into it: every string is escaped on the page, which holds no link and loads nothing, and
 * its one inline script only switches the language. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/audit_report.h"
#include "ronda/ronda.h"
#include "util/util.h"

/* ------------------------------------------------------------------ small helpers */

/* A growing string; on out of memory it stays what it was (a report with a shorter line). */
typedef struct sb {
    char *p;
    size_t n, cap;
} sb;

static void sbf(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sbf(sb *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if (b->n + (size_t)k + 1 > b->cap) {
        size_t cap = (b->n + (size_t)k + 1) * 2;
        char *q = realloc(b->p, cap);
        if (!q) return;
        b->p = q;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

/* The text built, as a new JSON string (consumes b). */
static json_t *sbj(sb *b) {
    json_t *s = json_string(b->p ? b->p : "");
    free(b->p);
    memset(b, 0, sizeof *b);
    return s;
}

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static const char *js(json_t *o, const char *k) { return jstr(o, k) ? jstr(o, k) : ""; }
static long long jint(json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

static const char *const months[2][12] = {
    {"Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"},
    {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}};

/* "3 Mei 2025" or, with the time, "3 Mei 2025 19:30 WIB": as the dashboard shows times. */
static void fmt_ms(int64_t ms, const audit_zone *z, int en, int with_time, char *out, size_t len) {
    char t[32];
    time_format(ms, z->offset_min, t); /* YYYY-MM-DDTHH:MM:SS+hh:mm */
    int m = (t[5] - '0') * 10 + (t[6] - '0');
    if (m < 1 || m > 12) m = 1;
    int d = (t[8] - '0') * 10 + (t[9] - '0');
    if (with_time)
        snprintf(out, len, "%d %s %.4s %.5s %s", d, months[en][m - 1], t, t + 11, z->name);
    else
        snprintf(out, len, "%d %s %.4s", d, months[en][m - 1], t);
}

/* A v1 time string (a dialogue's "when") at the report's zone; "" when it does not parse. */
static void fmt_v1(const char *v1, const audit_zone *z, int en, int with_time, char *out, size_t len) {
    int64_t ms;
    if (!v1 || !time_parse(v1, strlen(v1), &ms)) {
        snprintf(out, len, "%s", v1 ? v1 : "");
        return;
    }
    fmt_ms(ms, z, en, with_time, out, len);
}

static const char *status_word(const char *st, int en) {
    static const char *const w[][3] = {{"open", "belum ditindaklanjuti", "open"},
                                       {"in_progress", "dalam proses", "in progress"},
                                       {"referred", "dirujuk", "referred"},
                                       {"resolved", "selesai", "resolved"}};
    for (size_t i = 0; st && i < sizeof w / sizeof w[0]; i++)
        if (strcmp(st, w[i][0]) == 0) return w[i][1 + en];
    return st ? st : "";
}

static const char *kind_word(const char *kind, int en) {
    static const char *const w[][3] = {{"dialogue", "dialog", "dialogue"},
                                       {"resolution", "tindak lanjut", "follow-up"},
                                       {"amend", "koreksi", "correction"},
                                       {"checkpoint", "checkpoint", "checkpoint"},
                                       {"member", "catatan keanggotaan", "membership record"},
                                       {"revoke", "pencabutan", "revocation"},
                                       {"cosign", "tanda tangan saksi", "cosignature"}};
    for (size_t i = 0; kind && i < sizeof w / sizeof w[0]; i++)
        if (strcmp(kind, w[i][0]) == 0) return w[i][1 + en];
    return kind ? kind : (en ? "record" : "catatan");
}

/* `"Title" (Polsek X, 3 Mei 2025)`, or "" for no dialogue. */
static void dialogue_phrase(sb *b, json_t *d, const audit_zone *z, int en) {
    if (!json_is_object(d)) return;
    char date[64];
    fmt_v1(jstr(d, "when"), z, en, 0, date, sizeof date);
    sbf(b, "\"%s\" (Polsek %s, Polres %s, %s)", js(d, "title"), js(d, "polsek"), js(d, "polres"), date);
}

/* ------------------------------------------------------------------ the classes */

typedef struct cls {
    ronda_finding_kind kind; /* 0: the findings of no class below */
    const char *title[2], *explain[2];
} cls;

/* Report order: what changes the figures HQ sees first, then what breaks the chains, the
 * checkpoints and the store. */
static const cls classes[] = {
    {RONDA_FINDING_VIEW,
     {"Tampilan berbeda dari catatan", "Views differ from the records"},
     {"Dasbor dan laporan membaca tabel turunan (tampilan) yang dibangun dari catatan bertanda tangan. Di sini "
      "tampilan itu tidak lagi sama dengan catatannya: angka dan teks yang dilihat HQ salah.",
      "The dashboard and reports read derived tables (views) built from the signed records. Here those views no "
      "longer match the records: figures and text HQ sees are wrong."}},
    {RONDA_FINDING_RECORD,
     {"Catatan diubah atau rusak", "Records altered or damaged"},
     {"Setiap catatan ditandatangani penulisnya. Catatan di bawah tidak lagi cocok dengan tanda tangannya, atau "
      "kolomnya berbeda dari yang ditandatangani: seseorang mengubahnya setelah ditandatangani, atau berkasnya rusak.",
      "Every record is signed by its author. The records below no longer match their signature, or their columns "
      "differ from what was signed: someone changed them after signing, or the file is damaged."}},
    {RONDA_FINDING_CHAIN,
     {"Catatan hilang dari rantai", "Records missing from a chain"},
     {"Catatan setiap node bernomor urut (seq 1, 2, 3, ...) dan masing-masing menyebut id catatan sebelumnya. "
      "Celah berarti ada catatan yang dihapus atau tidak pernah diterima.",
      "Each node's records are numbered (seq 1, 2, 3, ...) and each names the id of the one before. A gap means "
      "records were deleted or never arrived."}},
    {RONDA_FINDING_WITHHELD,
     {"Catatan yang pernah dijamin HQ tidak ada", "Records an HQ signed for are missing"},
     {"Checkpoint adalah tanda tangan HQ atas semua catatan yang dipegangnya. Buku besar ini tidak lagi memuat "
      "catatan yang dijamin oleh checkpoint: catatan hilang atau ditahan.",
      "A checkpoint is an HQ's signature over every record it held. This ledger no longer holds records a "
      "checkpoint vouched for: they were lost or withheld."}},
    {RONDA_FINDING_FORK,
     {"Dua versi sejarah (fork)", "Two histories (fork)"},
     {"Kunci satu node menandatangani dua catatan berbeda untuk satu tempat (seq yang sama) di rantainya. Biasanya "
      "terjadi setelah node dipulihkan dari cadangan lama; bisa juga kuncinya dicuri.",
      "One node's key signed two different records for one place (the same seq) in its chain. Usually this follows "
      "a restore from an old backup; it can also mean a stolen key."}},
    {RONDA_FINDING_REFERENCE,
     {"Rujukan ke catatan yang tidak ada", "References to records not held"},
     {"Koreksi dan tindak lanjut menyebut catatan yang mereka koreksi atau tindak lanjuti. Catatan yang disebut "
      "tidak ada di buku besar ini, atau bukan jenis yang benar.",
      "Corrections and follow-ups name the record they correct or follow up. The record named is not in this "
      "ledger, or is not of the right kind."}},
    {RONDA_FINDING_MEMBERSHIP,
     {"Ditulis oleh yang tidak berhak", "Written by someone not entitled"},
     {"Hanya anggota yang diterima Polda, dengan peran yang sesuai, boleh menulis catatan.",
      "Only members admitted by the Polda, in a role that may write the kind, may write records."}},
    {RONDA_FINDING_PLACE,
     {"Dialog atas nama wilayah lain", "Dialogues filed for another place"},
     {"Polsek hanya mengajukan dialog untuk Polres dan Polsek-nya sendiri, HQ untuk Polres-nya.",
      "A Polsek files dialogues only for its own Polres and Polsek, an HQ only for its own Polres."}},
    {RONDA_FINDING_CHECKPOINT,
     {"Checkpoint tidak utuh", "Checkpoints incomplete or inconsistent"},
     {"Checkpoint yang bagiannya hilang, atau yang digest atau jumlah catatannya bertentangan dengan isinya sendiri.",
      "A checkpoint with a part missing, or whose digest or record count contradicts its own content."}},
    {RONDA_FINDING_FORK_EVIDENCE,
     {"Bukti fork tidak sah", "Fork evidence not what it claims"},
     {"Bukti fork yang tersimpan tidak cocok dengan catatan yang seharusnya ia bantah.",
      "Stored fork evidence does not match the record it claims to contradict."}},
    {RONDA_FINDING_FRONTIER,
     {"Tabel frontier salah", "Frontier table wrong"},
     {"Tabel yang mencatat catatan terakhir setiap node tidak sesuai dengan catatannya.",
      "The table of each node's last record does not match the records."}},
    {RONDA_FINDING_STORE,
     {"Perlindungan basis data dilepas", "Database protection removed"},
     {"Trigger yang melarang perubahan dan penghapusan catatan telah dihapus dari basis data.",
      "The triggers that forbid changing or deleting records were removed from the database."}},
    {RONDA_FINDING_WITNESS,
     {"Tanda tangan saksi tidak sah", "Cosignatures that do not hold"},
     {"HQ lain menandatangani checkpoint sebagai saksi. Tanda tangan saksi ini tidak sah, atau menyebut checkpoint "
      "yang tidak ada lagi di buku besar ini: checkpoint itu dan catatan yang dijaminnya dihapus.",
      "Other HQs cosign checkpoints as witnesses. This cosignature does not verify, or names a checkpoint this "
      "ledger no longer holds: that checkpoint and records it vouched for were removed."}},
    {RONDA_FINDING_TRUNCATED,
     {"Buku besar dipotong (menurut catatan checkpoint)", "Ledger truncated (by a kept note)"},
     {"Catatan checkpoint yang disimpan auditor di luar buku besar menyebut checkpoint atau catatan yang tidak ada "
      "lagi di sini: catatan terbaru dihapus bersama checkpoint yang menyebutnya.",
      "A checkpoint note the auditor kept outside the ledger names a checkpoint or records no longer here: the "
      "newest records were removed together with the checkpoints naming them."}},
    {RONDA_FINDING_REWRITTEN,
     {"Sejarah ditulis ulang (menurut catatan checkpoint)", "History rewritten (by a kept note)"},
     {"Di tempat checkpoint yang disebut catatan auditor, buku besar ini memuat catatan lain, atau ukuran dan akar "
      "lain: sejarah penulisnya ditulis ulang.",
      "Where the auditor's note names a checkpoint, this ledger holds another record, or another size or root: "
      "the writer's history was rewritten."}},
    {RONDA_FINDING_NOTE,
     {"Catatan checkpoint tidak sah", "Checkpoint note not valid"},
     {"Catatan checkpoint yang diberikan tidak bisa dibaca, atau tanda tangannya tidak sah menurut daftar anggota "
      "buku besar ini; ia tidak membuktikan apa-apa.",
      "The checkpoint note given cannot be read, or its signatures do not hold by this ledger's roster; it proves "
      "nothing."}},
    {RONDA_FINDING_BUNDLE,
     {"Bundel ditolak", "Bundle refused"},
     {"Bundel ekspor tidak bisa dibaca seluruhnya, atau digest di kepalanya tidak sesuai isinya.",
      "The export bundle could not be read whole, or its header's digest does not match its records."}},
};
static const cls other_class = {0,
                                {"Temuan lain", "Other findings"},
                                {"Temuan yang tidak termasuk kelas di atas; lihat docs/audit.md.",
                                 "Findings of no class above; see docs/audit.md."}};

static const cls *class_of(ronda_finding_kind kind) {
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (classes[i].kind == kind) return &classes[i];
    return &other_class;
}

static const char *class_name(const cls *k) { return k->kind ? ronda_finding_kind_name(k->kind) : "other"; }

/* How many findings of the report are of class k (the other class: those of no class). */
static uint64_t class_count(const ronda_audit_report *r, const cls *k) {
    if (k->kind) return r->by_kind[k->kind];
    uint64_t n = 0;
    for (size_t i = 0; i < r->nfindings; i++) n += class_of(r->findings[i].f.kind) == &other_class;
    return n;
}

json_t *audit_classes(const ronda_audit_report *r) {
    json_t *out = json_array();
    size_t n = sizeof classes / sizeof classes[0];
    for (size_t c = 0; c <= n; c++) {
        const cls *k = c < n ? &classes[c] : &other_class;
        uint64_t count = class_count(r, k);
        if (!count) continue;
        json_t *o = json_pack("{s:s, s:I, s:{s:s, s:s}, s:{s:s, s:s}}", "class", class_name(k), "count",
                              (json_int_t)count, "title", "id", k->title[0], "en", k->title[1], "explanation", "id",
                              k->explain[0], "en", k->explain[1]);
        json_array_append_new(out, o);
    }
    return out;
}

/* ------------------------------------------------------------------ one finding */

/* The record a finding is about, as a subject: "Tindak lanjut (topik 0, selesai) dari dialog
 * ..." / "A follow-up (topic 0, resolved) of dialogue ...". */
static void subject(sb *b, json_t *f, ronda_finding_kind kind_f, const audit_zone *z, int en) {
    json_t *cx = json_object_get(f, "context"), *r = json_object_get(cx, "record"),
           *d = json_object_get(cx, "dialogue");
    json_t *au = json_object_get(cx, "author");
    const char *kind = jstr(r, "kind");
    const char *who = jstr(au, "author_name") ? jstr(au, "author_name") : jstr(f, "author_name");
    json_t *fk = json_object_get(cx, "fork");
    if (json_is_object(fk)) {
        json_t *v0 = json_array_get(json_object_get(fk, "versions"), 0),
               *v1 = json_array_get(json_object_get(fk, "versions"), 1);
        sbf(b, en ? "Two versions of seq %lld in the chain of %s: %s" : "Dua versi seq %lld di rantai %s: %s",
            jint(fk, "seq"), jstr(fk, "author_name") ? jstr(fk, "author_name") : "?", kind_word(jstr(v0, "kind"), en));
        json_t *b0 = json_object_get(v0, "body"), *b1 = json_object_get(v1, "body");
        if (jstr(b0, "title") && jstr(b1, "title"))
            sbf(b, en ? " \"%s\" and \"%s\"" : " \"%s\" dan \"%s\"", jstr(b0, "title"), jstr(b1, "title"));
        if (json_is_object(json_object_get(fk, "dialogue")) && !jstr(b0, "title")) {
            sbf(b, "%s", en ? " of dialogue " : " dari dialog ");
            dialogue_phrase(b, json_object_get(fk, "dialogue"), z, en);
        }
        return;
    }
    json_t *m0 = json_array_get(json_object_get(cx, "missing"), 0);
    if (m0 && (kind_f == RONDA_FINDING_CHAIN || kind_f == RONDA_FINDING_WITHHELD)) {
        /* about what is gone, not the record after it */
        const char *mk = jstr(m0, "kind");
        json_t *md = json_object_get(m0, "dialogue");
        long long q = jint(m0, "seq");
        if (mk && strcmp(mk, "resolution") == 0 && json_is_object(md)) {
            sbf(b,
                en ? "A missing follow-up (seq %lld) of dialogue "
                   : "Tindak lanjut yang hilang (seq %lld) dari "
                     "dialog ",
                q);
            dialogue_phrase(b, md, z, en);
        } else if (mk && strcmp(mk, "dialogue") == 0 && json_is_object(md)) {
            sbf(b, en ? "A missing dialogue (seq %lld) " : "Dialog yang hilang (seq %lld) ", q);
            dialogue_phrase(b, md, z, en);
        } else if (mk && strcmp(mk, "amend") == 0 && json_is_object(md)) {
            sbf(b, en ? "A missing correction (seq %lld) of dialogue " : "Koreksi yang hilang (seq %lld) atas dialog ",
                q);
            dialogue_phrase(b, md, z, en);
        } else {
            sbf(b, "%s", en ? "Records missing" : "Catatan yang hilang");
        }
        if (who) sbf(b, en ? " — from the chain of %s" : " — dari rantai %s", who);
        return;
    }
    if (kind && strcmp(kind, "resolution") == 0) {
        sbf(b, en ? "A follow-up (topic %lld, %s) of dialogue " : "Tindak lanjut (topik %lld, %s) dari dialog ",
            jint(r, "topic"), status_word(jstr(r, "status"), en));
        if (json_is_object(d))
            dialogue_phrase(b, d, z, en);
        else
            sbf(b, "%s", en ? "(dialogue not known here)" : "(dialog tidak diketahui di sini)");
    } else if (kind && strcmp(kind, "dialogue") == 0 && json_is_object(d)) {
        sbf(b, "%s ", en ? "Dialogue" : "Dialog");
        dialogue_phrase(b, d, z, en);
    } else if (kind && strcmp(kind, "amend") == 0 && json_is_object(d)) {
        sbf(b, "%s ", en ? "A correction of dialogue" : "Koreksi atas dialog");
        dialogue_phrase(b, d, z, en);
    } else if (json_is_object(d)) {
        sbf(b, "%s ", en ? "Dialogue" : "Dialog");
        dialogue_phrase(b, d, z, en);
    } else if (kind) {
        const char *kw = kind_word(kind, en);
        sbf(b, "%c%s", kw[0] >= 'a' && kw[0] <= 'z' ? kw[0] - 'a' + 'A' : kw[0], kw + 1);
        if (who) sbf(b, en ? " by %s" : " oleh %s", who);
    } else if (who) {
        sbf(b, en ? "The chain of %s" : "Rantai %s", who);
    } else {
        sbf(b, "%s", en ? "The whole ledger" : "Seluruh buku besar");
    }
    if (jint(f, "seq") > 0 && who) sbf(b, en ? " — %s, seq %lld" : " — %s, seq %lld", who, jint(f, "seq"));
}

/* One missing seq in words: which record it was, as far as anything here still knows. */
static json_t *missing_line(json_t *m, const audit_zone *z, int en) {
    sb b = {0};
    sbf(&b, en ? "seq %lld is missing" : "seq %lld hilang", jint(m, "seq"));
    const char *id = jstr(m, "id");
    json_t *by = json_object_get(m, "named_by");
    const char *src = json_string_value(json_array_get(by, 0));
    if (id && src && strcmp(src, "prev of the next record") == 0)
        sbf(&b, en ? ": the next record's prev names id %.16s" : ": prev catatan berikutnya menyebut id %.16s", id);
    else if (id && src && strcmp(src, "checkpoint") == 0)
        sbf(&b, en ? ": a checkpoint names id %.16s" : ": sebuah checkpoint menyebut id %.16s", id);
    else if (id)
        sbf(&b, en ? ": id %.16s" : ": id %.16s", id);
    else
        sbf(&b, "%s", en ? ": nothing held names its id any more" : ": tidak ada lagi yang menyebut id-nya");
    const char *kind = jstr(m, "kind");
    json_t *d = json_object_get(m, "dialogue");
    if (jstr(m, "from") && strcmp(jstr(m, "from"), "views") == 0 && kind) {
        if (strcmp(kind, "resolution") == 0) {
            sbf(&b,
                en ? "; the views still list it as a follow-up (topic %lld, %s: \"%s\") of dialogue "
                   : "; tampilan masih mencatatnya sebagai tindak lanjut (topik %lld, %s: \"%s\") dari dialog ",
                jint(m, "topic"), status_word(jstr(m, "status"), en), js(m, "action"));
            if (json_is_object(d))
                dialogue_phrase(&b, d, z, en);
            else
                sbf(&b, "%s", en ? "(not known here)" : "(tidak diketahui di sini)");
        } else if (strcmp(kind, "dialogue") == 0) {
            sbf(&b, "%s ",
                en ? "; the views still list it as dialogue" : "; tampilan masih mencatatnya sebagai dialog");
            dialogue_phrase(&b, d, z, en);
        } else if (strcmp(kind, "amend") == 0) {
            sbf(&b,
                en ? "; the views still list it as a correction (\"%s\") of "
                   : "; tampilan masih mencatatnya "
                     "sebagai koreksi (\"%s\") atas ",
                js(m, "reason"));
            dialogue_phrase(&b, d, z, en);
        }
    } else if (kind && strcmp(kind, "dialogue") == 0 && jint(m, "followed_up_by") > 0) {
        sbf(&b,
            en ? "; it was a dialogue: %lld follow-up(s) held still name it"
               : "; itu sebuah dialog: %lld tindak lanjut yang masih tersimpan merujuknya",
            jint(m, "followed_up_by"));
    }
    if (jstr(m, "fork_evidence"))
        sbf(&b,
            en ? "; fork evidence holds another version of this seq (id %.16s)"
               : "; bukti fork menyimpan versi lain untuk seq ini (id %.16s)",
            jstr(m, "fork_evidence"));
    sbf(&b, ".");
    return sbj(&b);
}

/* What is wrong, in words, for the finding's class and check. */
static void wrong(sb *b, json_t *f, ronda_finding_kind what, const audit_zone *z, int en) {
    const char *err = js(f, "error");
    json_t *cx = json_object_get(f, "context");
    if (what == RONDA_FINDING_VIEW) {
        if (jstr(f, "field"))
            sbf(b,
                en ? "The views say %s is \"%s\"; the signed records say \"%s\"."
                   : "Tampilan menyebut %s \"%s\"; catatan bertanda tangan menyebut \"%s\".",
                js(f, "field"), jstr(f, "view_value") ? jstr(f, "view_value") : (en ? "(nothing)" : "(tidak ada)"),
                jstr(f, "records_value") ? jstr(f, "records_value") : (en ? "(nothing)" : "(tidak ada)"));
        else
            sbf(b, "%s", en ? "The views disagree with the signed records." : "Tampilan tidak sesuai catatan.");
    } else if (what == RONDA_FINDING_RECORD) {
        if (strcmp(err, "signature") == 0)
            sbf(b, "%s",
                en ? "Its signature does not verify: the signed part was changed."
                   : "Tanda tangannya tidak cocok: bagian yang ditandatangani telah diubah.");
        else if (strcmp(err, "body_hash") == 0)
            sbf(b, "%s",
                en ? "Its content does not match the hash its author signed: the text was changed."
                   : "Isinya tidak cocok dengan hash yang ditandatangani penulisnya: teksnya telah diubah.");
        else if (strcmp(err, "tampered") == 0)
            sbf(b, "%s",
                en ? "What is stored differs from what was signed (its columns, or its body removed)."
                   : "Yang tersimpan berbeda dari yang ditandatangani (kolomnya, atau isinya dihapus).");
        else
            sbf(b, "%s", en ? "The record does not verify." : "Catatan ini tidak lolos pemeriksaan.");
    } else if (what == RONDA_FINDING_CHAIN && strcmp(err, "gap") == 0) {
        long long n = jint(cx, "missing_count");
        if (n > 0 && en)
            sbf(b, "%lld record%s missing before seq %lld of this chain.", n, n == 1 ? " is" : "s are", jint(f, "seq"));
        else if (n > 0)
            sbf(b, "%lld catatan hilang sebelum seq %lld di rantai ini.", n, jint(f, "seq"));
        else
            sbf(b, "%s",
                en ? "Records are missing before this one in its chain."
                   : "Ada catatan yang hilang sebelum catatan ini di rantainya.");
    } else if (what == RONDA_FINDING_CHAIN) {
        sbf(b, "%s",
            en ? "It does not follow the record before it (prev or time): the chain was rearranged."
               : "Catatan ini tidak menyambung ke catatan sebelumnya (prev atau waktu): rantainya diatur ulang.");
    } else if (what == RONDA_FINDING_WITHHELD) {
        long long n = jint(cx, "missing_count");
        sbf(b,
            en ? "A checkpoint signed for this chain up to seq %lld; %lld of those records are not here."
               : "Sebuah checkpoint menjamin rantai ini sampai seq %lld; %lld catatan itu tidak ada di sini.",
            jint(f, "seq"), n);
    } else if (what == RONDA_FINDING_FORK) {
        json_t *fk = json_object_get(cx, "fork");
        if (json_is_object(fk))
            sbf(b,
                en ? "The key of %s signed two different records for seq %lld of its chain."
                   : "Kunci %s menandatangani dua catatan berbeda untuk seq %lld di rantainya.",
                jstr(fk, "author_name") ? jstr(fk, "author_name") : "?", jint(fk, "seq"));
        else
            sbf(b, "%s",
                en ? "Two records, or two checkpoints, name different records for one seq of this chain."
                   : "Dua catatan, atau dua checkpoint, menyebut catatan berbeda untuk satu seq di rantai ini.");
    } else if (what == RONDA_FINDING_REFERENCE) {
        json_t *nm = json_object_get(cx, "names_missing");
        if (json_is_object(nm)) {
            sbf(b,
                en ? "It names record %.16s, which this ledger does not hold"
                   : "Catatan ini menyebut %.16s, yang "
                     "tidak ada di buku besar ini",
                js(nm, "id"));
            if (jstr(nm, "kind") && json_is_object(json_object_get(nm, "dialogue"))) {
                sbf(b, en ? "; the views still know it as %s " : "; tampilan masih mengenalnya sebagai %s ",
                    kind_word(jstr(nm, "kind"), en));
                dialogue_phrase(b, json_object_get(nm, "dialogue"), z, en);
            }
            sbf(b, ".");
        } else {
            sbf(b, "%s",
                en ? "It names a record this ledger does not hold, or one of the wrong kind."
                   : "Catatan ini menyebut catatan yang tidak ada di buku besar ini, atau yang jenisnya salah.");
        }
    } else if (what == RONDA_FINDING_MEMBERSHIP) {
        sbf(b, "%s",
            strcmp(err, "role") == 0 ? (en ? "Its author's role may not write this kind of record."
                                           : "Peran penulisnya tidak boleh menulis jenis catatan ini.")
                                     : (en ? "Its author was not a member at the time it was written."
                                           : "Penulisnya bukan anggota pada waktu catatan ini ditulis."));
    } else if (what == RONDA_FINDING_PLACE) {
        sbf(b, "%s",
            en ? "It is filed for a Polres or Polsek its author is not admitted for."
               : "Catatan ini diajukan untuk Polres atau Polsek yang bukan wilayah penulisnya.");
    } else if (what == RONDA_FINDING_STORE) {
        sbf(b, "%s",
            en ? "The append-only triggers are gone: records can be changed without an error."
               : "Trigger hanya-tambah hilang: catatan bisa diubah tanpa ditolak.");
    } else {
        sbf(b, "%s", js(f, "detail"));
    }
}

static void meaning(sb *b, ronda_finding_kind what, int en) {
    static const struct {
        ronda_finding_kind kind;
        const char *text[2];
    } m[] = {
        {RONDA_FINDING_VIEW,
         {"Kapolres dan HQ melihat angka atau teks yang bukan isi catatan: seseorang mengubah tabel tampilan.",
          "The Kapolres and HQ see figures or text that are not what the records say: someone changed the views."}},
        {RONDA_FINDING_RECORD,
         {"Isi catatan ini tidak bisa dipercaya; penulisnya tidak menandatangani yang tersimpan sekarang.",
          "This record's content cannot be trusted: its author did not sign what is stored now."}},
        {RONDA_FINDING_CHAIN,
         {"Seseorang dengan akses berkas menghapus catatan, atau basis data rusak; laporan tidak memuatnya.",
          "Someone with file access deleted records, or the database is damaged; reports leave them out."}},
        {RONDA_FINDING_WITHHELD,
         {"Catatan yang pernah ada di buku besar dihapus atau ditahan setelah HQ menjaminnya.",
          "Records that were in the ledger were removed or withheld after an HQ vouched for them."}},
        {RONDA_FINDING_FORK,
         {"Ada dua versi sejarah node ini; rantainya dibekukan sebelum seq fork dan tidak ada versi yang dihitung.",
          "This node has two histories; its chain is frozen before the fork seq and neither version counts."}},
        {RONDA_FINDING_REFERENCE,
         {"Sejarah dialog tidak lengkap: catatan yang dirujuk hilang atau ditahan.",
          "A dialogue's story is incomplete: the record referred to was lost or withheld."}},
        {RONDA_FINDING_MEMBERSHIP,
         {"Catatan ini tidak sah dan tidak boleh dihitung.", "This record is not valid and must not count."}},
        {RONDA_FINDING_PLACE,
         {"Dialog ini bisa menggelembungkan angka wilayah lain.",
          "This dialogue could inflate another place's figures."}},
        {RONDA_FINDING_STORE,
         {"Perubahan berikutnya tidak akan ditolak oleh basis data.",
          "Further changes will not be refused by the database."}},
        {RONDA_FINDING_WITNESS,
         {"Checkpoint yang pernah dijamin HQ lain hilang dari salinan ini, atau tanda tangan saksi palsu.",
          "A checkpoint another HQ vouched for is gone from this copy, or a cosignature is forged."}},
        {RONDA_FINDING_TRUNCATED,
         {"Seseorang dengan akses berkas menghapus catatan terbaru dan checkpoint yang menyebutnya.",
          "Someone with file access removed the newest records and the checkpoints that named them."}},
        {RONDA_FINDING_REWRITTEN,
         {"Sejarah penulis ini di salinan ini berbeda dari yang ditandatangani sebelumnya.",
          "This writer's history in this copy differs from what was signed before."}},
        {RONDA_FINDING_NOTE,
         {"Catatan checkpoint ini tidak bisa dipakai sebagai bukti.", "This note cannot serve as evidence."}},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (m[i].kind == what) {
            sbf(b, "%s", m[i].text[en]);
            return;
        }
    sbf(b, "%s",
        en ? "The ledger is not what its signed records say."
           : "Buku besar tidak sesuai dengan catatan bertanda "
             "tangannya.");
}

static void next_step(sb *b, ronda_finding_kind what, int en) {
    static const struct {
        ronda_finding_kind kind;
        const char *text[2];
    } m[] = {
        {RONDA_FINDING_VIEW,
         {"Jalankan `ronda rebuild` agar tampilan dibangun ulang dari catatan, lalu selidiki siapa mengubah berkas.",
          "Run `ronda rebuild` to rebuild the views from the records, then find out who changed the file."}},
        {RONDA_FINDING_RECORD,
         {"Ambil salinan catatan ini dari node penulis atau HQ lain (`ronda export`, `ronda import`) atau pulihkan "
          "cadangan; laporkan ke Polda.",
          "Get this record again from its author's node or another HQ (`ronda export`, `ronda import`) or restore a "
          "backup; report to the Polda."}},
        {RONDA_FINDING_CHAIN,
         {"Ambil catatan yang hilang dari node penulis atau HQ lain (`ronda export`, `ronda import`), lalu jalankan "
          "`ronda audit` lagi; selidiki siapa punya akses berkas.",
          "Fetch the missing records from the author's node or another HQ (`ronda export`, `ronda import`), then run "
          "`ronda audit` again; find out who had file access."}},
        {RONDA_FINDING_WITHHELD,
         {"Ambil catatan itu dari HQ yang menandatangani checkpoint (`ronda export` di sana, `ronda import` di sini).",
          "Fetch those records from the HQ that signed the checkpoint (`ronda export` there, `ronda import` here)."}},
        {RONDA_FINDING_FORK,
         {"Bandingkan kedua versi; tanyakan ke node itu apa yang terjadi. Polda memberi kunci baru dan mencabut yang "
          "lama di seq sebelum fork (docs/operations.md, \"A forked chain\").",
          "Compare both versions; ask that node what happened. The Polda admits a new key and revokes the old one at "
          "the seq before the fork (docs/operations.md, \"A forked chain\")."}},
        {RONDA_FINDING_REFERENCE,
         {"Ambil catatan yang dirujuk dari node lain; bila tidak ada di mana pun, laporkan ke Polda.",
          "Fetch the record referred to from another node; if no node has it, report to the Polda."}},
        {RONDA_FINDING_MEMBERSHIP,
         {"Laporkan ke Polda: kunci ini tidak berhak menulis.", "Report to the Polda: this key may not write."}},
        {RONDA_FINDING_PLACE,
         {"Tanyakan ke penulis; Polda memutuskan apakah kuncinya dicabut.",
          "Ask the author; the Polda decides whether to revoke the key."}},
        {RONDA_FINDING_STORE,
         {"Pulihkan basis data dari cadangan atau bangun ulang node; selidiki siapa punya akses berkas.",
          "Restore the database from a backup or rebuild the node; find out who had file access."}},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (m[i].kind == what) {
            sbf(b, "%s", m[i].text[en]);
            return;
        }
    sbf(b, "%s",
        en ? "See docs/audit.md for this class; compare with another node's copy."
           : "Lihat docs/audit.md untuk kelas ini; bandingkan dengan salinan di node lain.");
}

void audit_plain(json_t *f, ronda_finding_kind kind, const audit_zone *z) {
    json_t *plain = json_object();
    json_t *cx = json_object_get(f, "context");
    for (int en = 0; en < 2; en++) {
        json_t *o = json_object();
        sb b = {0};
        subject(&b, f, kind, z, en);
        json_object_set_new(o, "subject", sbj(&b));
        wrong(&b, f, kind, z, en);
        json_object_set_new(o, "wrong", sbj(&b));
        meaning(&b, kind, en);
        json_object_set_new(o, "meaning", sbj(&b));
        next_step(&b, kind, en);
        json_object_set_new(o, "next", sbj(&b));
        json_t *miss = json_object_get(cx, "missing");
        if (json_array_size(miss)) {
            json_t *lines = json_array();
            size_t i;
            json_t *m;
            json_array_foreach(miss, i, m) json_array_append_new(lines, missing_line(m, z, en));
            json_object_set_new(o, "missing", lines);
        }
        json_object_set_new(plain, en ? "en" : "id", o);
    }
    json_object_set_new(f, "plain", plain);
}

void audit_print_plain(FILE *out, json_t *f, const char *lang) {
    json_t *p = json_object_get(json_object_get(f, "plain"), lang);
    if (!p) return;
    int en = strcmp(lang, "en") == 0;
    fprintf(out, "     %s\n", js(p, "subject"));
    fprintf(out, "     %s %s\n", en ? "wrong:  " : "salah:  ", js(p, "wrong"));
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(p, "missing"), i, l) fprintf(out, "             %s\n", json_string_value(l));
    json_t *fk = json_object_get(json_object_get(f, "context"), "fork");
    if (json_is_object(fk)) {
        json_t *v;
        json_array_foreach(json_object_get(fk, "versions"), i, v)
            fprintf(out, "             %s %.16s (%s)\n", en ? "version" : "versi", js(v, "id"), js(v, "held"));
        fprintf(out, "             %s", en ? "differs in:" : "berbeda di:");
        json_array_foreach(json_object_get(fk, "differences"), i, v) fprintf(out, " %s", json_string_value(v));
        fputc('\n', out);
    }
    fprintf(out, "     %s %s\n", en ? "meaning:" : "artinya:", js(p, "meaning"));
    fprintf(out, "     %s %s\n", en ? "next:   " : "langkah:", js(p, "next"));
}

/* ------------------------------------------------------------------ the report as JSON */

/* The length of the UTF-8 character at p (1 to 4), or 0 when the bytes are not one. */
static int utf8_len(const unsigned char *p) {
    int n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    for (int k = 1; k < n; k++)
        if ((p[k] & 0xc0) != 0x80) return 0; /* also stops at the terminating NUL */
    return n;
}

/* A string of the ledger's as JSON, never NULL for bad UTF-8: a detail cut at its size in
 * the middle of a character, or a view an insider filled with bytes that are no text, is
 * still shown (each byte that is not UTF-8 as '?') rather than dropped from the report. */
static json_t *jtext(const char *s) {
    if (!s) return json_null();
    json_t *j = json_string(s);
    if (j) return j;
    char *c = strdup(s);
    if (!c) return NULL;
    for (size_t i = 0; c[i];) {
        int n = utf8_len((const unsigned char *)c + i);
        if (n == 0) {
            c[i++] = '?';
        } else {
            i += (size_t)n;
        }
    }
    j = json_string(c);
    for (size_t i = 0; !j && c[i]; i++) /* what jansson still refuses (overlong forms): ASCII only */
        if ((unsigned char)c[i] >= 0x80) c[i] = '?';
    if (!j) j = json_string(c);
    free(c);
    return j;
}

/* One finding (or excluded record) as the report's JSON shows it; NULL on out of memory. */
static json_t *finding_json(const ronda_report_finding *x) {
    char id[65], au[65], dh[65];
    ronda_hex(x->f.id, RONDA_ID_BYTES, id);
    ronda_hex(x->f.author, RONDA_KEY_BYTES, au);
    ronda_hex(x->f.dialogue, RONDA_ID_BYTES, dh);
    json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:o}", "what", ronda_finding_kind_name(x->f.kind), "error",
                          ronda_errname(x->f.err), "rowid", (json_int_t)x->f.rowid, "id", id, "author", au, "seq",
                          (json_int_t)x->f.seq, "detail", jtext(x->f.detail));
    if (!o) return NULL;
    json_object_set_new(o, "dialogue", x->f.has_dialogue ? json_string(dh) : json_null());
    json_object_set_new(o, "field", jtext(x->f.field));
    json_object_set_new(o, "records_value", jtext(x->f.records_value));
    json_object_set_new(o, "view_value", jtext(x->f.view_value));
    json_object_set_new(o, "author_name", jtext(x->author_name));
    if (x->context) json_object_set_new(o, "context", ronda_finding_context_json(x->context));
    return o;
}

/* An HQ's newest checkpoint (age) or, with a NULL age, the ledger's warning. */
static json_t *age_json(const ronda_audit_report *r, const ronda_report_age *a) {
    static const char *const warning[] = {NULL, "stale", "none"};
    json_t *o;
    if (!a) {
        int stale = r->ledger_warning == RONDA_AGE_STALE;
        o = json_pack("{s:n, s:s, s:n, s:o, s:I, s:I}", "writer", "author_name", "(ledger)", "checkpoint", "signed_ms",
                      stale ? json_integer((json_int_t)r->newest_cp_ms) : json_null(), "age_ms",
                      (json_int_t)(stale ? r->ledger_age_ms : 0), "cosigners", (json_int_t)0);
        if (o) json_object_set_new(o, "warning", json_string(warning[r->ledger_warning]));
        return o;
    }
    char w[65], id[65];
    ronda_hex(a->age.writer, RONDA_KEY_BYTES, w);
    ronda_hex(a->age.id, RONDA_ID_BYTES, id);
    int has = a->age.has;
    o = json_pack("{s:s, s:s?, s:o, s:o, s:o, s:I, s:I}", "writer", w, "author_name", a->author_name, "checkpoint",
                  has ? json_string(id) : json_null(), "seq", has ? json_integer((json_int_t)a->age.seq) : json_null(),
                  "signed_ms", has ? json_integer((json_int_t)a->age.signed_ms) : json_null(), "age_ms",
                  (json_int_t)a->age_ms, "cosigners", (json_int_t)a->age.cosigners);
    if (o && a->warning != RONDA_AGE_OK) json_object_set_new(o, "warning", json_string(warning[a->warning]));
    return o;
}

static json_t *note_json(const ronda_report_note *n) {
    char w[65];
    ronda_hex(n->check.head.writer, RONDA_KEY_BYTES, w);
    const ronda_note_check *c = &n->check;
    return json_pack("{s:s, s:b, s:s, s:I, s:I, s:b, s:I, s:I, s:I, s:I}", "file", n->file, "parsed", c->parsed,
                     "writer", c->parsed ? w : "", "seq", (json_int_t)c->head.seq, "size", (json_int_t)c->head.size,
                     "writer_signed", c->writer_signed, "cosigners", (json_int_t)c->cosigners, "other_signatures",
                     (json_int_t)c->other_sigs, "claims", (json_int_t)c->claims, "claims_held",
                     (json_int_t)c->claims_held);
}

/* {polres: {polsek: {nodes, records, dialogues, resolutions, checkpoints, findings}}} */
static json_t *units_json(const ronda_audit_report *r) {
    json_t *units = json_object();
    for (size_t i = 0; units && i < r->nunits; i++) {
        const ronda_report_unit *u = &r->units[i];
        json_t *p = json_object_get(units, u->polres);
        if (!p) json_object_set_new(units, u->polres, p = json_object());
        json_object_set_new(p, u->polsek,
                            json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "nodes", (json_int_t)u->nodes, "records",
                                      (json_int_t)u->records, "dialogues", (json_int_t)u->dialogues, "resolutions",
                                      (json_int_t)u->resolutions, "checkpoints", (json_int_t)u->checkpoints, "findings",
                                      (json_int_t)u->findings));
    }
    return units;
}

/* The chains, each with its findings counted (a new array; NULL when out of memory). */
static json_t *chains_json(const ronda_audit_report *r) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->nchains; i++)
        if (json_array_append_new(a, ronda_chain_json(&r->chains[i], 1)) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *audit_report_json(const ronda_audit_report *r, const char *source, const char *audited_at, const audit_zone *z,
                          const char *lang) {
    const ronda_audit_summary *m = &r->sum;
    char dhex[65];
    ronda_hex(r->stats.digest, RONDA_HASH_BYTES, dhex);
    json_t *findings = json_array(), *excluded = json_array(), *ages = json_array(), *warnings = json_array(),
           *notes = json_array();
    int bad = 0; /* a finding left out would shift every card after it: all or nothing */
    for (size_t i = 0; i < r->nfindings; i++) {
        json_t *x = finding_json(&r->findings[i]);
        if (x) audit_plain(x, r->findings[i].f.kind, z);
        bad |= json_array_append_new(findings, x) != 0;
    }
    for (size_t i = 0; i < r->nexcluded; i++)
        bad |= json_array_append_new(excluded, finding_json(&r->excluded[i])) != 0;
    for (size_t i = 0; i < r->nages; i++) {
        json_t *o = age_json(r, &r->ages[i]);
        json_array_append(ages, o);
        if (r->ages[i].warning != RONDA_AGE_OK) json_array_append(warnings, o);
        json_decref(o);
    }
    if (r->ledger_warning != RONDA_AGE_OK) json_array_append_new(warnings, age_json(r, NULL));
    for (size_t i = 0; i < r->nnotes; i++) json_array_append_new(notes, note_json(&r->notes[i]));
    json_t *o = json_pack("{s:b, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:o}", "ok",
                          r->nfindings == 0, "source", source, "audited_at", audited_at, "records",
                          (json_int_t)m->verify.records, "authors", (json_int_t)m->verify.authors, "forks",
                          (json_int_t)m->verify.fork_seqs, "excluded", (json_int_t)m->verify.excluded, "checkpoints",
                          (json_int_t)m->checkpoints, "claims", (json_int_t)m->claims, "claims_held",
                          (json_int_t)m->claims_held, "claims_revoked", (json_int_t)m->claims_revoked, "references",
                          (json_int_t)m->references, "digest", dhex, "findings", findings, "chains", chains_json(r),
                          "by_polres", units_json(r));
    if (!o || bad) {
        json_decref(o);
        json_decref(excluded);
        json_decref(ages);
        json_decref(warnings);
        json_decref(notes);
        return NULL;
    }
    json_object_set_new(o, "fork_records", json_integer((json_int_t)m->verify.forks));
    json_object_set_new(o, "excluded_records", excluded);
    json_object_set_new(o, "classes", audit_classes(r));
    json_object_set_new(o, "audited_ms", json_integer((json_int_t)r->audited_ms));
    json_object_set_new(o, "zone", json_string(z->name));
    json_object_set_new(o, "zone_offset_min", json_integer(z->offset_min));
    json_object_set_new(o, "lang", json_string(lang));
    json_object_set_new(o, "checkpoint_ages", ages);
    json_object_set_new(o, "checkpoint_warnings", warnings);
    json_object_set_new(o, "max_checkpoint_age_s", json_integer((json_int_t)(r->max_age_ms / 1000u)));
    json_object_set_new(o, "newest_record_ms", json_integer((json_int_t)r->newest_ms));
    json_object_set_new(o, "notes", notes);
    json_object_set_new(o, "cosigns", json_integer((json_int_t)m->cosigns));
    json_object_set_new(o, "roots", json_integer((json_int_t)m->roots));
    json_object_set_new(o, "roots_unchecked", json_integer((json_int_t)m->roots_unchecked));
    json_object_set_new(o, "checkpoint_notes", json_integer((json_int_t)m->notes));
    return o;
}

/* ------------------------------------------------------------------ the page */

static void esc(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* Both languages, one shown at a time (the page's data-lang). */
static void bi(FILE *f, const char *id, const char *en) {
    fputs("<span class=\"l-id\">", f);
    esc(f, id);
    fputs("</span><span class=\"l-en\">", f);
    esc(f, en);
    fputs("</span>", f);
}

static const char page_css[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}"
    "html[data-lang=id] .l-en,html[data-lang=en] .l-id{display:none}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
    "h3{font-size:1.05em;margin:.2em 0}"
    "table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{text-align:left;padding:.3em .6em;"
    "border-bottom:1px solid #e5e5e5;vertical-align:top}th{background:#f4f4f4}td.n{text-align:right}"
    "code{font:12px ui-monospace,monospace;word-break:break-all}.ok{color:#17652f;font-weight:bold}"
    ".bad{color:#a31515;font-weight:bold}.verdict{font-size:1.3em;padding:.6em 1em;border-radius:4px;"
    "margin:1em 0}.verdict.ok{background:#e6f4ea}.verdict.bad{background:#fdecea}tr.f td{background:#fff6f5}"
    ".finding{border:1px solid #e3c6c3;border-left:5px solid #a31515;border-radius:4px;padding:.6em 1em;"
    "margin:.8em 0;background:#fffafa}.finding dl{display:grid;grid-template-columns:9em 1fr;gap:.2em .8em;"
    "margin:.4em 0}.finding dt{color:#555;font-weight:bold}.finding dd{margin:0}"
    ".cls{color:#444;margin:.3em 0 .8em}td.diff,tr.diff td{background:#fff1c2}td.tampered{background:#fdecea}"
    "td.signed{background:#e6f4ea}.muted{color:#666;font-size:.92em}"
    "#lang{float:right;font:inherit;padding:.3em .8em;border:1px solid #999;border-radius:4px;background:#fff;"
    "cursor:pointer}.print-head{display:none}"
    "footer{margin-top:3em;color:#777;font-size:.9em}"
    "@page{size:A4;margin:16mm 14mm 18mm}"
    "@media print{body{margin:0;max-width:none;padding:0;font-size:10.5pt}#lang{display:none}"
    ".print-head{display:block;font-size:8.5pt;color:#555;border-bottom:1px solid #999;margin-bottom:.6em}"
    "h2{break-before:page;page-break-before:always;margin-top:0}h2.first{break-before:auto;page-break-before:auto}"
    "tr,.finding,.finding dl,dt,dd{break-inside:avoid;page-break-inside:avoid}thead{display:table-header-group}"
    "h2,h3{break-after:avoid;page-break-after:avoid}.finding{background:none}a{color:inherit}}";

/* The language toggle: the page holds both; the choice is not stored (a file has no site). */
static const char page_js[] =
    "document.getElementById('lang').addEventListener('click',function(){var h=document.documentElement;"
    "h.dataset.lang=h.dataset.lang==='id'?'en':'id';h.lang=h.dataset.lang;});";

/* A JSON value as text for a table cell: strings as they are, lists one per line, topics as
 * "category: summary". */
static void cell(FILE *f, json_t *v) {
    if (!v || json_is_null(v)) {
        fputs("&ndash;", f);
    } else if (json_is_string(v)) {
        esc(f, json_string_value(v));
    } else if (json_is_integer(v)) {
        fprintf(f, "%lld", (long long)json_integer_value(v));
    } else if (json_is_true(v) || json_is_false(v)) {
        fputs(json_is_true(v) ? "true" : "false", f);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (i) fputs("<br>", f);
            if (json_is_object(x) && json_object_get(x, "summary")) {
                esc(f, js(x, "category"));
                fputs(": ", f);
                esc(f, js(x, "summary"));
            } else {
                cell(f, x);
            }
        }
    } else {
        char *t = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
        esc(f, t);
        free(t);
    }
}

static int in_list(json_t *arr, const char *k) {
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) if (json_string_value(x) && strcmp(json_string_value(x), k) == 0) return 1;
    return 0;
}

/* Both versions of a fork, field by field, the differences marked. */
static void fork_table(FILE *f, json_t *fk, const audit_zone *z) {
    json_t *vs = json_object_get(fk, "versions"), *a = json_array_get(vs, 0), *b = json_array_get(vs, 1);
    json_t *diff = json_object_get(fk, "differences");
    fputs("<p>", f);
    bi(f,
       "Kunci node ini menandatangani dua catatan berbeda untuk satu tempat di rantainya (seq yang sama). Kedua "
       "versi bertanda tangan sah; hanya satu yang bisa benar.",
       "This node's key signed two different records for one place in its chain (the same seq). Both versions "
       "carry a valid signature; only one can be true.");
    fputs("</p>\n<table class=\"fork\"><thead><tr><th>", f);
    bi(f, "kolom", "field");
    fputs("</th><th>", f);
    bi(f, "versi di buku besar", "version in the ledger");
    fputs("</th><th>", f);
    bi(f, "versi lain (bukti fork)", "other version (fork evidence)");
    fputs("</th></tr></thead><tbody>\n", f);
    char ta[64], tb[64], tae[64], tbe[64];
    fmt_ms(jint(a, "hlc_ms"), z, 0, 1, ta, sizeof ta);
    fmt_ms(jint(b, "hlc_ms"), z, 0, 1, tb, sizeof tb);
    fmt_ms(jint(a, "hlc_ms"), z, 1, 1, tae, sizeof tae);
    fmt_ms(jint(b, "hlc_ms"), z, 1, 1, tbe, sizeof tbe);
    fputs("<tr><td>", f);
    bi(f, "ditandatangani oleh", "signed by");
    fputs("</td><td>", f);
    esc(f, js(fk, "author_name"));
    fputs("</td><td>", f);
    esc(f, js(fk, "author_name"));
    fputs("</td></tr>\n<tr><td>", f);
    bi(f, "ditandatangani pada", "signed at");
    fputs("</td><td>", f);
    bi(f, ta, tae);
    fputs("</td><td>", f);
    bi(f, tb, tbe);
    fprintf(f, "</td></tr>\n<tr><td>seq</td><td>%lld</td><td>%lld</td></tr>\n<tr><td>id</td><td><code>", jint(a, "seq"),
            jint(b, "seq"));
    esc(f, js(a, "id"));
    fputs("</code></td><td><code>", f);
    esc(f, js(b, "id"));
    fputs("</code></td></tr>\n", f);
    fprintf(f, "<tr%s><td>", in_list(diff, "kind") ? " class=\"diff\"" : "");
    bi(f, "jenis", "kind");
    fputs("</td><td>", f);
    esc(f, js(a, "kind"));
    fputs("</td><td>", f);
    esc(f, js(b, "kind"));
    fputs("</td></tr>\n", f);
    json_t *ba = json_object_get(a, "body"), *bb = json_object_get(b, "body");
    const char *k;
    json_t *v;
    json_object_foreach(ba, k, v) {
        fprintf(f, "<tr%s><td>", in_list(diff, k) ? " class=\"diff\"" : "");
        esc(f, k);
        for (int side = 0; side < 2; side++) {
            json_t *x = side ? json_object_get(bb, k) : v;
            fputs("</td><td>", f);
            if (strcmp(k, "when") == 0 && json_is_string(x)) { /* a time people read: in the report's zone */
                char wi[64], we[64];
                fmt_v1(json_string_value(x), z, 0, 1, wi, sizeof wi);
                fmt_v1(json_string_value(x), z, 1, 1, we, sizeof we);
                bi(f, wi, we);
            } else {
                cell(f, x);
            }
        }
        fputs("</td></tr>\n", f);
    }
    json_object_foreach(bb, k, v) {
        if (json_object_get(ba, k)) continue;
        fputs("<tr class=\"diff\"><td>", f);
        esc(f, k);
        fputs("</td><td>&ndash;</td><td>", f);
        cell(f, v);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n<p class=\"muted\">", f);
    bi(f, "Baris berwarna kuning berbeda antara kedua versi.", "Rows in yellow differ between the two versions.");
    fputs("</p>\n", f);
}

static void finding_card(FILE *f, json_t *x, const audit_zone *z) {
    json_t *p = json_object_get(x, "plain"), *pi = json_object_get(p, "id"), *pe = json_object_get(p, "en");
    json_t *cx = json_object_get(x, "context");
    fputs("<div class=\"finding\">\n<h3>", f);
    bi(f, js(pi, "subject"), js(pe, "subject"));
    fputs("</h3>\n<dl><dt>", f);
    bi(f, "Masalah", "What is wrong");
    fputs("</dt><dd>", f);
    bi(f, js(pi, "wrong"), js(pe, "wrong"));
    json_t *mi = json_object_get(pi, "missing"), *me = json_object_get(pe, "missing");
    if (json_array_size(mi)) {
        fputs("<ul>", f);
        for (size_t i = 0; i < json_array_size(mi); i++) {
            fputs("<li>", f);
            bi(f, json_string_value(json_array_get(mi, i)), json_string_value(json_array_get(me, i)));
            fputs("</li>", f);
        }
        fputs("</ul>", f);
        long long total = jint(cx, "missing_count");
        if (total > (long long)json_array_size(mi))
            fprintf(f, "<span class=\"l-id\">(dan %lld lainnya)</span><span class=\"l-en\">(and %lld more)</span>",
                    total - (long long)json_array_size(mi), total - (long long)json_array_size(mi));
    }
    fputs("</dd><dt>", f);
    bi(f, "Artinya", "What it means");
    fputs("</dt><dd>", f);
    bi(f, js(pi, "meaning"), js(pe, "meaning"));
    fputs("</dd><dt>", f);
    bi(f, "Langkah berikut", "What to do next");
    fputs("</dt><dd>", f);
    bi(f, js(pi, "next"), js(pe, "next"));
    fputs("</dd></dl>\n", f);
    if (jstr(x, "field") || jstr(x, "records_value") || jstr(x, "view_value")) {
        fputs("<table class=\"beside\"><thead><tr><th>", f);
        bi(f, "kolom", "field");
        fputs("</th><th>", f);
        bi(f, "yang ditandatangani (catatan)", "what the signed record says");
        fputs("</th><th>", f);
        bi(f, "yang ditampilkan (diubah)", "what is shown (tampered)");
        fputs("</th></tr></thead><tbody><tr><td>", f);
        esc(f, js(x, "field"));
        fputs("</td><td class=\"signed\">", f);
        esc(f, js(x, "records_value"));
        fputs("</td><td class=\"tampered\">", f);
        esc(f, js(x, "view_value"));
        fputs("</td></tr></tbody></table>\n", f);
    }
    json_t *fk = json_object_get(cx, "fork");
    if (json_is_object(fk)) fork_table(f, fk, z);
    fputs("<p class=\"muted\">", f);
    bi(f, "Rincian teknis", "Technical detail");
    fputs(": <code>", f);
    esc(f, js(x, "what"));
    fputs(" ", f);
    esc(f, js(x, "error"));
    fprintf(f, "</code> &middot; seq %lld &middot; ", jint(x, "seq"));
    bi(f, "catatan", "record");
    fputs(" <code>", f);
    esc(f, js(x, "id"));
    fputs("</code> &middot; ", f);
    esc(f, js(x, "detail"));
    fputs("</p>\n</div>\n", f);
}

/* ------------------------------------------------------------------ the page, section by section */

static void html_head(FILE *f, const char *source, const ronda_audit_report *r, const audit_zone *z, const char *lang) {
    char now_id[64], now_en[64], digest[65];
    fmt_ms((int64_t)r->audited_ms, z, 0, 1, now_id, sizeof now_id);
    fmt_ms((int64_t)r->audited_ms, z, 1, 1, now_en, sizeof now_en);
    ronda_hex(r->stats.digest, RONDA_HASH_BYTES, digest);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\" data-lang=\"%s\"><head><meta charset=\"utf-8\">", lang, lang);
    fputs("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
          "script-src 'unsafe-inline'\">",
          f);
    fputs("<title>ronda: laporan audit / audit report</title><style>", f);
    fputs(page_css, f);
    fputs("</style></head><body>\n<div class=\"print-head\">", f);
    bi(f, "Laporan audit ronda", "ronda audit report");
    fputs(" &middot; ", f);
    esc(f, source);
    fputs(" &middot; ", f);
    bi(f, now_id, now_en);
    fputs("</div>\n<button id=\"lang\" type=\"button\">", f);
    bi(f, "English", "Bahasa Indonesia");
    fputs("</button>\n<h1>", f);
    bi(f, "Laporan audit ronda", "ronda audit report");
    fputs("</h1>\n<p>", f);
    bi(f, "Buku besar yang diaudit", "Ledger audited");
    fputs(": <code>", f);
    esc(f, source);
    fputs("</code><br>", f);
    bi(f, "Diaudit pada", "Audited at");
    fputs(" ", f);
    bi(f, now_id, now_en);
    fputs(" (", f);
    esc(f, z->name);
    fprintf(f, ", UTC%+d) ", z->offset_min / 60);
    bi(f, "dengan", "with");
    fprintf(f, " ronda %s<br>", RONDA_VERSION);
    bi(f, "Digest buku besar", "Ledger digest");
    fprintf(f, " <code>%s</code></p>\n", digest);
}

static void html_verdict(FILE *f, const ronda_audit_report *r) {
    size_t nf = r->nfindings;
    if (nf == 0) {
        fputs("<div class=\"verdict ok\">", f);
        bi(f, "Tidak ada temuan: setiap catatan, rantai, keanggotaan, checkpoint dan rujukan lolos pemeriksaan.",
           "No findings: every record, chain, membership, checkpoint and reference verifies.");
        fputs("</div>\n", f);
    } else {
        fprintf(f,
                "<div class=\"verdict bad\"><span class=\"l-id\">%zu temuan: lihat di bawah.</span>"
                "<span class=\"l-en\">%zu finding%s: see below.</span></div>\n",
                nf, nf, nf == 1 ? "" : "s");
    }
    long long rec = (long long)r->sum.verify.records, au = (long long)r->sum.verify.authors,
              fo = (long long)r->sum.verify.fork_seqs, ex = (long long)r->sum.verify.excluded,
              cp = (long long)r->sum.checkpoints, cl = (long long)r->sum.claims, ch = (long long)r->sum.claims_held,
              rf = (long long)r->sum.references;
    fprintf(f,
            "<p><span class=\"l-id\">%lld catatan dari %lld penulis diperiksa; %lld fork (seq yang ditandatangani dua "
            "kali); %lld catatan "
            "dikecualikan (ditulis setelah penulisnya dicabut); %lld checkpoint menyebut %lld catatan, %lld di "
            "antaranya ada; %lld rujukan diperiksa.</span><span class=\"l-en\">%lld records from %lld authors "
            "checked; %lld forks (seqs signed twice); %lld records excluded (written after their author's revocation); "
            "%lld checkpoints naming %lld records, %lld of them held; %lld references checked.</span></p>\n",
            rec, au, fo, ex, cp, cl, ch, rf, rec, au, fo, ex, cp, cl, ch, rf);
}

/* The findings, one section per class; each card from the finding's JSON (its plain words). */
static void html_findings(FILE *f, const ronda_audit_report *r, json_t *findings, const audit_zone *z) {
    size_t nf = r->nfindings, n = sizeof classes / sizeof classes[0];
    fprintf(f,
            "<h2 class=\"first\"><span class=\"l-id\">Temuan (%zu)</span><span class=\"l-en\">Findings (%zu)</span>"
            "</h2>\n",
            nf, nf);
    if (nf == 0) {
        fputs("<p class=\"ok\">", f);
        bi(f, "Tidak ada.", "None.");
        fputs("</p>\n", f);
    } else {
        fputs("<table><thead><tr><th>", f);
        bi(f, "jenis temuan", "kind of finding");
        fputs("</th><th>", f);
        bi(f, "jumlah", "count");
        fputs("</th></tr></thead><tbody>\n", f);
        for (size_t c = 0; c <= n; c++) {
            const cls *k = c < n ? &classes[c] : &other_class;
            uint64_t count = class_count(r, k);
            if (!count) continue;
            fputs("<tr class=\"f\"><td>", f);
            bi(f, k->title[0], k->title[1]);
            fprintf(f, "</td><td class=\"n bad\">%lld</td></tr>\n", (long long)count);
        }
        fputs("</tbody></table>\n", f);
    }
    for (size_t c = 0; c <= n; c++) {
        const cls *k = c < n ? &classes[c] : &other_class;
        long long count = (long long)class_count(r, k);
        if (!count) continue;
        fprintf(f, "<h2 class=\"class\" id=\"class-%s\"><span class=\"l-id\">", class_name(k));
        esc(f, k->title[0]);
        fprintf(f, " (%lld)</span><span class=\"l-en\">", count);
        esc(f, k->title[1]);
        fprintf(f, " (%lld)</span></h2>\n<p class=\"cls\">", count);
        bi(f, k->explain[0], k->explain[1]);
        fputs("</p>\n", f);
        for (size_t j = 0; j < nf; j++)
            if (class_of(r->findings[j].f.kind) == k) finding_card(f, json_array_get(findings, j), z);
    }
}

static void html_excluded(FILE *f, const ronda_audit_report *r) {
    if (!r->nexcluded) return;
    fprintf(f,
            "<h2><span class=\"l-id\">Catatan dikecualikan (%zu)</span><span class=\"l-en\">Excluded records "
            "(%zu)</span></h2>\n<p>",
            r->nexcluded, r->nexcluded);
    bi(f,
       "Ditulis setelah penulisnya dicabut: tersimpan karena tiba sebelum pencabutan, di luar digest dan "
       "tampilan. Bukan temuan, tetapi perlu diketahui: kunci yang dicabut masih menandatangani.",
       "Written after their author's revocation: held because they arrived before the revocation, outside the "
       "ledger's digest and views. Not findings, but worth knowing: a revoked key went on signing.");
    fputs("</p>\n<table><thead><tr><th>node</th><th>seq</th><th>", f);
    bi(f, "catatan", "record");
    fputs("</th></tr></thead><tbody>\n", f);
    for (size_t i = 0; i < r->nexcluded; i++) {
        const ronda_report_finding *x = &r->excluded[i];
        char id[65];
        ronda_hex(x->f.id, RONDA_ID_BYTES, id);
        fputs("<tr><td>", f);
        esc(f, x->author_name ? x->author_name : "");
        fprintf(f, "</td><td class=\"n\">%lld</td><td><code>", (long long)x->f.seq);
        esc(f, id);
        fputs("</code></td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

/* One row of the checkpoint warnings: an HQ's (a) or, with a NULL a, the ledger's. */
static void html_warning_row(FILE *f, const ronda_audit_report *r, const ronda_report_age *a, const audit_zone *z) {
    char w[65];
    int has = a ? a->age.has : r->ledger_warning == RONDA_AGE_STALE;
    uint64_t signed_ms = a ? a->age.signed_ms : r->newest_cp_ms, age_ms = a ? a->age_ms : r->ledger_age_ms;
    if (a) ronda_hex(a->age.writer, RONDA_KEY_BYTES, w);
    fputs("<tr><td>", f);
    esc(f, !a ? "(ledger)" : a->author_name && *a->author_name ? a->author_name : w);
    fputs("</td><td>", f);
    if (has) {
        char t[64], te[64];
        fmt_ms((int64_t)signed_ms, z, 0, 1, t, sizeof t);
        fmt_ms((int64_t)signed_ms, z, 1, 1, te, sizeof te);
        bi(f, t, te);
        fputs("</td><td class=\"n\">", f);
        fprintf(f, "%lld h %02lld min", (long long)(age_ms / 3600000), (long long)(age_ms / 60000 % 60));
    } else {
        bi(f, "tidak ada", "none");
        fputs("</td><td class=\"n\">", f);
    }
    fprintf(f, "</td><td class=\"n\">%lld</td></tr>\n", a ? (long long)a->age.cosigners : 0LL);
}

static void html_warnings(FILE *f, const ronda_audit_report *r, const audit_zone *z) {
    size_t n = r->ledger_warning != RONDA_AGE_OK;
    for (size_t i = 0; i < r->nages; i++) n += r->ages[i].warning != RONDA_AGE_OK;
    if (!n) return;
    fprintf(f,
            "<h2><span class=\"l-id\">Peringatan checkpoint (%zu)</span><span class=\"l-en\">Checkpoint warnings "
            "(%zu)</span></h2>\n<p>",
            n, n);
    bi(f,
       "Checkpoint terbaru lebih tua dari batas (diukur dari catatan terbaru di buku besar), atau tidak ada. "
       "Bukan temuan: catatan yang lebih baru dari checkpoint terakhir bisa dihapus tanpa jejak.",
       "The newest checkpoint is older than the limit (measured from the newest record in the ledger), or there "
       "is none. Not findings: records newer than the last checkpoint can be removed without a trace.");
    fputs("</p>\n<table><thead><tr><th>HQ</th><th>", f);
    bi(f, "checkpoint terbaru", "newest checkpoint");
    fputs("</th><th>", f);
    bi(f, "umur", "age");
    fputs("</th><th>", f);
    bi(f, "saksi", "cosigners");
    fputs("</th></tr></thead><tbody>\n", f);
    for (size_t i = 0; i < r->nages; i++)
        if (r->ages[i].warning != RONDA_AGE_OK) html_warning_row(f, r, &r->ages[i], z);
    if (r->ledger_warning != RONDA_AGE_OK) html_warning_row(f, r, NULL, z);
    fputs("</tbody></table>\n", f);
}

/* The summary by Polres and Polsek (its table is closed by the chains' section). */
static void html_units(FILE *f, const ronda_audit_report *r) {
    fputs("<h2><span class=\"l-id\">Per Polres dan Polsek</span><span class=\"l-en\">By Polres and Polsek</span></h2>\n"
          "<table><thead><tr><th>Polres</th><th>Polsek</th><th>node</th><th>",
          f);
    bi(f, "catatan", "records");
    fputs("</th><th>", f);
    bi(f, "dialog", "dialogues");
    fputs("</th><th>", f);
    bi(f, "tindak lanjut", "follow-ups");
    fputs("</th><th>checkpoint</th><th>", f);
    bi(f, "temuan", "findings");
    fputs("</th></tr></thead><tbody>\n", f);
    for (size_t i = 0; i < r->nunits; i++) {
        const ronda_report_unit *u = &r->units[i];
        fputs("<tr><td>", f);
        esc(f, u->polres);
        fputs("</td><td>", f);
        esc(f, u->polsek);
        fprintf(f,
                "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td "
                "class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n %s\">%lld</td></tr>\n",
                (long long)u->nodes, (long long)u->records, (long long)u->dialogues, (long long)u->resolutions,
                (long long)u->checkpoints, u->findings ? "bad" : "ok", (long long)u->findings);
    }
}

static void html_chains(FILE *f, const ronda_audit_report *r, const audit_zone *z) {
    static const ronda_kind order[] = {RONDA_KIND_DIALOGUE,   RONDA_KIND_RESOLUTION, RONDA_KIND_AMEND,
                                       RONDA_KIND_CHECKPOINT, RONDA_KIND_MEMBER,     RONDA_KIND_REVOKE,
                                       RONDA_KIND_COSIGN};
    fputs("</tbody></table>\n<h2><span class=\"l-id\">Rantai</span><span class=\"l-en\">Chains</span></h2>\n"
          "<table><thead><tr><th>node</th><th>",
          f);
    bi(f, "peran", "role");
    fputs("</th><th>Polres / Polsek</th><th>seq</th><th>", f);
    bi(f, "catatan pertama – terakhir", "first – last record");
    fputs("</th><th>", f);
    bi(f, "jenis", "kinds");
    fputs("</th><th>", f);
    bi(f, "temuan", "findings");
    fputs("</th><th>", f);
    bi(f, "kunci penulis", "author key");
    fputs("</th></tr></thead><tbody>\n", f);
    for (size_t i = 0; i < r->nchains; i++) {
        const ronda_chain_info *chn = &r->chains[i];
        char a[64], b[64], ae[64], be[64], hex[2 * RONDA_KEY_BYTES + 1];
        fmt_ms((long long)chn->first_ms, z, 0, 1, a, sizeof a);
        fmt_ms((long long)chn->last_ms, z, 0, 1, b, sizeof b);
        fmt_ms((long long)chn->first_ms, z, 1, 1, ae, sizeof ae);
        fmt_ms((long long)chn->last_ms, z, 1, 1, be, sizeof be);
        long long fnd = (long long)chn->findings;
        const char *name = chn->authority ? "authority" : chn->known && chn->name[0] ? chn->name : "(unknown key)";
        const char *role = chn->authority ? "authority" : ronda_role_name(chn->role);
        fputs("<tr><td>", f);
        esc(f, name);
        if (chn->revoked) {
            fputs(" <span class=\"bad\">", f);
            bi(f, "dicabut", "revoked");
            fputs("</span>", f);
        }
        if (chn->forked_at > 0)
            fprintf(f,
                    " <span class=\"bad\"><span class=\"l-id\">fork di seq %llu</span><span class=\"l-en\">forked at "
                    "seq %llu</span></span>",
                    (unsigned long long)chn->forked_at, (unsigned long long)chn->forked_at);
        fputs("</td><td>", f);
        esc(f, role ? role : "");
        fputs("</td><td>", f);
        esc(f, chn->polres);
        if (chn->polsek[0]) {
            fputs(" / ", f);
            esc(f, chn->polsek);
        }
        fprintf(f, "</td><td class=\"n\">%llu&ndash;%llu</td><td>", (unsigned long long)chn->first_seq,
                (unsigned long long)chn->last_seq);
        bi(f, a, ae);
        fputs("<br>", f);
        bi(f, b, be);
        fputs("</td><td>", f);
        for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
            if (chn->kinds[order[k]]) {
                esc(f, ronda_kind_name(order[k]));
                fprintf(f, " %llu<br>", (unsigned long long)chn->kinds[order[k]]);
            }
        ronda_hex(chn->author, RONDA_KEY_BYTES, hex);
        fprintf(f, "</td><td class=\"n %s\">%lld</td><td><code>", fnd ? "bad" : "ok", fnd);
        esc(f, hex);
        fputs("</code></td></tr>\n", f);
    }
}

static void html_foot(FILE *f) {
    fputs("</tbody></table>\n<footer>", f);
    bi(f,
       "Ditulis oleh `ronda audit`. Setiap temuan menyebut catatannya (id), penulis dan seq-nya; `ronda show ID` "
       "dan `ronda history ID` memberi rinciannya. Pemeriksaannya dijelaskan di docs/audit.md dan proto/record.md.",
       "Written by `ronda audit`. Every finding names the record (id), its author and seq; `ronda show ID` and "
       "`ronda history ID` give the details. The checks are described in docs/audit.md and proto/record.md.");
    fputs("</footer>\n<script>", f);
    fputs(page_js, f);
    fputs("</script>\n</body></html>\n", f);
}

void audit_write_html(FILE *f, const char *source, const ronda_audit_report *r, json_t *doc, const audit_zone *z,
                      const char *lang) {
    html_head(f, source, r, z, lang);
    html_verdict(f, r);
    html_findings(f, r, json_object_get(doc, "findings"), z);
    html_excluded(f, r);
    html_warnings(f, r, z);
    html_units(f, r);
    html_chains(f, r, z);
    html_foot(f);
}
