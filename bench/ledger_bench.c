/* ronda-bench: throughput and peak memory of the ledger's main paths, one phase per process.
 *
 * What it measures (one output line per phase: phase, records, seconds, records/s, peak RSS
 * in MB from getrusage(RUSAGE_SELF).ru_maxrss, CPU seconds of all the process's threads over
 * the timed part, and for import and verify the thread count):
 *
 *   append   N realistic dialogue records (about 300-500 bytes each, encoded) appended by one
 *            admitted precinct member with ronda_store_append: seal (Ed25519 sign), re-open
 *            (verify), roster and chain checks, insert, derived views and search index. With
 *            BATCH > 1 every BATCH appends share one transaction; with BATCH = 1 each append
 *            commits alone, and synchronous=FULL makes that one fsync per record. Body
 *            encoding (JSON to canonical msgpack) is done before the timer, a batch at a time.
 *   export   the whole ledger to a bundle file (ronda_bundle_export).
 *   import   that bundle into a fresh store of the same network: every record is checked
 *            exactly as the network checks it (verify-on-import), in one transaction.
 *   verify   ronda_store_verify over a whole store (signatures, ids, chains, membership,
 *            frontier digest).
 *   sodium   reference: raw libsodium Ed25519 sign and verify of a 300-byte message on one
 *            core, the ceiling for the phases above.
 *
 * Usage:
 *   ronda-bench append N DIR [BATCH]     (BATCH default 1000; 1 = one transaction per record)
 *   ronda-bench export DIR FILE
 *   ronda-bench import FILE DIR [THREADS] (THREADS default 0 = one per core)
 *   ronda-bench verify DIR [THREADS]
 *   ronda-bench sodium
 *   ronda-bench all N                    (every phase above, each a child process so that
 *                                         each peak RSS is its own, in a temporary directory
 *                                         under $TMPDIR or /tmp that is removed afterwards)
 *
 * `all` runs: sodium; append N (batches of 1000); append 2000 (one transaction each, in a
 * separate store); export of the N-record store; import with 1 thread; import with the
 * default thread count; verify of the second import. The record counts of export, import
 * and verify include the authority's one member record. Build with
 * -DCMAKE_BUILD_TYPE=Release and without sanitizers before quoting figures. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ronda/ronda.h"
#include "util/util.h"

#define DB_NAME "ronda.db"
#define CHUNK 1000u                /* bodies encoded ahead of the timer at a time */
#define SINGLE_RUN 2000ul          /* appends with one transaction each, in `all` */
#define SKEW_MS (10ull * 60000ull) /* membership starts this long before now, as the CLI does */
#define YEAR_MS (365ull * 24ull * 3600000ull)

/* ------------------------------------------------------------------ helpers */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of the whole process (all threads): less disturbed than wall time when the
 * machine is shared, and with it one sees how many cores a phase kept busy. */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static double peak_mb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

static unsigned cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1u;
}

/* The count the library uses for THREADS (0 = one per core, capped). */
static unsigned effective_threads(unsigned t) {
    if (t == 0) t = cores();
    return t > RONDA_VERIFY_THREADS_MAX ? RONDA_VERIFY_THREADS_MAX : t;
}

static void report(const char *phase, uint64_t records, double secs, double cpu, int threads) {
    printf("%-16s records=%-8llu seconds=%-9.3f records/s=%-9.0f peak_rss_mb=%-7.1f cpu_s=%.3f", phase,
           (unsigned long long)records, secs, secs > 0 ? (double)records / secs : 0.0, peak_mb(), cpu);
    if (threads > 0) printf(" threads=%d", threads);
    putchar('\n');
    fflush(stdout);
}

static int die(const char *what, ronda_err e, const ronda_detail *d) {
    fprintf(stderr, "ronda-bench: %s: %s%s%s\n", what, ronda_strerror(e), d && d->text[0] ? ": " : "",
            d ? d->text : "");
    return 1;
}

static int parse_count(const char *s, unsigned long *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end) return 0;
    *out = v;
    return 1;
}

