//! Every page renders for the roles that may see it, in Chinese by default and English on request.

use crate::helpers::{Places, TestApp};

#[tokio::test]
async fn every_page_renders_in_chinese() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let ui = app.ui("county_org").await;
    let person = app.person_in(p.qiyuan_branch).await;
    let post = app.post_in(p.qiyuan_branch).await;
    let pages = [
        ("/units", "组织架构"),
        (&*format!("/units?under={}&kind=village", p.baishi), "岐元村"),
        (&*format!("/units/{}", p.qiyuan), "下级单位"),
        (&*format!("/units/{}/edit", p.qiyuan), "修改单位"),
        (&*format!("/units/new?parent={}", p.qiyuan), "新增单位"),
        (&*format!("/units/tree/{}", p.baishi), "岐元村"),
        ("/people", "人员管理"),
        (&*format!("/people?unit={}", p.qiyuan), "编制单位"),
        (&*format!("/people/{person}"), "派驻/下沉"),
        (&*format!("/people/{person}/edit"), "修改人员"),
        ("/people/new", "新增人员"),
        ("/people/import", "下载模板"),
        ("/posts", "岗位管理"),
        (&*format!("/posts/{post}"), "任职记录"),
        ("/posts/new", "新增岗位"),
        ("/users", "用户管理"),
        ("/users/new", "新增用户"),
        ("/roles", "角色管理"),
        ("/roles/new", "新增角色"),
        ("/audit", "审计日志"),
    ];
    for (path, expected) in pages {
        let (s, body) = ui.get(path).await;
        assert_eq!(s, 200, "{path}");
        assert!(body.contains(expected), "{path} should show {expected}");
    }
    // Lists mask phones.
    let (_, body) = ui.get(&format!("/people?unit={}", p.qiyuan)).await;
    assert!(body.contains("****"));
}

