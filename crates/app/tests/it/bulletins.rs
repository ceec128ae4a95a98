//! Periodic bulletins, on both stores: a month of daily runs (each day twice) makes every
//! weekly, monthly and quarterly bulletin exactly once, as worked out by hand, and a later run
//! after downtime catches up; a bulletin reads as a page, a PDF whose first page is an image of
//! Chinese text (kept in `test-artifacts/`), and a workbook; it reaches the units below the one it
//! is about and nobody beside it.

use std::process::Command;

use chrono::{NaiveDate, TimeZone, Utc};
use frontline_core::bulletins::{Cadence, Span};
use serde_json::Value;

use crate::helpers::{Places, TestApp};

async fn made(app: &TestApp, cadence: &str) -> Vec<String> {
    let rows: Vec<(NaiveDate,)> = app
        .db
        .all(&frontline_db::Sql::with(
            "SELECT period_from FROM bulletins WHERE cadence = $1 ORDER BY period_from",
            vec![cadence.into()],
        ))
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0.to_string()).collect()
}

/// The share of dark pixels in a binary PGM (P5) image.
fn ink(pgm: &[u8]) -> f64 {
    // Header: "P5", width, height, max value, each followed by whitespace.
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..i]).to_string());
    }
    assert_eq!(fields[0], "P5");
    let pixels = &pgm[i + 1..];
    pixels.iter().filter(|p| **p < 128).count() as f64 / pixels.len() as f64
}

