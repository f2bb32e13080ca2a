/* `ronda report`: the HQ report over the merged ledger (ronda_store_report), as a text
 * table, JSON or CSV. The HTTP API's /api/report serves the same JSON. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ronda/report.h"

static const char report_help[] =
    "usage: ronda report [--dir DIR] [--by polres|polsek|programme|month] [--polres P] [--polsek S]\n"
    "                    [--programme NAME] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--overdue-days N]\n"
    "                    [--json | --csv]\n"
    "\n"
    "Per group (default: per Polres): dialogues held, participants, topics by category,\n"
    "follow-ups open (none yet) / in progress / referred (and to whom) / resolved, the median\n"
    "days from dialogue to resolution, and follow-ups still open or in progress more than\n"
    "--overdue-days (default 30) after their dialogue. Dates are the dialogues' local dates,\n"
    "inclusive. Records written after their author's revocation are not counted.\n";

static const char *const categories[] = {"vulnerable_area", "social_problem", "traffic", "unrest",
                                         "criticism",       "aspiration",     "other",   NULL};

static json_int_t num(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

/* A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
static void csv_field(const char *v) {
    if (!v) v = "";
    if (!strpbrk(v, ",\"\r\n")) {
        fputs(v, stdout);
        return;
    }
    putchar('"');
    for (; *v; v++) {
        if (*v == '"') putchar('"');
        putchar(*v);
    }
    putchar('"');
}

static void group_name(json_t *g, const char *by, char *out, size_t len) {
    if (strcmp(by, "polsek") == 0)
        snprintf(out, len, "%s / %s", json_string_value(json_object_get(g, "polres")),
                 json_string_value(json_object_get(g, "polsek")));
    else
        snprintf(out, len, "%s",
                 json_string_value(json_object_get(g, by)) ? json_string_value(json_object_get(g, by)) : "TOTAL");
}

static void print_median(json_t *g) {
    json_t *m = json_object_get(g, "median_days_to_resolution");
    if (json_is_number(m))
        printf("%8.1f", json_number_value(m));
    else
        printf("%8s", "-");
}

static void text_row(json_t *g, const char *name) {
    json_t *f = json_object_get(g, "followups");
    printf("%-34.34s %9lld %7lld %6lld %6lld %6lld %8lld %8lld ", name, (long long)num(g, "dialogues"),
           (long long)num(g, "participants"), (long long)num(g, "topics"), (long long)num(f, "open"),
           (long long)num(f, "in_progress"), (long long)num(f, "referred"), (long long)num(f, "resolved"));
    print_median(g);
    printf(" %7lld\n", (long long)num(g, "overdue"));
    const char *k;
    json_t *v;
    int first = 1;
    json_object_foreach(json_object_get(g, "categories"), k, v) {
        printf("%s%s %lld", first ? "    topics: " : ", ", k, (long long)json_integer_value(v));
        first = 0;
    }
    if (!first) putchar('\n');
    first = 1;
    json_object_foreach(json_object_get(g, "referred_to"), k, v) {
        printf("%s%s (%lld)", first ? "    referred to: " : "; ", k, (long long)json_integer_value(v));
        first = 0;
    }
    if (!first) putchar('\n');
}

static void csv_row(json_t *g, const char *by) {
    if (strcmp(by, "polsek") == 0) {
        csv_field(json_string_value(json_object_get(g, "polres")));
        putchar(',');
        csv_field(json_string_value(json_object_get(g, "polsek")));
    } else {
        csv_field(json_string_value(json_object_get(g, by)) ? json_string_value(json_object_get(g, by)) : "TOTAL");
    }
    json_t *f = json_object_get(g, "followups");
    printf(",%lld,%lld,%lld", (long long)num(g, "dialogues"), (long long)num(g, "participants"),
           (long long)num(g, "topics"));
    for (int i = 0; categories[i]; i++)
        printf(",%lld", (long long)num(json_object_get(g, "categories"), categories[i]));
    printf(",%lld,%lld,%lld,%lld,", (long long)num(f, "open"), (long long)num(f, "in_progress"),
           (long long)num(f, "referred"), (long long)num(f, "resolved"));
    /* referred_to as "name=count;name=count" in one field */
    char buf[4096];
    size_t o = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(g, "referred_to"), k, v) {
        int w = snprintf(buf + o, sizeof buf - o, "%s%s=%lld", o ? ";" : "", k, (long long)json_integer_value(v));
        if (w < 0 || (size_t)w >= sizeof buf - o) break;
        o += (size_t)w;
    }
    buf[o] = '\0';
    csv_field(buf);
    json_t *m = json_object_get(g, "median_days_to_resolution");
    if (json_is_number(m))
        printf(",%.1f", json_number_value(m));
    else
        printf(",");
    printf(",%lld\n", (long long)num(g, "overdue"));
}