static void db_path(char *out, size_t cap, const char *dir) { snprintf(out, cap, "%s/%s", dir, DB_NAME); }

/* ------------------------------------------------------------------ records */

typedef struct place {
    const char *polres;
    const char *polsek[4];
    const char *village[4];
} place;

/* East Java: a few Polres with Polsek and villages of their area. */
static const place places[] = {
    {"Trenggalek",
     {"Durenan", "Pogalan", "Watulimo", "Munjungan"},
     {"Kendalrejo", "Ngulankulon", "Prigi", "Bendoroto"}},
    {"Tulungagung",
     {"Kalidawir", "Ngunut", "Campurdarat", "Bandung"},
     {"Betak", "Pulotondo", "Gamping", "Suruhan Lor"}},
    {"Bojonegoro", {"Dander", "Kapas", "Sumberrejo", "Kedungadem"}, {"Ngulanan", "Bakalan", "Mejuwet", "Drokilo"}},
    {"Banyuwangi", {"Genteng", "Rogojampi", "Muncar", "Kalibaru"}, {"Kembiritan", "Gitik", "Kedungrejo", "Kajarharjo"}},
    {"Jember", {"Ambulu", "Puger", "Kalisat", "Tanggul"}, {"Sumberejo", "Grenden", "Sumberketempa", "Klatakan"}},
    {"Malang", {"Singosari", "Pakis", "Turen", "Dampit"}, {"Ardimulyo", "Asrikaton", "Talangsuko", "Majangtengah"}},
    {"Kediri", {"Pare", "Kandangan", "Ngadiluwih", "Wates"}, {"Tulungrejo", "Jerukgulung", "Banggle", "Segaran"}},
    {"Ponorogo", {"Sawoo", "Slahung", "Jetis", "Balong"}, {"Temon", "Galak", "Tegalsari", "Ngampel"}},
};
#define N_PLACES (sizeof places / sizeof places[0])

static const char *const programmes[] = {"candu", "warkop", "curhat", "patroli_dialogis", "partnership", "other"};
static const char *const titles[] = {
    "Cangkrukan dialog Kamtibmas", "Ngopi bareng warga", "Jumat Curhat", "Patroli dialogis",
    "Sambang kemitraan",           "Dialog warga"};
static const char *const venues[] = {"Balai desa",        "Warung kopi dekat pasar", "Serambi masjid",
                                     "Pos kamling RT 03", "Pendopo kecamatan",       "Halaman sekolah"};

typedef struct topic_text {
    const char *category;
    const char *summary;
} topic_text;

static const topic_text topics[] = {
    {"traffic", "Truk pasir lewat jalan desa saat jam sekolah"},
    {"social_problem", "Pemuda minum miras di pos ronda"},
    {"vulnerable_area", "Jalan tembus hutan jati rawan begal"},
    {"unrest", "Sengketa batas tanah antar dusun"},
    {"criticism", "Laporan pencurian ternak lambat ditangani"},
    {"aspiration", "Minta patroli pasar malam Minggu"},
    {"social_problem", "Judi online di kalangan pelajar"},
    {"traffic", "Balap liar tiap Sabtu dini hari"},
    {"other", "Hoaks menjelang pilkades"},
    {"vulnerable_area", "Tanggul sungai retak"},
};
#define N_TOPICS (sizeof topics / sizeof topics[0])

static const char *const officers[] = {"Aiptu Sugeng Riyadi", "Bripka Dewi Lestari", "Brigpol Ahmad Fauzi",
                                       "Aipda Budi Santoso", "Bripda Siti Rahayu"};
static const char *const stakeholders[] = {"Babinsa", "Kepala desa", "Tokoh agama", "Karang taruna", "Ketua RT"};

