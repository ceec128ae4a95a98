//! Roster import: the template offers drop-downs; a file with bad rows is rejected whole with a
//! per-row, per-column report; a good file is written in one go; the same file twice is refused.

use rust_xlsxwriter::Workbook;

use crate::helpers::TestApp;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

const HEADER: &[&str] = &["姓名*", "人员类别*", "政治面貌", "职级", "专长", "出生日期", "手机号", "编制单位*"];

#[tokio::test]
async fn the_template_has_headers_and_lists() {
    let app = TestApp::new().await;
    let api = app.api("village_secretary").await;
    let (s, bytes) = api.get_bytes("/people/template").await;
    assert_eq!(s, 200);
    let rows = frontline_reports::read_first_sheet(&bytes).unwrap();
    assert_eq!(rows[0], HEADER.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    // A county's template lists its thousands of units on a sheet of their own for the drop-down.
    let (s, bytes) = app.api("county_org").await.get_bytes("/people/template").await;
    assert_eq!(s, 200);
    assert!(bytes.starts_with(b"PK"));
    let mut zip_names = Vec::new();
    let mut i = 0;
    while let Some(pos) = bytes[i..].windows(4).position(|w| w == b"PK\x01\x02") {
        let at = i + pos;
        let name_len = u16::from_le_bytes([bytes[at + 28], bytes[at + 29]]) as usize;
        zip_names.push(String::from_utf8_lossy(&bytes[at + 46..at + 46 + name_len]).to_string());
        i = at + 4;
    }
    assert!(zip_names.iter().any(|n| n == "xl/worksheets/sheet2.xml"), "a list sheet for the units: {zip_names:?}");
}

#[tokio::test]
async fn a_good_roster_is_imported_and_not_twice() {
    let app = TestApp::new().await;
    let api = app.api("village_secretary").await;
    let before = app.count("SELECT COUNT(*) FROM people").await;
    let file = workbook(&[
        HEADER,
        &["林志强", "党员", "中共党员", "无", "宣传", "1980-04-05", "13912345678", "330382006205 岐元村"],
        &["叶秀英", "member", "probationary", "", "医疗", "1995/6/7", "", "330382006205"],
        &["周海军", "Grid worker", "群众", "", "", "", "13700001111", "330382006205"],
    ]);
    let (s, body) = api.post_raw("/people/import", XLSX, file.clone()).await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["imported"], 3);
    assert_eq!(app.count("SELECT COUNT(*) FROM people").await, before + 3);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'person.import'").await, 1);
    // The same file again: every row is reported as already there, nothing written.
    let (s, body) = api.post_raw("/people/import", XLSX, file).await;
    assert_eq!(s, 422);
    assert_eq!(body["problems"].as_array().unwrap().len(), 3);
    assert_eq!(body["problems"][0]["message"], "该人员已在系统中（同单位、同姓名、同手机号）");
    assert_eq!(app.count("SELECT COUNT(*) FROM people").await, before + 3);
}

#[tokio::test]
async fn a_roster_with_bad_rows_is_rejected_whole_with_a_report() {
    let app = TestApp::new().await;
    let api = app.api("village_secretary").await;
    let before = app.count("SELECT COUNT(*) FROM people").await;
    let file = workbook(&[
        HEADER,
        &["林志强", "党员", "中共党员", "", "", "1980-04-05", "13912345678", "330382006205"],
        &["", "党员", "", "", "", "", "", "330382006205"],
        &["叶秀英", "国王", "", "", "", "2099-01-01", "123", "330382006205"],
        &["周海军", "党员", "", "", "", "", "", "330382101006"],
        &["林志强", "党员", "中共党员", "", "", "", "13912345678", "330382006205"],
    ]);
    let (s, report) = api.post_raw("/people/import", XLSX, file).await;
    assert_eq!(s, 422, "{report}");
    assert_eq!(report["code"], "error.import.rejected");
    let problems: Vec<(i64, String, String)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["row"].as_i64().unwrap(),
                p["column"].as_str().unwrap().to_string(),
                p["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(problems.contains(&(3, "姓名*".into(), "必填".into())), "{problems:?}");
    assert!(problems.contains(&(4, "人员类别*".into(), "不在下拉列表的选项中".into())), "{problems:?}");
    assert!(problems.contains(&(4, "出生日期".into(), "出生日期不合理".into())), "{problems:?}");
    assert!(problems.contains(&(4, "手机号".into(), "应为11位手机号".into())), "{problems:?}");
    // 330382101006 is in 大荆镇: outside a 岐元村 secretary's scope.
    assert!(problems.contains(&(5, "编制单位*".into(), "找不到该单位，或不在您的管理范围".into())), "{problems:?}");
    assert!(problems.iter().any(|p| p.0 == 6 && p.2.contains("重复")), "{problems:?}");
    assert!(!problems.iter().any(|p| p.0 == 2), "row 2 is fine: {problems:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM people").await, before, "nothing written");
}