#[tokio::test]
async fn english_on_request() {
    let app = TestApp::new().await;
    let ui = app.ui("village_secretary").await;
    let r = ui
        .http
        .get(format!("{}/lang/en", app.base))
        .header("referer", format!("{}/people", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/people");
    let (_, body) = ui.get("/people").await;
    assert!(body.contains("<html lang=\"en\">"));
    assert!(body.contains(">People<") && body.contains("Party status"), "English labels");
    assert!(!body.contains("人员管理"));
    ui.http.get(format!("{}/lang/zh", app.base)).send().await.unwrap();
    let (_, body) = ui.get("/people").await;
    assert!(body.contains("人员管理"));
    // The referer can only send people back into this site.
    let r =
        ui.http.get(format!("{}/lang/en", app.base)).header("referer", "https://evil.example//x").send().await.unwrap();
    assert_eq!(r.headers()["location"], "/units");
}

#[tokio::test]
async fn menus_follow_permissions() {
    let app = TestApp::new().await;
    let grid = app.ui("grid_worker").await;
    let (_, body) = grid.get("/units").await;
    assert!(body.contains("href=\"/people\""));
    assert!(!body.contains("href=\"/users\"") && !body.contains("href=\"/audit\""));
    let (s, _) = grid.get("/users").await;
    assert_eq!(s, 403);
    // A grid worker may look but not add.
    let (_, body) = grid.get("/people").await;
    assert!(!body.contains("id=\"add-person\""));
    let county = app.ui("county_org").await;
    let (_, body) = county.get("/units").await;
    assert!(body.contains("href=\"/users\"") && body.contains("href=\"/audit\""));
}

#[tokio::test]
async fn a_person_is_added_and_appointed_through_the_ui() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let ui = app.ui("village_secretary").await;
    let (s, _, headers) = ui
        .post(
            "/people",
            &[
                ("name", "金晓东"),
                ("category", "member"),
                ("party_status", "member"),
                ("home_unit", "330382006205"),
                ("phone", "13598765432"),
                ("birthday", "1988-08-08"),
            ],
        )
        .await;
    assert_eq!(s, 200);
    let location = headers["hx-redirect"].to_str().unwrap().to_string();
    let (_, page) = ui.get(&location).await;
    assert!(page.contains("金晓东") && page.contains("13598765432"));
    let person: i64 = location.trim_start_matches("/people/").parse().unwrap();
    let (s, _, headers) = ui
        .post(
            "/posts",
            &[
                ("unit", &format!("#{}", p.qiyuan_branch)),
                ("kind", "committee_member"),
                ("title", "宣传委员"),
                ("seq", "6"),
            ],
        )
        .await;
    assert_eq!(s, 200);
    let post_page = headers["hx-redirect"].to_str().unwrap().to_string();
    let (s, _, _) = ui
        .post(&format!("{post_page}/assign"), &[("person_id", &person.to_string()), ("start_date", "2026-11-01")])
        .await;
    assert_eq!(s, 200);
    let (_, page) = ui.get(&post_page).await;
    assert!(page.contains("金晓东") && page.contains("2026-11-01"));
}

#[tokio::test]
async fn every_ui_change_route_works() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let ui = app.ui("township_secretary").await;
    let ok = |r: (u16, String, reqwest::header::HeaderMap)| {
        assert_eq!(r.0, 200, "{}", r.1);
        r
    };
    // A village group is added, renamed, moved to another village of the township and closed.
    ok(ui.post(&format!("/units?parent={}", p.qiyuan), &[("name", "临时小组"), ("kind", "village_group")]).await);
    let group = app.unit_named("临时小组").await;
    ok(ui.post(&format!("/units/{group}"), &[("name", "岐元三组"), ("kind", "village_group"), ("tags", "key")]).await);
    let (other_code,): (String,) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT code FROM units WHERE id = $1",
            vec![p.other_village_same_township.into()],
        ))
        .await
        .unwrap();
    ok(ui.post(&format!("/units/{group}/move"), &[("parent", &other_code)]).await);
    let (parent, name, tags): (i64, String, String) = app
        .db
        .one(&frontline_db::Sql::with("SELECT parent_id, name, tags FROM units WHERE id = $1", vec![group.into()]))
        .await
        .unwrap();
    assert_eq!((parent, name.as_str(), tags.as_str()), (p.other_village_same_township, "岐元三组", ",key,"));
    ok(ui.post(&format!("/units/{group}/close"), &[]).await);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM units WHERE id = {group} AND closed = TRUE")).await, 1);

    // A member is edited, posted to another village, and the posting ended.
    let person = app.person_in(p.qiyuan_branch).await;
    let (name,): (String,) = app
        .db
        .one(&frontline_db::Sql::with("SELECT name FROM people WHERE id = $1", vec![person.into()]))
        .await
        .unwrap();
    let branch = format!("#{}", p.qiyuan_branch);
    ok(ui
        .post(
            &format!("/people/{person}"),
            &[
                ("name", &name),
                ("category", "member"),
                ("party_status", "member"),
                ("rank", "none"),
                ("specialties", "电工"),
                ("home_unit", &branch),
            ],
        )
        .await);
    ok(ui
        .post(
            &format!("/people/{person}/postings"),
            &[("unit", &other_code), ("kind", "sent"), ("start_date", "2026-02-03")],
        )
        .await);
    let (posting,): (i64,) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT id FROM postings WHERE person_id = $1 AND end_date IS NULL",
            vec![person.into()],
        ))
        .await
        .unwrap();
    let (_, page) = ui.get(&format!("/people/{person}")).await;
    assert!(page.contains("电工") && page.contains(&format!("/postings/{posting}/end")));
    ok(ui.post(&format!("/postings/{posting}/end"), &[("end_date", "2026-03-01")]).await);

    // A post is renamed and vacated.
    let post = app.post_in(p.qiyuan_branch).await;
    ok(ui.post(&format!("/posts/{post}"), &[("title", "党支部书记"), ("seq", "1")]).await);
    ok(ui.post(&format!("/posts/{post}/vacate"), &[("end_date", "2026-11-20"), ("reason", "换届")]).await);
    let (_, page) = ui.get(&format!("/posts/{post}")).await;
    assert!(page.contains("党支部书记") && page.contains("换届") && page.contains("空缺"));
    let (_, page) = ui.get(&format!("/posts?unit={}&vacant=true", p.qiyuan)).await;
    assert!(page.contains("党支部书记"));
}

