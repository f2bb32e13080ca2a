/* ronda-fill: append N realistic dialogue records to an existing, admitted node, in
 * batches of 1,000 per transaction, with the node's own key. For sync benchmarks:
 *
 *   ronda-fill DIR N [--followups]
 *
 * Dialogues name the node's own Polres (and Polsek, or four Polsek for an HQ), spread over three years, five programmes
 * and every topic category; one in a thousand mentions "kebakaran" (a rare word for search benchmarks). With
 * --followups, every third dialogue also gets a resolution (resolved, referred or in progress, in turn), so reports
 * have follow-ups to count (bench/http_bench.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>

#include "ronda/ronda.h"
#include "util/util.h"

#define FILL_BATCH 1000

/* Every failure says what failed and why (the database's cause and its fix), and the exit
 * status says which: 3 for the database or a file, 1 for a refused record. */
/* Summaries as varied as the reports': three clauses drawn from these by the record's
 * number (~90-140 bytes, as the one fixed sentence of earlier builds), so that compression
 * figures (proto/sync.md, "Compression") are not flattered by one text repeated. */
static const char *const who_says[] = {"Warga menyampaikan keresahan tentang",
                                       "Tokoh masyarakat mengeluhkan",
                                       "Ketua RT melaporkan",
                                       "Pedagang pasar mengadukan",
                                       "Karang Taruna meminta perhatian atas",
                                       "Perangkat desa menyoroti",
                                       "Ibu-ibu PKK menanyakan",
                                       "Pemuda dusun mengusulkan penanganan",
                                       "Tokoh agama mengingatkan soal",
                                       "Pengemudi ojek mengeluhkan"};
static const char *const what_about[] = {"kelancaran lalu lintas",     "balap liar pada malam hari",
                                         "pencurian ternak",           "peredaran minuman keras",
                                         "kenakalan remaja",           "judi daring",
                                         "penipuan lewat telepon",     "sengketa batas tanah",
                                         "pencurian sepeda motor",     "pembakaran sampah",
                                         "tawuran antarkampung",       "parkir liar",
                                         "penerangan jalan yang mati", "banjir musiman"};
static const char *const where_at[] = {"di sekitar pasar",       "di jalan provinsi",       "di dekat sekolah",
                                       "di dusun sebelah timur", "di area persawahan",      "di sekitar alun-alun",
                                       "di jembatan desa",       "di perbatasan kecamatan", "di lingkungan RW 03",
                                       "di sekitar terminal",    "di kawasan pabrik",       "di tepi sungai"};

static void summary_of(long i, char *out, size_t cap) {
    unsigned long h = (unsigned long)i * 2654435761ul;
    snprintf(out, cap, "%s %s %s, %s; juga soal %s", who_says[h % 10], what_about[(h >> 8) % 14],
             where_at[(h >> 16) % 12],
             (h >> 24) % 2 ? "dan meminta patroli rutin" : "serta berharap segera ditindaklanjuti",
             what_about[(h >> 28) % 14]);
}

static int fail(const ronda_store *s, const char *what, ronda_err e, const ronda_detail *d) {
    const char *msg = s && ronda_err_is_db(e) ? ronda_store_errmsg(s) : "";
    fprintf(stderr, "ronda-fill: %s: %s", what, ronda_strerror(e));
    if (d && d->text[0])
        fprintf(stderr, " (%s)", d->text);
    else if (*msg)
        fprintf(stderr, " (%s)", msg);
    fputc('\n', stderr);
    if (ronda_err_fix(e)) fprintf(stderr, "  hint: %s\n", ronda_err_fix(e));
    return ronda_err_is_db(e) || e == RONDA_ERR_IO ? 3 : 1;
}