#[tokio::test]
async fn unreadable_and_empty_files_are_refused() {
    let app = TestApp::new().await;
    let api = app.api("village_secretary").await;
    let (s, body) = api.post_raw("/people/import", XLSX, b"this is not a workbook".to_vec()).await;
    assert_eq!((s, body["code"].as_str()), (400, Some("error.import.unreadable")));
    let (s, body) = api.post_raw("/people/import", XLSX, workbook(&[HEADER])).await;
    assert_eq!(s, 422);
    assert_eq!(body["problems"][0]["message"], "文件中没有数据");
    let (s, body) =
        api.post_raw("/people/import", XLSX, workbook(&[&["姓名", "电话"], &["王芳", "13800000000"]])).await;
    assert_eq!(s, 422);
    let missing: Vec<&str> =
        body["problems"].as_array().unwrap().iter().map(|p| p["column"].as_str().unwrap()).collect();
    assert_eq!(missing, vec!["人员类别*", "编制单位*"]);
}

#[tokio::test]
async fn the_ui_imports_and_exports() {
    let app = TestApp::new().await;
    let ui = app.ui("village_secretary").await;
    let file = workbook(&[HEADER, &["潘晓燕", "党员", "中共党员", "", "", "", "13655556666", "330382006205"]]);
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(file).file_name("roster.xlsx").mime_str(XLSX).unwrap());
    let r = ui
        .http
        .post(format!("{}/people/import", app.base))
        .header("x-csrf-token", &ui.csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("import-ok"));
    let qiyuan = app.unit_id("330382006205").await;
    let (s, bytes) = ui.get_bytes(&format!("/people/export.xlsx?unit={qiyuan}&name=潘晓燕")).await;
    assert_eq!(s, 200);
    let rows = frontline_reports::read_first_sheet(&bytes).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], "潘晓燕");
    assert_eq!(rows[1][1], "党员", "coded columns exported by name");
    assert_eq!(rows[1][6], "136****6666", "phones masked in exports");
    // A file that is not a workbook is the user's to fix: 400 in their words, as before the
    // import became a job.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"not a workbook".to_vec()).file_name("roster.xlsx").mime_str(XLSX).unwrap(),
    );
    let r = ui
        .http
        .post(format!("{}/people/import", app.base))
        .header("x-csrf-token", &ui.csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("无法读取该文件"));
}