/// Words, not codes: the ledger names where each record came from, a post's history says why a
/// tenure ended, and titles of notices and bulletins are labelled as titles, in the catalogue's
/// words — never `task_instance 491` or `transferred`.
#[tokio::test]
async fn pages_show_words_not_codes() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let ui = app.ui("county_org").await;
    let codes = ["task_instance", "survey_response", "shift_assignment", "work_order", "commitment ", "transferred"];
    let (s, ledger) = ui.get(&format!("/ledger?unit={}", p.qiyuan)).await;
    assert_eq!(s, 200);
    assert!(ledger.contains("任务清单 #") || ledger.contains("入户摸排 #"), "sources in words");
    // A post whose holder was transferred away (调离).
    let (post,): (i64,) = app
        .db
        .one(&frontline_db::Sql::new("SELECT MIN(post_id) FROM tenures WHERE end_reason = 'transferred'"))
        .await
        .unwrap_or((app.post_in(p.qiyuan_branch).await,));
    let (_, post_page) = ui.get(&format!("/posts/{post}")).await;
    let (_, bulletins) = ui.get("/bulletins").await;
    for (page, body) in [("ledger", &ledger), ("post", &post_page), ("bulletins", &bulletins)] {
        for code in codes {
            assert!(
                !body.contains(&format!(">{code}")) && !body.contains(&format!("> {code}")),
                "{page} shows the code {code}"
            );
        }
    }
    assert!(!bulletins.contains("岗位名称"), "a bulletin's title is not a post title");
    // The breakdown of a score says its formulas in words with the values counted, not in code.
    let (bastion,): (i64,) =
        app.db.one(&frontline_db::Sql::new("SELECT MIN(id) FROM schemes WHERE code = 'bastion'")).await.unwrap();
    let (s, explain) = ui.get(&format!("/schemes/{bastion}/explain?unit={}", p.qiyuan)).await;
    assert_eq!(s, 200);
    for code in ["rate(", "count(", "sum("] {
        assert!(!explain.contains(code), "the breakdown shows the code {code}");
    }
    for kind in ["shift_attended", "survey_filed"] {
        assert!(!explain.contains(&format!(">{kind}")) && !explain.contains(&format!(" {kind}")), "{kind} shown");
    }
    assert!(explain.contains("class=\"formula-words\">卡点值守 "), "卡点值守 counted in words");
}

