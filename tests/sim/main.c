/* ronda-sim's entry: options, the seeds run in worker processes, the tallies (sim.h). */
#include "sim.h"

/* Under AddressSanitizer: a smaller quarantine lets freed memory be reused sooner (the
 * default 256 MiB makes every SQLite allocation a fresh, faulted-in page and triples the run
 * time) and no malloc fill; detection of overflows and use-after-free is otherwise as usual.
 * ASAN_OPTIONS still overrides these. Unused without ASan. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=16:max_malloc_fill_size=0"; }

/* ------------------------------------------------------------------ many seeds */

typedef struct tally {
    unsigned passed, failed;
    uint64_t worst, worst_seed, records, msgs;
    uint64_t txn_crashes, txn_lost;
} tally;

/* Seeds o->seed + k for every k = first (mod stride). */
static void run_seeds(const opts *o, unsigned first, unsigned stride, tally *t) {
    for (unsigned k = first; k < o->seeds; k += stride) {
        result r;
        uint64_t seed = o->seed + k;
        if (run_seed(o, seed, &r)) {
            t->passed++;
            t->records += r.records;
            t->msgs += r.msgs;
            t->txn_crashes += r.txn_crashes;
            t->txn_lost += r.txn_lost;
            if (r.converged_ms > t->worst) {
                t->worst = r.converged_ms;
                t->worst_seed = seed;
            }
        } else {
            t->failed++;
        }
    }
}

/* --jobs N: N worker processes take every N-th seed (seeds are independent, so results do not
 * depend on N); each writes its report to a temp file, shown in worker order afterwards. */
static int run_jobs(const opts *o, tally *t) {
    pid_t pids[64];
    FILE *outs[64];
    int pipes[64][2];
    fflush(stdout);
    for (unsigned j = 0; j < o->jobs; j++) {
        if (!(outs[j] = tmpfile()) || pipe(pipes[j]) != 0) return -1;
        if ((pids[j] = fork()) < 0) return -1;
        if (pids[j] == 0) {
            if (dup2(fileno(outs[j]), STDOUT_FILENO) < 0) _exit(3);
            tally mine = {0, 0, 0, o->seed, 0, 0, 0, 0};
            run_seeds(o, j, o->jobs, &mine);
            fflush(stdout);
            ssize_t n = write(pipes[j][1], &mine, sizeof mine);
            exit(n == (ssize_t)sizeof mine ? 0 : 3);
        }
        close(pipes[j][1]);
    }
    int rc = 0;
    for (unsigned j = 0; j < o->jobs; j++) {
        tally mine;
        ssize_t n = read(pipes[j][0], &mine, sizeof mine);
        int status = 0;
        waitpid(pids[j], &status, 0);
        close(pipes[j][0]);
        if (n != (ssize_t)sizeof mine || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "ronda-sim: worker %u died (status %d)\n", j, status);
            rc = -1;
        } else {
            t->passed += mine.passed;
            t->failed += mine.failed;
            t->records += mine.records;
            t->msgs += mine.msgs;
            t->txn_crashes += mine.txn_crashes;
            t->txn_lost += mine.txn_lost;
            if (mine.worst > t->worst) {
                t->worst = mine.worst;
                t->worst_seed = mine.worst_seed;
            }
        }
        char buf[4096];
        size_t got;
        rewind(outs[j]);
        while ((got = fread(buf, 1, sizeof buf, outs[j])) > 0) fwrite(buf, 1, got, stdout);
        fclose(outs[j]);
    }
    return rc;
}

/* ------------------------------------------------------------------ main */

