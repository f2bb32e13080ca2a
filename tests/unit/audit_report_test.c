/* The report's words and page (src/cli/audit_report.c) for findings no mutation of the CLI
 * tests makes here: a view finding (the views disagree with the records) shows the tampered
 * text beside what the signed record says, in both languages; text from the ledger (an
 * insider's) is escaped on the page, never markup. */
#include <stdlib.h>
#include <string.h>

#include "cli/audit_report.h"
#include "fixtures.h"

static json_t *view_finding(void) {
    json_t *f = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s?, s:s, s:i, s:s, s:s, s:s, s:s}", "what", "view", "error",
                          "view", "rowid", 0, "id", "3e0f536f60db3e0f536f60db3e0f536f60db3e0f536f60db3e0f536f60db3e0f",
                          "author", "0b8a62b2f72b0b8a62b2f72b0b8a62b2f72b0b8a62b2f72b0b8a62b2f72b0b8a", "author_name",
                          "Polsek Durenan", "detail", "dialogues.participants differs", "seq", 1, "dialogue",
                          "3e0f536f60db3e0f536f60db3e0f536f60db3e0f536f60db3e0f536f60db3e0f", "field", "participants",
                          "records_value", "64", "view_value", "999 <b>");
    json_t *cx = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:i}}", "dialogue", "title",
                           "Candu <script>alert(1)</script>", "polres", "Trenggalek", "polsek", "Durenan", "when",
                           "2025-05-03T19:30:00+07:00", "from", "records", "record", "kind", "dialogue", "seq", 1);
    json_object_set_new(f, "context", cx);
    return f;
}

static void test_view_finding_beside(void **state) {
    (void)state;
    audit_zone z = {"WIT", 9 * 60};
    json_t *f = view_finding();
    audit_plain(f, &z);
    json_t *p = json_object_get(json_object_get(f, "plain"), "id");
    assert_string_equal(json_string_value(json_object_get(p, "wrong")),
                        "Tampilan menyebut participants \"999 <b>\"; catatan bertanda tangan menyebut \"64\".");
    assert_non_null(
        strstr(json_string_value(json_object_get(p, "subject")), "(Polsek Durenan, Polres Trenggalek, 3 Mei 2025)"));
    assert_non_null(strstr(json_string_value(json_object_get(p, "next")), "ronda rebuild"));
    json_t *findings = json_pack("[o]", f);
    json_t *report =
        json_pack("{s:b, s:s, s:I, s:s, s:o, s:[], s:{}, s:[]}", "ok", 0, "source", "node directory hq", "audited_ms",
                  (json_int_t)FX_T0, "digest", "00", "findings", findings, "chains", "by_polres", "excluded_records");
    json_object_set_new(report, "classes", audit_classes(findings));
    char *page = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&page, &len);
    assert_non_null(m);
    audit_write_html(m, "node directory hq", report, &z, "id");
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
    json_decref(report);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_view_finding_beside)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