#[tokio::test]
async fn a_month_of_daily_runs_makes_each_bulletin_once_and_they_read_in_chinese() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    app.db.execute_outside_transaction(&frontline_db::Sql::new("DELETE FROM bulletins")).await.unwrap();
    // One village loses a person under isolation on 3 March: a veto case, so a laggard that week.
    let mut tx = app.db.begin().await.unwrap();
    frontline_db::records::append(
        &mut tx,
        frontline_db::records::NewRecord {
            kind: frontline_core::records::RecordKind::IsolationLost,
            unit_id: p.qiyuan,
            person_id: None,
            occurred_at: Utc.with_ymd_and_hms(2027, 3, 3, 4, 0, 0).unwrap(),
            value: 1,
            source_kind: "test",
            source_id: 0,
            note: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // March 2027, every day at 08:00 and 20:00 China time, as the jobs loop would.
    for day in 1..=31 {
        for hour in [0, 12] {
            frontline_db::bulletins::generate_due(&app.db, Utc.with_ymd_and_hms(2027, 3, day, hour, 0, 0).unwrap())
                .await
                .unwrap();
        }
    }
    // By hand: on 1 March the week 22–28 Feb, February and Q4 2026 are due; each Monday after,
    // the week before. Nothing twice.
    assert_eq!(made(&app, "weekly").await, ["2027-02-22", "2027-03-01", "2027-03-08", "2027-03-15", "2027-03-22"]);
    assert_eq!(made(&app, "monthly").await, ["2027-02-01"]);
    assert_eq!(made(&app, "quarterly").await, ["2026-10-01"]);
    // Down from 1 April to 20 April: the next run catches up the missed weeks, March and Q1.
    let report = frontline_db::jobs::run(&app.db, Utc.with_ymd_and_hms(2027, 4, 20, 2, 0, 0).unwrap()).await.unwrap();
    assert_eq!(report.bulletins, 5);
    assert_eq!(
        made(&app, "weekly").await[5..],
        ["2027-03-29".to_string(), "2027-04-05".to_string(), "2027-04-12".to_string()]
    );
    assert_eq!(made(&app, "monthly").await, ["2027-02-01", "2027-03-01"]);
    assert_eq!(made(&app, "quarterly").await, ["2026-10-01", "2027-01-01"]);
    let again = frontline_db::jobs::run(&app.db, Utc.with_ymd_and_hms(2027, 4, 20, 9, 0, 0).unwrap()).await.unwrap();
    assert_eq!(again.bulletins, 0);
    assert_eq!(
        Cadence::Weekly.last_complete(NaiveDate::from_ymd_opt(2027, 4, 20).unwrap()).from.to_string(),
        "2027-04-12"
    );

    // The county's weekly bulletin of 1–7 March.
    let county = app.api("county_org").await;
    let (s, list) = county.get("/bulletins?cadence=weekly").await;
    assert_eq!(s, 200, "{list}");
    let id = list.as_array().unwrap().iter().find(|b| b["period_from"] == "2027-03-01").expect("listed")["id"]
        .as_i64()
        .unwrap();
    let (s, b) = county.get(&format!("/bulletins/{id}")).await;
    assert_eq!(s, 200, "{b}");
    let c = &b["content"];
    assert_eq!(c["period"]["to"], "2027-03-07");
    assert_eq!(c["previous"]["from"], "2027-02-22");
    assert_eq!(c["figures"].as_array().unwrap().len(), 8);
    let groups = c["groups"].as_array().unwrap();
    assert_eq!(groups.len() as i64, app.count("SELECT COUNT(*) FROM units WHERE kind = 'township'").await);
    let ids = |v: &Value| v.as_array().unwrap().iter().map(|r| r["unit_id"].as_i64().unwrap()).collect::<Vec<_>>();
    let laggard = |v: &Value| v.as_array().unwrap().iter().map(|r| r["laggard"].as_bool().unwrap()).collect::<Vec<_>>();
    let figure = |c: &Value, key: &str| {
        c["figures"].as_array().unwrap().iter().find(|f| f["key"] == format!("bulletin.figure.{key}")).unwrap()["value"]
            .as_f64()
            .unwrap()
    };
    // That week one village had a veto case: the only laggard, on the black list. No other
    // village has a record that week: no data is neither the top nor the bottom, so the red
    // list is empty and the black list names the laggard alone.
    assert_eq!(figure(c, "laggards"), 1.0, "{}", c["figures"]);
    let (red, black) = (ids(&c["red"]), ids(&c["black"]));
    assert_eq!((red.len(), black.len()), (0, 1), "{}", c["black"]);
    assert_eq!(black[0], p.qiyuan);
    assert_eq!(laggard(&c["black"]).iter().filter(|l| **l).count(), 1);
    // The week before: no laggard; it holds no data at all, so the changes against it are not
    // shown (no "+1" against a week when the product was not in use).
    let before =
        list.as_array().unwrap().iter().find(|b| b["period_from"] == "2027-02-22").unwrap()["id"].as_i64().unwrap();
    let (_, earlier) = county.get(&format!("/bulletins/{before}")).await;
    let e = &earlier["content"];
    assert_eq!(figure(e, "laggards"), 0.0);
    assert!(!ids(&e["black"]).contains(&p.qiyuan));
    let previous =
        c["figures"].as_array().unwrap().iter().find(|f| f["key"] == "bulletin.figure.laggards").unwrap()["previous"]
            .clone();
    assert!(previous.is_null(), "{previous}");
    let on_time = c["figures"].as_array().unwrap().iter().find(|f| f["key"] == "bulletin.figure.on_time_rate").unwrap();
    assert!(on_time["value"].is_null(), "nothing closed that week: the rate is not applicable, not 0 %: {on_time}");

    // The PDF: real Chinese text in an embedded CJK font, and a first page with ink on it.
    let (s, pdf) = county.get_bytes(&format!("/bulletins/{id}/pdf")).await;
    assert_eq!(s, 200);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let store = if app.db.is_postgres() { "pg" } else { "sqlite" };
    let file = dir.join(format!("bulletin-{store}.pdf"));
    std::fs::write(&file, &pdf).unwrap();
    let text = Command::new("pdftotext").arg(&file).arg("-").output().expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    let township = groups[0]["unit_name"].as_str().unwrap();
    // Laid out as a 通报: issuing body, document number (numbered per year, from 1, by the
    // issuing unit, whatever the cadence: the week before, February and Q4 were made before it),
    // and the issuing body and date signed at the foot.
    let year = frontline_core::time::today_in_china(chrono::Utc::now()).format("%Y").to_string();
    let issue = &c["issue"];
    assert_eq!(issue["year"].as_i64().unwrap().to_string(), year);
    let earlier_number = e["issue"]["number"].as_i64().unwrap();
    assert_eq!(issue["number"].as_i64().unwrap(), earlier_number + 3, "numbered in the order made");
    let number = format!("乐组通〔{year}〕{}号", issue["number"]);
    for expected in [
        "乐清市一线工作周通报",
        "2027-03-01",
        "红榜",
        "黑榜",
        "收集群众诉求",
        township,
        "中共乐清市委员会组织部",
        &number,
    ] {
        assert!(text.contains(expected), "the bulletin reads {expected:?}: {text}");
    }
    let image = dir.join(format!("bulletin-page1-{store}"));
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&file)
        .arg(&image)
        .status()
        .unwrap();
    assert!(status.success());
    let gray = Command::new("pdftoppm")
        .args(["-gray", "-r", "40", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&file)
        .output()
        .unwrap();
    let share = ink(&gray.stdout);
    assert!(share > 0.005 && share < 0.3, "the first page is text on paper, not blank or black: {share}");
    let fonts = Command::new("pdffonts").arg(&file).output().unwrap();
    assert!(String::from_utf8_lossy(&fonts.stdout).contains("CJK"), "an embedded CJK font");

    // The workbook: the figures sheet with its header and the figures by name.
    let (s, xlsx) = county.get_bytes(&format!("/bulletins/{id}/xlsx")).await;
    assert_eq!(s, 200);
    let rows = frontline_reports::read_first_sheet(&xlsx).unwrap();
    assert_eq!(rows[0][..4], ["指标", "本期", "上期", "增减"]);
    assert!(rows.iter().any(|r| r[0] == "按时办结率（%）"), "{rows:?}");
    // Numbers are numbers in the workbook; what is not applicable reads "—".
    let numbers = frontline_reports::first_sheet_numbers(&xlsx).unwrap();
    let at = |label: &str| rows.iter().position(|r| r[0] == label).unwrap();
    assert_eq!(numbers[at("后进党组织（个）")][1], Some(1.0), "{rows:?}");
    assert_eq!(rows[at("按时办结率（%）")][1], "—");
    assert_eq!(rows[at("后进党组织（个）")][3], "—", "no change against a week without data");

    // The page, and who receives it: the units below, not a unit beside.
    let (s, html) = app.ui("village_secretary").await.get(&format!("/bulletins/{id}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("红榜") && html.contains(township));
    assert!(
        html.contains("id=\"bulletin-issuer\"") && html.contains(&number) && html.contains("id=\"bulletin-signature\"")
    );
    let elsewhere =
        Span { from: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(), to: NaiveDate::from_ymd_opt(2027, 3, 7).unwrap() };
    assert!(frontline_db::bulletins::generate(&app.db, p.village_elsewhere, Cadence::Weekly, elsewhere).await.unwrap());
    assert!(
        !frontline_db::bulletins::generate(&app.db, p.village_elsewhere, Cadence::Weekly, elsewhere).await.unwrap()
    );
    let (foreign,): (i64,) = app
        .db
        .one(&frontline_db::Sql::with("SELECT id FROM bulletins WHERE unit_id = $1", vec![p.village_elsewhere.into()]))
        .await
        .unwrap();
    for who in ["village_secretary", "township_secretary"] {
        let api = app.api(who).await;
        for path in
            [format!("/bulletins/{foreign}"), format!("/bulletins/{foreign}/pdf"), format!("/bulletins/{foreign}/xlsx")]
        {
            assert_eq!(api.get_bytes(&path).await.0, 404, "{who}: {path}");
        }
        let (_, list) = api.get("/bulletins").await;
        let listed = list.as_array().unwrap();
        assert!(listed.iter().all(|b| b["id"] != foreign), "{who} lists a bulletin of another place");
        assert!(listed.iter().any(|b| b["id"] == id), "{who} receives the county's bulletin");
    }
    let (s, _) = app.api("county_org").await.get(&format!("/bulletins/{foreign}")).await;
    assert_eq!(s, 200, "the county receives its villages' bulletins");
}