static uint64_t mix(uint64_t x) { /* splitmix64: deterministic variety per record */
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* The JSON body of dialogue number i. */
static json_t *dialogue_json(unsigned long i) {
    uint64_t r = mix(i);
    /* The one writing member is Polres Trenggalek's HQ, which may file only for its own Polres
     * (proto/record.md section 5): its Polsek vary, the other Polres give villages' names. */
    const place *p = &places[0];
    (void)N_PLACES;
    unsigned ps = (unsigned)((r >> 8) % 4), pg = (unsigned)((r >> 12) % 6);
    char when[RONDA_TIME_LEN + 1];
    /* dialogues every 10 minutes from 2025-01-01 08:00 WIB */
    time_format((int64_t)1735693200000ll + (int64_t)i * 600000ll, 7 * 60, when);
    json_t *t = json_array();
    unsigned nt = 1 + ((r >> 20) % 4 == 0); /* one topic, sometimes two */
    for (unsigned k = 0; k < nt; k++) {
        const topic_text *tt = &topics[(r >> (24 + 4 * k)) % N_TOPICS];
        json_array_append_new(t, json_pack("{s:s, s:s}", "category", tt->category, "summary", tt->summary));
    }
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:I}", "when", when, "title", titles[pg], "venue",
                  venues[(r >> 40) % 6], "polres", p->polres, "polsek", p->polsek[ps], "programme", programmes[pg],
                  "topics", t, "village", p->village[(r >> 16) % 4], "participants", (json_int_t)(8 + (r >> 44) % 113));
    if ((r >> 52) % 4 == 0) json_object_set_new(o, "officers", json_pack("[s]", officers[(r >> 53) % 5]));
    if ((r >> 56) % 4 == 1) json_object_set_new(o, "stakeholders", json_pack("[s]", stakeholders[(r >> 58) % 5]));
    return o;
}

static int encode(ronda_kind kind, json_t *j, uint8_t **out, size_t *len) {
    ronda_detail d = {{0}};
    ronda_err e = ronda_body_from_json(kind, j, out, len, &d);
    json_decref(j);
    return e == RONDA_OK ? 0 : die("body", e, &d);
}

/* ------------------------------------------------------------------ phases */

/* A new store in dir, its authority admitting one hq member (Polres Trenggalek) as the CLI's
 * `authority admit` does; *s is the open store, member_sk the member's secret key. */
static int setup(const char *dir, ronda_store **s, uint8_t member_sk[RONDA_SECRET_BYTES]) {
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "ronda-bench: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    uint8_t auth_pk[32], auth_sk[RONDA_SECRET_BYTES], pk[32], curve_pk[32], curve_sk[32];
    crypto_sign_keypair(auth_pk, auth_sk);
    crypto_sign_keypair(pk, member_sk);
    crypto_box_keypair(curve_pk, curve_sk);
    char path[PATH_MAX];
    db_path(path, sizeof path, dir);
    ronda_err e = ronda_store_create(path, auth_pk, pk, s);
    if (e != RONDA_OK) return die(path, e, NULL);
    char sk_hex[65], ck_hex[65];
    ronda_hex(pk, 32, sk_hex);
    ronda_hex(curve_pk, 32, ck_hex);
    uint64_t now = wall_ms();
    json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "name", "Polres Trenggalek", "role", "hq", "sign_key",
                          sk_hex, "curve_key", ck_hex, "valid_from", (json_int_t)(now - SKEW_MS), "valid_until",
                          (json_int_t)(now + YEAR_MS), "polres", "Trenggalek");
    uint8_t *body;
    size_t len;
    if (encode(RONDA_KIND_MEMBER, m, &body, &len) != 0) return 1;
    ronda_detail d = {{0}};
    e = ronda_store_append(*s, auth_sk, RONDA_KIND_MEMBER, body, len, now, NULL, &d);
    free(body);
    sodium_memzero(auth_sk, sizeof auth_sk);
    sodium_memzero(curve_sk, sizeof curve_sk);
    return e == RONDA_OK ? 0 : die("admit", e, &d);
}