int cmd_report(int argc, char **argv) {
    const char *dir = NULL, *by_s = NULL, *overdue_s = NULL;
    int as_json = 0, as_csv = 0;
    ronda_filter f;
    memset(&f, 0, sizeof f);
    const opt opts[] = {{"dir", OPT_STR, &dir},
                        {"by", OPT_STR, &by_s},
                        {"polres", OPT_STR, &f.polres},
                        {"polsek", OPT_STR, &f.polsek},
                        {"programme", OPT_STR, &f.programme},
                        {"from", OPT_STR, &f.date_from},
                        {"to", OPT_STR, &f.date_to},
                        {"overdue-days", OPT_STR, &overdue_s},
                        {"json", OPT_FLAG, &as_json},
                        {"csv", OPT_FLAG, &as_csv}};
    const char *pos[1];
    size_t npos;
    int rc = cli_parse("report", report_help, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, &npos);
    if (rc >= 0) return rc;
    if (as_json && as_csv) return cli_usage("report", "choose one of --json and --csv");
    ronda_report_by by = RONDA_REPORT_BY_POLRES;
    if (by_s && ronda_report_by_parse(by_s, &by) != RONDA_OK)
        return cli_usage("report", "--by is one of polres polsek programme month (got \"%s\")", by_s);
    unsigned overdue = 30;
    if (overdue_s) {
        char *end;
        unsigned long v = strtoul(overdue_s, &end, 10);
        if (!*overdue_s || *end || v > RONDA_OVERDUE_DAYS_MAX)
            return cli_usage("report", "--overdue-days must be 0..%u", RONDA_OVERDUE_DAYS_MAX);
        overdue = (unsigned)v;
    }
    ronda_detail d = {{0}};
    if (ronda_filter_check(&f, &d) != RONDA_OK) return cli_usage("report", "%s", d.text);
    node n;
    if ((rc = node_open(&n, cli_dir(dir), 0)) != EXIT_OK) return rc;
    json_t *r = NULL;
    ronda_err e = ronda_store_report(n.store, &f, by, overdue, (int64_t)cli_now_ms(), &r);
    node_close(&n);
    if (e == RONDA_ERR_TOO_BIG)
        return cli_fail(EXIT_REFUSED, "report", e, NULL, "more groups than RONDA_REPORT_GROUPS_MAX: narrow the filter");
    if (e != RONDA_OK) return cli_fail(EXIT_ENV, "report", e, NULL, NULL);
    const char *bys = ronda_report_by_name(by);
    json_t *groups = json_object_get(r, "groups"), *g;
    size_t i;
    if (as_json) {
        cli_print_json(r, 1);
    } else if (as_csv) {
        printf("%s", strcmp(bys, "polsek") == 0 ? "polres,polsek" : bys);
        printf(",dialogues,participants,topics");
        for (int k = 0; categories[k]; k++) printf(",%s", categories[k]);
        printf(",open,in_progress,referred,resolved,referred_to,median_days_to_resolution,overdue\n");
        json_array_foreach(groups, i, g) csv_row(g, bys);
        csv_row(json_object_get(r, "total"), bys);
    } else {
        printf("%-34s %9s %7s %6s %6s %6s %8s %8s %8s %7s\n", bys, "dialogues", "people", "topics", "open", "in-pr",
               "referred", "resolved", "med.days", "overdue");
        char name[400];
        json_array_foreach(groups, i, g) {
            group_name(g, bys, name, sizeof name);
            text_row(g, name);
        }
        text_row(json_object_get(r, "total"), "TOTAL");
        printf("(open: no follow-up yet; overdue: open or in progress more than %u days after the dialogue)\n",
               overdue);
    }
    json_decref(r);
    return EXIT_OK;
}