/// Pages and files travel compressed; a file is named by its fingerprint and kept for good; a page
/// the browser holds answers 304; logging out clears what the browser kept.
#[tokio::test]
async fn pages_and_files_are_compressed_fingerprinted_and_revalidated() {
    let app = TestApp::new().await;
    let ui = app.ui("grid_worker").await;
    let (_, page) = ui.get("/today").await;
    // Files are named with their fingerprint, and that address is kept for a year.
    let css =
        crate::helpers::between(&page, "<link rel=\"stylesheet\" href=\"", "\"").expect("the style sheet").to_string();
    assert!(css.starts_with("/static/app.css?v="), "{css}");
    let r = ui.http.get(app.url(&css)).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let zipped = r.bytes().await.unwrap();
    assert_eq!(&zipped[..2], b"\x1f\x8b", "a gzip stream");
    let plain = ui.http.get(app.url(&css)).send().await.unwrap().bytes().await.unwrap();
    assert!(zipped.len() * 2 < plain.len(), "compressed {} of {} bytes", zipped.len(), plain.len());
    // Without the current fingerprint a file is checked again each time, and its ETag answers 304.
    let r = ui.http.get(app.url("/static/app.css")).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let r = ui.http.get(app.url("/static/app.css")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(r.status(), 304);
    assert!(r.bytes().await.unwrap().is_empty());
    // The icon browsers ask for on their own is there.
    let r = ui.http.get(app.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(r.status(), 308);
    let icon = r.headers()["location"].to_str().unwrap().to_string();
    assert!(icon.starts_with("/static/icon.svg?v="), "{icon}");
    let r = ui.http.get(app.url(&icon)).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "image/svg+xml"));
    // A page: compressed, kept privately and checked each time; unchanged, it answers 304.
    let r = ui.http.get(app.url("/today")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let r = ui.http.get(app.url("/today")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(r.status(), 304);
    // The page changes with what happens (an unread notice, a signed list): then it is sent again.
    let r = ui.http.get(app.url("/today")).header("if-none-match", "W/\"0000\"").send().await.unwrap();
    assert_eq!(r.status(), 200);
    // The API is not kept at all, but it is compressed too.
    let api = app.api("county_org").await;
    let token = api.token.clone().unwrap();
    let r = api
        .http
        .get(app.url("/api/v1/units"))
        .bearer_auth(token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["content-encoding"], "gzip");
    // Logging out tells the browser to drop the pages it kept.
    let (status, _, headers) = ui.post("/logout", &[]).await;
    assert!(status < 400, "{status}");
    assert_eq!(headers["clear-site-data"], "\"cache\"");
}

/// Each role lands on its own work after logging in, and `/work`, the old address of today's
/// work, leads there.
#[tokio::test]
async fn each_role_lands_on_its_work() {
    let app = TestApp::new().await;
    let landings = [
        ("admin", "/units"),
        ("county_org", "/dashboard"),
        ("township_secretary", "/dashboard"),
        ("village_secretary", "/todo"),
        ("inspector", "/inspections/mine"),
        ("grid_worker", "/today"),
        ("member", "/today"),
    ];
    for (user, landing) in landings {
        let ui = app.ui(user).await;
        let r = ui.http.get(app.url("/")).send().await.unwrap();
        assert_eq!(r.headers()["location"], landing, "{user}");
        let (status, _) = ui.get(landing).await;
        assert_eq!(status, 200, "{user} opens {landing}");
    }
    let grid = app.ui("grid_worker").await;
    let r = grid.http.get(app.url("/work")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (308, "/today"));
    // One entry for today's work in the menu.
    let (_, page) = grid.get("/today").await;
    let part = |start: &str| page.split(start).nth(1).and_then(|m| m.split("</nav>").next()).unwrap_or("").to_string();
    assert_eq!(part("<nav class=\"sidemenu\"").matches("href=\"/today\"").count(), 1, "once in the menu");
    assert_eq!(part("<nav class=\"tabbar\"").matches("href=\"/today\"").count(), 1, "once on the tab bar");
    assert!(!page.contains("href=\"/work\""));
}

/// Every page each role's menu opens, in English, shows no Chinese label of the catalogue and no
/// raw catalogue key (names of places and people are data and stay as written).
#[tokio::test]
async fn every_menu_page_of_every_role_is_english_on_request() {
    let app = TestApp::new().await;
    let catalogue = |lang: &str| -> serde_json::Map<String, serde_json::Value> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../web/i18n/{lang}.json"));
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let (zh, en) = (catalogue("zh-CN"), catalogue("en"));
    // Chinese labels worth looking for: whole words of three characters or more that English
    // says differently (shorter ones also occur inside names written as data).
    let labels: Vec<(&String, &str)> = zh
        .iter()
        .filter_map(|(k, v)| Some((k, v.as_str()?)))
        .filter(|(k, v)| v.chars().count() >= 3 && !v.contains('{') && en.get(*k).and_then(|e| e.as_str()) != Some(v))
        .filter(|(_, v)| v.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)))
        // Labels that the demo also uses, word for word, as a name it stores (data stays as
        // written): the scheme 堡垒指数, the selection 实干担当好干部, units named 网格党小组,
        // posts titled 副书记, accounts and roles named 网格员 and 乡镇党委书记 (a role keeps a name
        // an install gives it; the built-in ones are checked below).
        .filter(|(k, _)| {
            ![
                "dash.bastion",
                "selection.default_title",
                "coverage.kind.party_group",
                "post.kind.deputy_secretary",
                "person.category.grid_worker",
                "post.kind.grid_worker",
                "post.kind.township_secretary",
                // the demo's accounts are displayed as 网格员 and 督导组成员
                "role.builtin.grid_worker",
                "role.builtin.inspection_team",
            ]
            .contains(&k.as_str())
        })
        .collect();
    let mut found = Vec::new();
    for user in ["county_org", "township_secretary", "village_secretary", "grid_worker", "inspector", "member"] {
        let ui = app.ui(user).await;
        ui.http.get(format!("{}/lang/en", app.base)).send().await.unwrap();
        let home = ui.http.get(app.url("/")).send().await.unwrap();
        let (_, landing) = ui.get(home.headers()["location"].to_str().unwrap()).await;
        let menu: Vec<String> = landing
            .split("<nav class=\"sidemenu\"")
            .nth(1)
            .and_then(|m| m.split("</nav>").next())
            .unwrap_or("")
            .split("href=\"")
            .skip(1)
            .filter_map(|h| h.split('"').next())
            .map(str::to_string)
            .collect();
        assert!(menu.len() >= 3, "{user}'s menu: {menu:?}");
        for page in menu {
            let (status, body) = ui.get(&page).await;
            assert_eq!(status, 200, "{user} {page}");
            // The page's text, piece by piece between tags: a label is a piece of its own, where a
            // name written as data (岐元村党支部) only contains one.
            let pieces: std::collections::HashSet<&str> = body
                .split('<')
                .filter_map(|part| part.split_once('>').map(|(_, t)| t.trim()))
                .filter(|t| !t.is_empty())
                .collect();
            for (key, label) in &labels {
                if pieces.contains(*label) {
                    found.push(format!("{user} {page}: {key} 「{label}」"));
                }
            }
            // The audit log shows each action's code (`task.verify`), as an auditor filters by it.
            for key in en.keys().filter(|_| page != "/audit") {
                if pieces.contains(key.as_str()) {
                    found.push(format!("{user} {page}: raw key {key}"));
                }
            }
        }
    }
    // Built-in roles read in English under their original names.
    let ui = app.ui("county_org").await;
    ui.http.get(format!("{}/lang/en", app.base)).send().await.unwrap();
    let (_, roles) = ui.get("/roles").await;
    assert!(roles.contains(">Grid worker<") && roles.contains(">Village party secretary<"), "built-in role names");
    found.sort();
    found.dedup();
    assert!(found.is_empty(), "{} untranslated on English pages:\n{}", found.len(), found.join("\n"));
}