static int phase_append(unsigned long n, const char *dir, unsigned long batch) {
    ronda_store *s = NULL;
    uint8_t sk[RONDA_SECRET_BYTES];
    if (batch == 0 || setup(dir, &s, sk) != 0) return 1;
    uint8_t *bodies[CHUNK];
    size_t lens[CHUNK];
    double spent = 0, cpu = 0;
    int rc = 0;
    for (unsigned long done = 0; done < n && rc == 0;) {
        unsigned m = n - done < CHUNK ? (unsigned)(n - done) : CHUNK;
        for (unsigned k = 0; k < m; k++) /* untimed: the application's encoding */
            if (encode(RONDA_KIND_DIALOGUE, dialogue_json(done + k), &bodies[k], &lens[k]) != 0) return 1;
        double t0 = now_s(), c0 = cpu_s();
        for (unsigned k = 0; k < m && rc == 0; k++) {
            unsigned long i = done + k;
            ronda_err e;
            if (batch > 1 && i % batch == 0 && (e = ronda_store_begin(s)) != RONDA_OK) rc = die("begin", e, NULL);
            ronda_detail d = {{0}};
            if (rc == 0 && (e = ronda_store_append(s, sk, RONDA_KIND_DIALOGUE, bodies[k], lens[k], wall_ms(), NULL,
                                                   &d)) != RONDA_OK)
                rc = die("append", e, &d);
            if (rc == 0 && batch > 1 && (i % batch == batch - 1 || i == n - 1) &&
                (e = ronda_store_commit(s)) != RONDA_OK)
                rc = die("commit", e, NULL);
        }
        spent += now_s() - t0;
        cpu += cpu_s() - c0;
        for (unsigned k = 0; k < m; k++) free(bodies[k]);
        done += m;
    }
    sodium_memzero(sk, sizeof sk);
    ronda_store_close(&s);
    if (rc == 0) {
        char phase[40];
        if (batch > 1)
            snprintf(phase, sizeof phase, "append-batch%lu", batch);
        else
            snprintf(phase, sizeof phase, "append-single");
        report(phase, n, spent, cpu, 0);
    }
    return rc;
}

static int phase_export(const char *dir, const char *file) {
    char path[PATH_MAX];
    db_path(path, sizeof path, dir);
    ronda_store *s;
    ronda_err e = ronda_store_open(path, NULL, &s);
    if (e != RONDA_OK) return die(path, e, NULL);
    FILE *out = fopen(file, "wb");
    if (!out) {
        ronda_store_close(&s);
        fprintf(stderr, "ronda-bench: cannot write %s: %s\n", file, strerror(errno));
        return 1;
    }
    ronda_bundle_header h;
    double t0 = now_s(), c0 = cpu_s();
    e = ronda_bundle_export(s, out, wall_ms(), &h);
    int closed = fclose(out);
    double secs = now_s() - t0, cpu = cpu_s() - c0;
    ronda_store_close(&s);
    if (e != RONDA_OK || closed != 0) return die("export", e != RONDA_OK ? e : RONDA_ERR_IO, NULL);
    report("export", h.records + h.forks, secs, cpu, 0);
    struct stat st;
    if (stat(file, &st) == 0 && h.records > 0)
        printf("%-16s bytes=%lld bytes/record=%.0f\n", "bundle", (long long)st.st_size,
               (double)st.st_size / (double)h.records);
    return 0;
}