static int usage(void) {
    fprintf(stderr, "usage: ronda-sim [--seed N] [--seeds K] [--nodes N] [--steps S] [--drop P] [--dup P]\n"
                    "                 [--reorder P] [--burst N] [--rate R] [--clock-steps] [--verbose] [--keep]\n"
                    "       ronda-sim --selftest\n"
                    "  --seed N     first seed (default 1); alone, replays that one seed\n"
                    "  --seeds K    how many seeds from --seed (default 1)\n"
                    "  --nodes N    nodes per run, 2..64 (default 6); node 0 is the authority\n"
                    "  --steps S    active steps of 10 simulated ms before the network goes quiet (default 2000)\n"
                    "  --drop P     message drop probability (default 0.02)\n"
                    "  --dup P      message duplication probability (default 0.02)\n"
                    "  --reorder P  probability that a message leaves FIFO order (default 0.02)\n"
                    "  --burst N    largest burst of records one node writes at once (default 400; 0: none)\n"
                    "  --rate R     appends per node per simulated second (default 0.5)\n"
                    "  --restores P share of seeds that restore one node from an old backup (default 0)\n"
                    "  --jobs N     run seeds in N worker processes (default 1)\n"
                    "  --verbose    events and warnings (twice: core log lines; three times: messages)\n"
                    "  --keep       keep the stores of a failing seed\n"
                    "  --clock-steps  step nodes' wall clocks (back up to 3 h, forward up to 20 min) during the run\n");
    return 2;
}

int main(int argc, char **argv) {
    opts o = {1, 1, 6, 2000, 400, 1, 0.02, 0.02, 0.02, 0.5, 0, 0, 0, 0};
    int self = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(a, "--selftest") == 0)
            self = 1;
        else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
            o.verbose++;
        else if (strcmp(a, "--keep") == 0)
            o.keep = 1;
        else if (strcmp(a, "--clock-steps") == 0)
            o.clock_steps = 1;
        else if (!v)
            return usage();
        else {
            i++;
            if (strcmp(a, "--seed") == 0)
                o.seed = strtoull(v, &end, 10);
            else if (strcmp(a, "--seeds") == 0)
                o.seeds = (unsigned)strtoul(v, &end, 10);
            else if (strcmp(a, "--nodes") == 0)
                o.nodes = (unsigned)strtoul(v, &end, 10);
            else if (strcmp(a, "--steps") == 0)
                o.steps = (unsigned)strtoul(v, &end, 10);
            else if (strcmp(a, "--jobs") == 0)
                o.jobs = (unsigned)strtoul(v, &end, 10);
            else if (strcmp(a, "--burst") == 0)
                o.burst = (unsigned)strtoul(v, &end, 10);
            else if (strcmp(a, "--drop") == 0)
                o.drop = strtod(v, &end);
            else if (strcmp(a, "--dup") == 0)
                o.dup = strtod(v, &end);
            else if (strcmp(a, "--reorder") == 0)
                o.reorder = strtod(v, &end);
            else if (strcmp(a, "--rate") == 0)
                o.rate = strtod(v, &end);
            else if (strcmp(a, "--restores") == 0)
                o.restores = strtod(v, &end);
            else
                return usage();
            if (!end || *end) return usage();
        }
    }
    if (o.nodes < 2 || o.nodes > MAX_NODES || o.steps < 10 || o.seeds < 1 || o.drop < 0 || o.drop >= 1 || o.dup < 0 ||
        o.dup > 1 || o.reorder < 0 || o.reorder > 1 || o.rate < 0 || o.restores < 0 || o.restores > 1 || o.jobs < 1 ||
        o.jobs > 64)
        return usage();
    if (ronda_init() != RONDA_OK) return 3;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (self) return selftest(&o);
    tally t = {0, 0, 0, o.seed, 0, 0, 0, 0};
    if (o.jobs > 1 && o.seeds > 1) {
        if (run_jobs(&o, &t) != 0) return 3;
    } else {
        run_seeds(&o, 0, 1, &t);
    }
    unsigned passed = t.passed, failed = t.failed;
    uint64_t worst = t.worst, worst_seed = t.worst_seed, records = t.records, msgs = t.msgs;
    printf("sim: %u nodes, seeds %" PRIu64 "..%" PRIu64 ": %" PRIu64 " records written, %" PRIu64
           " messages; slowest convergence %" PRIu64 " ms after quiet (seed %" PRIu64 ")\n",
           o.nodes, o.seed, o.seed + o.seeds - 1, records, msgs, worst, worst_seed);
    printf("sim: %" PRIu64 " crashes in the middle of a transaction, %" PRIu64 " of them losing uncommitted records\n",
           t.txn_crashes, t.txn_lost);
    if (failed == 0)
        printf("sim: %u seeds passed\n", passed);
    else
        printf("sim: %u of %u seeds FAILED\n", failed, o.seeds);
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
