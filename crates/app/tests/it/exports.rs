//! Exports of list pages as their user sees them: the workbook holds every row of every page of
//! the list (not only the page on screen), with the filters and the caller's scope applied and
//! coded values by name; jobs are their starter's only; pages outside the application are refused.

use std::time::Duration;

use crate::helpers::{Places, TestApp, Ui};

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

/// Starts an export of `table` on `page` and waits for its job; the job's id and the workbook's rows.
async fn export(ui: &Ui, page: &str, table: &str) -> (String, Vec<Vec<String>>) {
    let from: String = form_urlencoded::byte_serialize(page.as_bytes()).collect();
    let (status, mut html) = ui.get(&format!("/export?from={from}&table={table}")).await;
    assert_eq!(status, 200, "{html}");
    let id = between(&html, "id=\"job-", "\"").expect("a job").to_string();
    for _ in 0..600 {
        if html.contains("export-download") {
            break;
        }
        assert!(html.contains("<progress"), "a running job shows its progress: {html}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (status, next) = ui.get(&format!("/jobs/{id}")).await;
        assert_eq!(status, 200, "{next}");
        html = next;
    }
    let (status, bytes) = ui.get_bytes(&format!("/jobs/{id}/file")).await;
    assert_eq!(status, 200);
    let rows = frontline_reports::read_first_sheet(&bytes).expect("a workbook");
    (id, rows)
}

fn total_on(html: &str) -> usize {
    between(html, "data-total=\"", "\"").expect("a pager").parse().unwrap()
}

#[tokio::test]
async fn a_list_exports_every_row_the_user_may_see_with_its_filters() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let county = app.ui("county_org").await;
    // The people of the county: more than one page of 200.
    let county_id = app.unit_id("330382").await;
    let page = format!("/people?unit={county_id}");
    let (_, html) = county.get(&page).await;
    let total = total_on(&html);
    assert!(total > 200, "the test needs more than one page: {total}");
    let (_, rows) = export(&county, &page, "people-table").await;
    assert_eq!(rows.len() - 1, total, "every row of every page, and the header");
    assert!(rows[0].iter().any(|h| h == "姓名"), "headers as the page shows them: {:?}", rows[0]);
    let category = rows[0].iter().position(|h| h == "人员类别").expect("a category column");
    assert!(rows[1..].iter().all(|r| !r[category].is_empty() && !r[category].is_ascii()), "coded values by name");
    // Phones stay masked, as on the page.
    let phone = rows[0].iter().position(|h| h == "手机号");
    if let Some(phone) = phone {
        assert!(rows[1..].iter().filter(|r| !r[phone].is_empty()).all(|r| r[phone].contains('*')), "masked phones");
    }
    // A filter narrows the export the way it narrows the page.
    let filtered = format!("/people?unit={county_id}&category=cadre");
    let (_, html) = county.get(&filtered).await;
    let (_, rows) = export(&county, &filtered, "people-table").await;
    assert_eq!(rows.len() - 1, total_on(&html));
    assert!(rows.len() - 1 < total);

    // The village secretary's export of the same page holds only their village's people.
    let village = app.ui("village_secretary").await;
    let (_, own) = village.get("/people").await;
    let (job, rows) = export(&village, "/people", "people-table").await;
    assert_eq!(rows.len() - 1, total_on(&own));
    let (status, _) = village.get(&format!("/people?unit={}", p.baishi)).await;
    assert_ne!(status, 200, "the township is not the village secretary's");
    // Another account cannot see or collect someone's job.
    let (status, _) = county.get(&format!("/jobs/{job}")).await;
    assert_eq!(status, 404);
    let (status, _) = county.get_bytes(&format!("/jobs/{job}/file")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn only_pages_of_the_application_export() {
    let app = TestApp::new().await;
    let county = app.ui("county_org").await;
    for (from, table) in [("//evil.example/x", "t"), ("/api/v1/people", "t"), ("/orders", "x\" onload=\"y")] {
        let from: String = form_urlencoded::byte_serialize(from.as_bytes()).collect();
        let (status, html) = county.get(&format!("/export?from={from}&table={table}")).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("该页面不能导出"), "{html}");
    }
    // A page without that table: the job says so in the user's words.
    let (status, html) = county.get("/export?from=%2Forders&table=no-such-table").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("页面上没有要导出的表格"), "{html}");
}