/// The number between `attr="` and the next quote in a page's pager.
fn pager_number(page: &str, attr: &str) -> Option<i64> {
    let pager = page.split("class=\"pager\"").nth(1)?;
    pager.split(&format!("{attr}=\"")).nth(1)?.split('"').next()?.parse().ok()
}

/// 待办: each count is the total of the list its link opens, counts move as the work does, and
/// each role sees only what it may act on.
#[tokio::test]
async fn the_todo_centre_counts_what_its_lists_show() {
    let app = TestApp::new().await;
    let secretary = app.ui("village_secretary").await;
    let api = app.api("village_secretary").await;
    let (status, items) = api.get("/me/todo").await;
    assert_eq!(status, 200, "{items}");
    let items = items.as_array().unwrap().clone();
    let count_of = |items: &[serde_json::Value], kind: &str| {
        items.iter().find(|i| i["kind"] == kind).map(|i| i["count"].as_i64().unwrap())
    };
    let mut compared = 0;
    for item in &items {
        let href = item["href"].as_str().unwrap();
        let (path, anchor) = href.split_once('#').unwrap_or((href, ""));
        let (status, page) = secretary.get(path).await;
        assert_eq!(status, 200, "{href}");
        // The list a link with an anchor means is the first after that anchor.
        let list = if anchor.is_empty() {
            page.as_str()
        } else {
            page.split(&format!("id=\"{anchor}\"")).nth(1).unwrap_or_else(|| panic!("{href}: no {anchor}"))
        };
        if let Some(total) = pager_number(list, "data-total") {
            assert_eq!(item["count"].as_i64(), Some(total), "{} against {href}", item["kind"]);
            compared += 1;
        }
    }
    assert!(compared >= 4, "counts compared with their lists: {compared} of {items:?}");
    // The page shows the same counts, each linked to its list.
    let (_, page) = secretary.get("/todo").await;
    for item in &items {
        let link =
            format!("href=\"{}\" data-kind=\"{}\"", item["href"].as_str().unwrap(), item["kind"].as_str().unwrap());
        assert!(page.contains(&link), "{link}");
    }
    // A grid worker hands in a list: their own count falls, the secretary's to-verify rises.
    let grid = app.api("grid_worker").await;
    let (_, before) = grid.get("/me/todo").await;
    let before = before.as_array().unwrap().clone();
    assert_eq!(count_of(&before, "to_verify"), None, "a grid worker verifies nothing");
    let mine = count_of(&before, "my_lists").unwrap();
    assert!(mine >= 1, "{before:?}");
    let (_, tasks) = grid.get("/me/tasks").await;
    let open = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == "疫情防控八项硬性任务" && t["status"] == "open")
        .expect("an open list")
        .clone();
    let (status, body) = grid.post(&format!("/task-lists/{}/commitment", open["list_id"]), serde_json::json!({})).await;
    assert!(status < 300, "{body}");
    let (_, detail) = grid.get(&format!("/tasks/{}", open["id"])).await;
    let ticks: Vec<serde_json::Value> =
        detail["items"].as_array().unwrap().iter().map(|i| serde_json::json!({"item_id": i["item_id"]})).collect();
    let (status, body) = grid.post(&format!("/tasks/{}/submit", open["id"]), serde_json::json!({"items": ticks})).await;
    assert_eq!(status, 200, "{body}");
    let (_, after) = grid.get("/me/todo").await;
    assert_eq!(count_of(after.as_array().unwrap(), "my_lists"), Some(mine - 1));
    let (_, now) = api.get("/me/todo").await;
    assert_eq!(
        count_of(now.as_array().unwrap(), "to_verify"),
        count_of(&items, "to_verify").map(|n| n + 1),
        "the list handed in waits for the secretary"
    );
}

