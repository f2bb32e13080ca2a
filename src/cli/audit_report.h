/* The renderers of the audit report (ronda/audit_report.h, the model): each finding said in
 * Bahasa Indonesia and English, findings grouped by class, the report as JSON, and the
 * self-contained HTML page (audit_report.c). The terminal's lines are in cmd_audit.c. */
#ifndef RONDA_CLI_AUDIT_REPORT_H
#define RONDA_CLI_AUDIT_REPORT_H

#include <stdio.h>
#include <jansson.h>

#include "ronda/ronda.h"

/* How the report shows times: a zone of the dashboard (WIB, WITA, WIT) and its offset. */
typedef struct audit_zone {
    const char *name; /* "WIB", "WITA" or "WIT" */
    int offset_min;   /* from UTC */
} audit_zone;

/* Add "plain" ({"id": {...}, "en": {...}}: subject, wrong, meaning, next, and the lines of
 * "missing" and "versions" when there are any) to one finding's JSON, from its kind, its
 * check ("error") and "context" (ronda_store_finding_context). */
void audit_plain(json_t *finding, ronda_finding_kind kind, const audit_zone *z);

/* The findings' classes in report order, each {class, count, title, explanation} with
 * title and explanation {"id": ..., "en": ...}. A new array. */
json_t *audit_classes(const ronda_audit_report *r);

/* The whole report as the JSON `ronda audit --json` prints (docs/audit.md): the model's
 * parts, each finding with its plain words. `source` and `audited_at` (the time in the
 * terminal's zone) are the caller's words. A new object (it borrows nothing from r). */
json_t *audit_report_json(const ronda_audit_report *r, const char *source, const char *audited_at, const audit_zone *z,
                          const char *lang);

/* The plain words of one finding as indented lines for the terminal, in `lang` ("id", "en"). */
void audit_print_plain(FILE *out, json_t *finding, const char *lang);

/* The whole report as one self-contained page (inline CSS and script; no link, no network):
 * both languages in the page, `lang` shown first, a toggle; prints on A4. The figures come
 * from `r`, each finding's card from the same finding of `doc` (audit_report_json: its
 * plain words and context); both borrowed. */
void audit_write_html(FILE *f, const char *source, const ronda_audit_report *r, json_t *doc, const audit_zone *z,
                      const char *lang);

#endif