#[tokio::test]
async fn a_roster_imports_from_the_command_line_with_progress_and_all_or_nothing() {
    let app = TestApp::new().await;
    let before = app.count("SELECT COUNT(*) FROM people").await;
    let dir = std::env::temp_dir().join(format!("ft-import-{}-{}", std::process::id(), before));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
            .args(["--database", &app.db_url, "import", "people"])
            .arg(file)
            .args(["--as", "village_secretary"])
            .output()
            .unwrap()
    };
    // One bad row (a unit outside the village secretary's reach): nothing is written.
    let bad = dir.join("bad.xlsx");
    std::fs::write(
        &bad,
        workbook(&[
            HEADER,
            &["林志强", "党员", "中共党员", "无", "宣传", "1980-04-05", "13912345678", "330382006205 岐元村"],
            &["陈小红", "党员", "中共党员", "", "", "", "", "330382101200"],
        ]),
    )
    .unwrap();
    let out = run(&bad);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("校验中 2 / 2"), "progress is shown: {err}");
    assert!(err.contains("行 3"), "the bad row is named: {err}");
    assert_eq!(app.count("SELECT COUNT(*) FROM people").await, before);
    // The good rows alone go in, as the village secretary (audited as them).
    let good = dir.join("good.xlsx");
    std::fs::write(
        &good,
        workbook(&[
            HEADER,
            &["林志强", "党员", "中共党员", "无", "宣传", "1980-04-05", "13912345678", "330382006205 岐元村"],
            &["叶秀英", "member", "probationary", "", "医疗", "1995/6/7", "", "330382006205"],
        ]),
    )
    .unwrap();
    let out = run(&good);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("写入中 2 / 2"));
    assert_eq!(app.count("SELECT COUNT(*) FROM people").await, before + 2);
    let audited = app
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'person.import' AND actor_name LIKE '%village_secretary%'",
        )
        .await;
    assert_eq!(audited, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_csv_roster_is_checked_like_a_workbook_and_imported_whole() {
    let app = TestApp::new().await;
    let api = app.api("village_secretary").await;
    let before = app.count("SELECT COUNT(*) FROM people").await;
    // Excel's "CSV UTF-8" starts with a byte-order mark; a quoted cell may hold a comma.
    let bad = "\u{feff}姓名*,人员类别*,政治面貌,职级,专长,出生日期,手机号,编制单位*\n\
               林志强,党员,中共党员,,\"调解,宣讲\",1980-04-05,13912345678,330382006205\n\
               叶秀英,国王,,,,2099-01-01,123,330382006205\n";
    let (s, report) = api.post_raw("/people/import", "text/csv; charset=utf-8", bad.as_bytes().to_vec()).await;
    assert_eq!(s, 422, "{report}");
    let rows: Vec<i64> = report["problems"].as_array().unwrap().iter().map(|p| p["row"].as_i64().unwrap()).collect();
    assert_eq!(rows, vec![3, 3, 3], "category, birthday and phone of row 3: {report}");
    assert_eq!(app.count("SELECT COUNT(*) FROM people").await, before, "nothing written");

    let good = "\u{feff}姓名*,人员类别*,政治面貌,职级,专长,出生日期,手机号,编制单位*\n\
                林志强,党员,中共党员,,\"调解,宣讲\",1980-04-05,13912345678,330382006205\n\
                叶秀英,Grid worker,none,,,,,330382006205\n";
    let (s, body) = api.post_raw("/people/import", "text/csv", good.as_bytes().to_vec()).await;
    assert_eq!((s, body["imported"].as_i64()), (201, Some(2)), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM people").await, before + 2);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM people WHERE name = '林志强' AND specialties = '调解,宣讲' AND category = 'member'"
        )
        .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM people WHERE name = '叶秀英' AND category = 'grid_worker'").await, 1);
    // The audit entry says the roster came as CSV.
    let sources = app
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'person.import' AND after_state LIKE '%\"source\":\"csv\"%'",
        )
        .await;
    assert_eq!(sources, 1);
    // ... and holds each person as written, the phone masked.
    let (after,): (String,) = app
        .db
        .one(&frontline_db::Sql::new(
            "SELECT after_state FROM audit_log WHERE action = 'person.import' AND after_state LIKE '%\"source\":\"csv\"%'",
        ))
        .await
        .unwrap();
    let after: serde_json::Value = serde_json::from_str(&after).unwrap();
    let people = after["people"].as_array().unwrap();
    assert_eq!(people.len(), 2, "{after}");
    assert_eq!(people[0][0], "林志强");
    assert_eq!(people[0][2], "member");
    assert_eq!(people[0][5], "139****5678");
    assert_eq!(people[1][0], "叶秀英");
    // A file that is not UTF-8 text is refused as unreadable, in the user's words.
    let (s, body) = api.post_raw("/people/import", "text/csv", vec![0xB9, 0xFE, 0xFF, 0x00, 0xC1]).await;
    assert_eq!((s, body["code"].as_str()), (400, Some("error.import.unreadable")), "{body}");
}

#[tokio::test]
async fn the_benchmarks_run_on_a_tiny_input_and_write_their_results() {
    // A smoke run: the import benchmark at 2,000 rows without its Python anchor, through the same
    // `bench all` code that prints the table and writes the JSON.
    let plan = frontline_app::bench::all::Plan { quick: true, anchors: false, only: vec!["import".into()] };
    let rows = frontline_app::bench::all::run(&plan).await.unwrap();
    let imports: Vec<_> = rows.iter().filter(|r| r.group == "import").collect();
    assert_eq!(imports.len(), 2, "CSV and Excel");
    assert!(imports.iter().all(|r| r.value > 0.0 && r.figure.contains("2000 people")));
    assert_eq!(imports[0].met, Some(true), "2,000 CSV rows take far less than 10 s");
    let dir = std::env::temp_dir().join(format!("frontline-bench-test-{}", std::process::id()));
    let path = frontline_app::bench::all::save(&rows, &plan, &dir).unwrap();
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(saved["rows"].as_array().unwrap().len(), rows.len());
    assert_eq!(saved["rows"][0]["unit"], "s");
    assert!(saved["machine"]["cpus"].as_u64().unwrap() >= 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