int main(int argc, char **argv) {
    int followups = argc == 4 && strcmp(argv[3], "--followups") == 0;
    if ((argc != 3 && !followups) || ronda_init() != RONDA_OK) {
        fprintf(stderr, "usage: ronda-fill DIR N [--followups]\n");
        return 2;
    }
    char path[4096];
    uint8_t sk[RONDA_SECRET_BYTES];
    snprintf(path, sizeof path, "%s/sign.key", argv[1]);
    if (keyfile_read(path, "ronda-ed25519-secret-v1", sk, sizeof sk) != RONDA_OK) {
        fprintf(stderr, "ronda-fill: cannot read %s\n", path);
        return 3;
    }
    snprintf(path, sizeof path, "%s/ronda.db", argv[1]);
    ronda_store *s;
    ronda_err oe = ronda_store_open(path, NULL, &s);
    if (oe != RONDA_OK) return fail(NULL, path, oe, NULL);
    long n = atol(argv[2]);
    /* A dialogue names its author's own place (proto/record.md §5): a precinct's Polres and
     * Polsek; an HQ's Polres, with these Polsek names in turn. */
    static const char *places[] = {"Durenan", "Umbulsari", "Lumbang", "Sekar"};
    static const char *polres[] = {"Trenggalek", "Trenggalek", "Trenggalek", "Trenggalek"};
    uint8_t self[RONDA_KEY_BYTES];
    ronda_store_node(s, self);
    json_t *m = NULL;
    if (ronda_store_member(s, self, &m) != RONDA_OK || !json_is_string(json_object_get(m, "polres"))) {
        fprintf(stderr, "ronda-fill: %s is not admitted for a Polres\n", argv[1]);
        json_decref(m);
        ronda_store_close(&s);
        return 3;
    }
    static char own_polres[256], own_polsek[256];
    snprintf(own_polres, sizeof own_polres, "%s", json_string_value(json_object_get(m, "polres")));
    const char *ps = json_string_value(json_object_get(m, "polsek"));
    if (ps) snprintf(own_polsek, sizeof own_polsek, "%s", ps);
    json_decref(m);
    for (int k = 0; k < 4; k++) {
        polres[k] = own_polres;
        if (own_polsek[0]) places[k] = own_polsek;
    }
    static const char *const cats[] = {"traffic",   "social_problem",  "unrest", "aspiration",
                                       "criticism", "vulnerable_area", "other"};
    static const char *const progs[] = {"patroli_dialogis", "warkop", "curhat", "candu", "partnership"};
    static const char *const statuses[] = {"resolved", "referred", "in_progress"};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000u;
    int rc = 0;
    for (long i = 0; i < n && rc == 0; i++) {
        ronda_err e;
        if (i % FILL_BATCH == 0 && (e = ronda_store_begin(s)) != RONDA_OK) {
            rc = fail(s, "begin a batch", e, NULL);
            break;
        }
        /* one dialogue every ~1.6 minutes back from 2026-01-25 keeps 1,000,000 within 3 years */
        char when[32], summary[300];
        summary_of(i, summary, sizeof summary);
        time_format(1769306400000LL - (int64_t)i * 97000, 7 * 60, when);
        json_t *b = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:i}", "when", when, "title",
                              i % 1000 == 7 ? "Patroli Dialogis: warga melapor bahaya kebakaran lahan"
                                            : "Patroli Dialogis di warung kopi",
                              "venue", "Warung kopi dekat pasar", "polres", polres[i % 4], "polsek", places[i % 4],
                              "programme", progs[(i / 4) % 5], "topics", "category", cats[i % 7], "summary", summary,
                              "participants", (int)(i % 50) + 5);
        uint8_t *body = NULL;
        size_t len;
        ronda_detail d;
        uint8_t id[RONDA_ID_BYTES];
        d.text[0] = '\0';
        char what[64];
        snprintf(what, sizeof what, "record %ld", i);
        if ((e = ronda_body_from_json(RONDA_KIND_DIALOGUE, b, &body, &len, &d)) != RONDA_OK ||
            (e = ronda_store_append(s, sk, RONDA_KIND_DIALOGUE, body, len, now, id, &d)) != RONDA_OK)
            rc = fail(s, what, e, &d);
        free(body);
        json_decref(b);
        if (rc == 0 && followups && i % 3 == 0) {
            char hex[2 * RONDA_ID_BYTES + 1], rwhen[32];
            ronda_hex(id, sizeof id, hex);
            time_format(1769306400000LL - (int64_t)i * 97000 + (int64_t)(i % 40 + 1) * 86400000, 7 * 60, rwhen);
            const char *st = statuses[(i / 3) % 3];
            json_t *r = json_pack("{s:s, s:i, s:s, s:s, s:s}", "dialogue", hex, "topic", 0, "status", st, "action",
                                  "Koordinasi dengan perangkat desa", "when", rwhen);
            if (strcmp(st, "referred") == 0) json_object_set_new(r, "referred_to", json_string("Dinas Perhubungan"));
            body = NULL;
            d.text[0] = '\0';
            snprintf(what, sizeof what, "resolution of record %ld", i);
            if ((e = ronda_body_from_json(RONDA_KIND_RESOLUTION, r, &body, &len, &d)) != RONDA_OK ||
                (e = ronda_store_append(s, sk, RONDA_KIND_RESOLUTION, body, len, now, NULL, &d)) != RONDA_OK)
                rc = fail(s, what, e, &d);
            free(body);
            json_decref(r);
        }
        if (rc == 0 && (i % FILL_BATCH == FILL_BATCH - 1 || i == n - 1) && (e = ronda_store_commit(s)) != RONDA_OK)
            rc = fail(s, "commit of a batch (its records were not stored)", e, NULL);
    }
    sodium_memzero(sk, sizeof sk);
    ronda_store_close(&s);
    return rc;
}
