/* The report's words, JSON and page (src/cli/audit_report.c) for findings no mutation of the CLI
 * tests makes here: a view finding (the views disagree with the records) shows the tampered
 * text beside what the signed record says, in both languages; text from the ledger (an
 * insider's) is escaped on the page, never markup. */
#include <stdlib.h>
#include <string.h>

#include "cli/audit_report.h"
#include "fixtures.h"

/* A report (the model) with one view finding, as ronda_audit_report_build leaves it. */
static ronda_audit_report *view_report(void) {
    ronda_audit_report *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->audited_ms = FX_T0;
    r->audited = 1;
    r->findings = calloc(1, sizeof *r->findings);
    r->nfindings = 1;
    ronda_report_finding *x = &r->findings[0];
    x->f.kind = RONDA_FINDING_VIEW;
    x->f.what = ronda_finding_kind_name(x->f.kind);
    x->f.err = RONDA_ERR_VIEW;
    memset(x->f.id, 0x3e, sizeof x->f.id);
    memset(x->f.author, 0x0b, sizeof x->f.author);
    x->f.seq = 1;
    snprintf(x->f.detail, sizeof x->f.detail, "dialogues.participants differs");
    x->f.has_dialogue = 1;
    memset(x->f.dialogue, 0x3e, sizeof x->f.dialogue);
    x->f.field = strdup("participants");
    x->f.records_value = strdup("64");
    x->f.view_value = strdup("999 <b>");
    x->author_name = strdup("Polsek Durenan");
    x->chain = RONDA_REPORT_NO_CHAIN;
    static ronda_dialogue_ref dlg = {.title = "Candu <script>alert(1)</script>",
                                     .polres = "Trenggalek",
                                     .polsek = "Durenan",
                                     .when = "2025-05-03T19:30:00+07:00",
                                     .from = "records"};
    memset(dlg.id, 0x3e, sizeof dlg.id);
    x->context = calloc(1, sizeof *x->context);
    assert_non_null(x->context);
    x->context->dialogue = &dlg; /* the context's strings are the library's: these are static */
    x->context->record = 1;
    x->context->kind = RONDA_KIND_DIALOGUE;
    x->context->seq = 1;
    x->context->held = "ledger";
    r->by_kind[RONDA_FINDING_VIEW] = 1;
    return r;
}

static void test_view_finding_beside(void **state) {
    (void)state;
    audit_zone z = {"WIT", 9 * 60};
    ronda_audit_report *r = view_report();
    json_t *doc = audit_report_json(r, "node directory hq", "2026-01-01T07:00:00+07:00", &z, "id");
    assert_non_null(doc);
    json_t *f = json_array_get(json_object_get(doc, "findings"), 0);
    assert_string_equal(json_string_value(json_object_get(f, "what")), "view");
    json_t *p = json_object_get(json_object_get(f, "plain"), "id");
    assert_string_equal(json_string_value(json_object_get(p, "wrong")),
                        "Tampilan menyebut participants \"999 <b>\"; catatan bertanda tangan menyebut \"64\".");
    assert_non_null(
        strstr(json_string_value(json_object_get(p, "subject")), "(Polsek Durenan, Polres Trenggalek, 3 Mei 2025)"));
    assert_non_null(strstr(json_string_value(json_object_get(p, "next")), "ronda rebuild"));
    json_t *cl = json_array_get(json_object_get(doc, "classes"), 0);
    assert_string_equal(json_string_value(json_object_get(cl, "class")), "view");
    assert_int_equal(json_integer_value(json_object_get(cl, "count")), 1);
    char *page = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&page, &len);
    assert_non_null(m);
    audit_write_html(m, "node directory hq", r, doc, &z, "id");
    fclose(m);
    assert_non_null(strstr(page, "<span class=\"l-id\">Tampilan berbeda dari catatan (1)</span>"));
    assert_non_null(strstr(page, "<td class=\"signed\">64</td><td class=\"tampered\">999 &lt;b&gt;</td>"));
    assert_non_null(strstr(page, "<td>participants</td>"));
    /* the ledger's text is text: no tag of it reaches the page */
    assert_null(strstr(page, "<script>alert"));
    assert_null(strstr(page, "<b>"));
    assert_non_null(strstr(page, "Candu &lt;script&gt;alert(1)&lt;/script&gt;"));
    /* FX_T0 is 2026-01-01T00:00Z: 09:00 WIT */
    assert_non_null(strstr(page, "1 Jan 2026 09:00 WIT"));
    free(page);
    json_decref(doc);
    ronda_audit_report_destroy(&r);
    assert_null(r);
}

/* Bytes from the ledger that are no UTF-8 (a view an insider filled, a detail cut in the
 * middle of a character) stay in the report, as '?': never a finding dropped from the JSON
 * (which would shift the words and cards of every finding after it). */
static void test_not_utf8_kept(void **state) {
    (void)state;
    audit_zone z = {"WIB", 7 * 60};
    ronda_audit_report *r = view_report();
    free((char *)r->findings[0].f.view_value);
    r->findings[0].f.view_value = strdup("99\xff"
                                         "9");
    snprintf(r->findings[0].f.detail, sizeof r->findings[0].f.detail, "cut \xe2\x80");
    json_t *doc = audit_report_json(r, "node directory hq", "now", &z, "en");
    assert_non_null(doc);
    json_t *f = json_array_get(json_object_get(doc, "findings"), 0);
    assert_non_null(f);
    assert_string_equal(json_string_value(json_object_get(f, "view_value")), "99?9");
    assert_string_equal(json_string_value(json_object_get(f, "detail")), "cut ??");
    assert_non_null(json_object_get(f, "plain"));
    json_decref(doc);
    ronda_audit_report_destroy(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_view_finding_beside),
                                       cmocka_unit_test(test_not_utf8_kept)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