static int phase_import(const char *file, const char *dir, unsigned threads) {
    FILE *in = fopen(file, "rb");
    if (!in) {
        fprintf(stderr, "ronda-bench: cannot read %s: %s\n", file, strerror(errno));
        return 1;
    }
    ronda_bundle_header h;
    ronda_detail d = {{0}};
    ronda_err e = ronda_bundle_read_header(in, &h, &d);
    if (e != RONDA_OK || fseek(in, 0, SEEK_SET) != 0) {
        fclose(in);
        return die("bundle header", e, &d);
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fclose(in);
        fprintf(stderr, "ronda-bench: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    uint8_t node_pk[32], node_sk[RONDA_SECRET_BYTES];
    crypto_sign_keypair(node_pk, node_sk);
    sodium_memzero(node_sk, sizeof node_sk);
    char path[PATH_MAX];
    db_path(path, sizeof path, dir);
    ronda_store *s;
    if ((e = ronda_store_create(path, h.authority, node_pk, &s)) != RONDA_OK) {
        fclose(in);
        return die(path, e, NULL);
    }
    ronda_import_result res;
    double t0 = now_s(), c0 = cpu_s();
    e = ronda_bundle_import(s, in, threads, NULL, NULL, &res);
    double secs = now_s() - t0, cpu = cpu_s() - c0;
    fclose(in);
    ronda_store_close(&s);
    if (e != RONDA_OK) {
        fprintf(stderr, "ronda-bench: import refused record %llu\n", (unsigned long long)res.failed_index);
        return die("import", e, &res.detail);
    }
    if (res.stored != res.read) {
        fprintf(stderr, "ronda-bench: import stored %llu of %llu records\n", (unsigned long long)res.stored,
                (unsigned long long)res.read);
        return 1;
    }
    report("import", res.read, secs, cpu, (int)effective_threads(threads));
    return 0;
}

static void count_finding(void *ctx, const ronda_finding *f) {
    (void)f;
    ++*(unsigned long *)ctx;
}

static int phase_verify(const char *dir, unsigned threads) {
    char path[PATH_MAX];
    db_path(path, sizeof path, dir);
    ronda_store *s;
    ronda_err e = ronda_store_open(path, NULL, &s);
    if (e != RONDA_OK) return die(path, e, NULL);
    ronda_verify_summary sum;
    unsigned long findings = 0;
    double t0 = now_s(), c0 = cpu_s();
    e = ronda_store_verify(s, threads, count_finding, &findings, &sum);
    double secs = now_s() - t0, cpu = cpu_s() - c0;
    ronda_store_close(&s);
    if (e != RONDA_OK) return die("verify", e, NULL);
    if (sum.findings > 0) {
        fprintf(stderr, "ronda-bench: verify found %llu problems\n", (unsigned long long)sum.findings);
        return 1;
    }
    report("verify", sum.records, secs, cpu, (int)effective_threads(threads));
    return 0;
}

/* Raw libsodium Ed25519 on one core, for a 300-byte message: about a second each. */
static int phase_sodium(void) {
    uint8_t pk[32], sk[64], msg[300], sig[64];
    crypto_sign_keypair(pk, sk);
    randombytes_buf(msg, sizeof msg);
    unsigned long n = 0;
    double t0 = now_s(), secs;
    do {
        for (int k = 0; k < 256; k++, n++) {
            msg[0] = (uint8_t)n;
            crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
        }
    } while ((secs = now_s() - t0) < 1.0);
    printf("%-16s ops=%-12lu seconds=%-9.3f ops/s=%.0f (Ed25519, 300-byte message, 1 core, libsodium %s)\n",
           "sodium-sign", n, secs, (double)n / secs, sodium_version_string());
    unsigned long ok = 0;
    n = 0;
    t0 = now_s();
    do {
        for (int k = 0; k < 256; k++, n++) ok += crypto_sign_verify_detached(sig, msg, sizeof msg, pk) == 0;
    } while ((secs = now_s() - t0) < 1.0);
    printf("%-16s ops=%-12lu seconds=%-9.3f ops/s=%.0f (Ed25519, 300-byte message, 1 core)\n", "sodium-verify", n, secs,
           (double)n / secs);
    fflush(stdout);
    sodium_memzero(sk, sizeof sk);
    return ok == n ? 0 : 1;
}

/* ------------------------------------------------------------------ all */

static int run_child(const char *self, char *const args[]) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("ronda-bench: fork");
        return 1;
    }
    if (pid == 0) {
        execv(self, args);
        perror("ronda-bench: exec");
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return 1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "ronda-bench: phase %s failed\n", args[1]);
        return 1;
    }
    return 0;
}