/// Every paged list offers 20, 50 or 100 rows a page, shows the size chosen and keeps it on its
/// links to the next page.
#[tokio::test]
async fn every_paged_list_takes_a_page_size() {
    let app = TestApp::new().await;
    let ui = app.ui("admin").await;
    let bastion: (i64,) =
        app.db.one(&frontline_db::Sql::new("SELECT MIN(id) FROM schemes WHERE code = 'bastion'")).await.unwrap();
    let lists = [
        "/units".to_string(),
        "/people".into(),
        "/posts".into(),
        "/users".into(),
        "/audit".into(),
        "/orders".into(),
        "/findings".into(),
        "/inspections".into(),
        "/accountability".into(),
        "/work/verify".into(),
        "/work/dispatch".into(),
        "/work/surveys".into(),
        "/ledger".into(),
        "/laggard-plans".into(),
        "/appraisals".into(),
        "/talent".into(),
        "/candidates".into(),
        "/reviews".into(),
        "/commendations".into(),
        "/deeds".into(),
        "/care".into(),
        format!("/schemes/{}", bastion.0),
    ];
    for list in &lists {
        let sep = if list.contains('?') { '&' } else { '?' };
        let (status, page) = ui.get(&format!("{list}{sep}per_page=50")).await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(pager_number(&page, "data-per-page"), Some(50), "{list} shows 50 a page");
        assert!(page.contains("class=\"page-sizes\""), "{list} offers the sizes");
        assert!(page.contains("<strong aria-current=\"true\">50</strong>"), "{list} marks 50");
        if let Some(next) = page.split("rel=\"next\"").next().and_then(|p| p.rsplit("href=\"").next())
            && page.contains("rel=\"next\"")
        {
            assert!(next.contains("per_page=50"), "{list}: the next page keeps the size: {next}");
        }
    }
}
