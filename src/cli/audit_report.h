/* The auditor's report of `ronda audit` in plain words (audit_report.c): each finding said in
 * Bahasa Indonesia and English, findings grouped by class, and the self-contained HTML page. */
#ifndef RONDA_CLI_AUDIT_REPORT_H
#define RONDA_CLI_AUDIT_REPORT_H

#include <stdio.h>
#include <jansson.h>

/* How the report shows times: a zone of the dashboard (WIB, WITA, WIT) and its offset. */
typedef struct audit_zone {
    const char *name; /* "WIB", "WITA" or "WIT" */
    int offset_min;   /* from UTC */
} audit_zone;

/* Add "plain" ({"id": {...}, "en": {...}}: subject, wrong, meaning, next, and the lines of
 * "missing" and "versions" when there are any) to one finding of the report, from its
 * class, check and "context" (ronda_store_finding_context). */
void audit_plain(json_t *finding, const audit_zone *z);

/* The findings' classes in report order, each {class, count, title, explanation} with
 * title and explanation {"id": ..., "en": ...}. A new array. */
json_t *audit_classes(json_t *findings);

/* The plain words of one finding as indented lines for the terminal, in `lang` ("id", "en"). */
void audit_print_plain(FILE *out, json_t *finding, const char *lang);

/* The whole report as one self-contained page (inline CSS and script; no link, no network):
 * both languages in the page, `lang` shown first, a toggle; prints on A4. */
void audit_write_html(FILE *f, const char *source, json_t *report, const audit_zone *z, const char *lang);

#endif