/* Remove a directory tree of plain files and directories. */
static void remove_tree(const char *path) {
    DIR *d = opendir(path);
    if (d) {
        struct dirent *ent;
        while ((ent = readdir(d)) != NULL) {
            if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
            char sub[PATH_MAX];
            snprintf(sub, sizeof sub, "%s/%s", path, ent->d_name);
            struct stat st;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(sub);
            else
                unlink(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

static int phase_all(const char *self, const char *n) {
    const char *tmp = getenv("TMPDIR");
    char root[PATH_MAX];
    snprintf(root, sizeof root, "%s/ronda-bench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root)) {
        perror("ronda-bench: mkdtemp");
        return 1;
    }
    char a[PATH_MAX + 8], b[PATH_MAX + 8], c[PATH_MAX + 8], dd[PATH_MAX + 8], bundle[PATH_MAX + 16];
    snprintf(a, sizeof a, "%s/a", root);
    snprintf(b, sizeof b, "%s/b", root);
    snprintf(c, sizeof c, "%s/c", root);
    snprintf(dd, sizeof dd, "%s/d", root);
    snprintf(bundle, sizeof bundle, "%s/ledger.bundle", root);
    char single[24];
    snprintf(single, sizeof single, "%lu", SINGLE_RUN);
    char *p = (char *)self;
    char *plans[][6] = {
        {p, "sodium", NULL},
        {p, "append", (char *)n, a, "1000", NULL},
        {p, "append", single, b, "1", NULL},
        {p, "export", a, bundle, NULL},
        {p, "import", bundle, c, "1", NULL},
        {p, "import", bundle, dd, "0", NULL},
        {p, "verify", dd, "0", NULL},
    };
    double load[3] = {0, 0, 0};
    FILE *la = fopen("/proc/loadavg", "r"); /* context for the figures on a shared machine */
    if (la) {
        if (fscanf(la, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = load[1] = load[2] = 0;
        fclose(la);
    }
    printf("ronda-bench all: N=%s, %u cores, load average %.2f %.2f %.2f, phases in separate processes\n", n, cores(),
           load[0], load[1], load[2]);
    int rc = 0;
    for (size_t i = 0; i < sizeof plans / sizeof plans[0] && rc == 0; i++) rc = run_child(self, plans[i]);
    remove_tree(root);
    return rc;
}

/* ------------------------------------------------------------------ main */

static int usage(void) {
    fputs("usage: ronda-bench append N DIR [BATCH]\n"
          "       ronda-bench export DIR FILE\n"
          "       ronda-bench import FILE DIR [THREADS]\n"
          "       ronda-bench verify DIR [THREADS]\n"
          "       ronda-bench sodium\n"
          "       ronda-bench all N\n",
          stderr);
    return 2;
}

int main(int argc, char **argv) {
    if (ronda_init() != RONDA_OK) {
        fprintf(stderr, "ronda-bench: cannot initialise libsodium\n");
        return 1;
    }
    if (argc < 2) return usage();
    const char *cmd = argv[1];
    unsigned long n = 0, t = 0;
    if (strcmp(cmd, "append") == 0 && (argc == 4 || argc == 5) && parse_count(argv[2], &n) && n > 0) {
        unsigned long batch = 1000;
        if (argc == 5 && (!parse_count(argv[4], &batch) || batch == 0)) return usage();
        return phase_append(n, argv[3], batch);
    }
    if (strcmp(cmd, "export") == 0 && argc == 4) return phase_export(argv[2], argv[3]);
    if (strcmp(cmd, "import") == 0 && (argc == 4 || argc == 5)) {
        if (argc == 5 && !parse_count(argv[4], &t)) return usage();
        return phase_import(argv[2], argv[3], (unsigned)t);
    }
    if (strcmp(cmd, "verify") == 0 && (argc == 3 || argc == 4)) {
        if (argc == 4 && !parse_count(argv[3], &t)) return usage();
        return phase_verify(argv[2], (unsigned)t);
    }
    if (strcmp(cmd, "sodium") == 0 && argc == 2) return phase_sodium();
    if (strcmp(cmd, "all") == 0 && argc == 3 && parse_count(argv[2], &n) && n > 0) {
        char self[PATH_MAX];
        ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
        if (len > 0)
            self[len] = '\0';
        else
            snprintf(self, sizeof self, "%s", argv[0]);
        return phase_all(self, argv[2]);
    }
    return usage();
}
