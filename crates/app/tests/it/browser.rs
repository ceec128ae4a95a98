//! The UI in a real headless Chromium (Debian `chromium` + `chromium-driver`, `fonts-noto-cjk`):
//! log in as the village secretary, browse the unit tree, add a person, see Chinese rendered with
//! real glyphs, switch to English, and read it on a 375-px phone. Screenshots are kept in
//! `test-artifacts/`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{Places, TestApp};
use frontline_app::demo::DEMO_PASSWORD;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_browser() -> (Driver, Client, tempdir::Dir) {
    let port = free_port();
    let driver = Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (Debian package chromium-driver) must be installed: the test script installs it");
    let driver = Driver(driver);
    let profile = tempdir::Dir::new();
    let caps = json!({
        "goog:chromeOptions": {
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1280,900", "--lang=zh-CN", format!("--user-data-dir={}", profile.path())]
        }
    });
    let mut last_err = String::new();
    for _ in 0..50 {
        let mut b = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        b.capabilities(caps.as_object().unwrap().clone());
        match b.connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => return (driver, c, profile),
            Err(e) => last_err = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("could not start the browser: {last_err}");
}

mod tempdir {
    /// A temporary browser profile folder, removed afterwards.
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            let p = std::env::temp_dir().join(format!("ft-chrome-{}-{}", std::process::id(), super::free_port()));
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
        pub fn path(&self) -> String {
            self.0.display().to_string()
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

async fn screenshot(c: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// A tap as a person makes it on a phone: the control scrolled to the middle of the screen first
/// (the tab bar at the bottom may cover it where it stands), then tapped.
async fn tap(c: &Client, element: fantoccini::elements::Element) {
    c.execute("arguments[0].scrollIntoView({block: 'center'});", vec![serde_json::to_value(&element).unwrap()])
        .await
        .unwrap();
    element.click().await.unwrap();
}

async fn wait_text(c: &Client, text: &str) {
    for _ in 0..50 {
        if c.source().await.unwrap().contains(text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the page never showed {text}");
}

#[tokio::test]
async fn a_village_secretary_works_in_the_browser() {
    let fonts = Command::new("fc-list").arg(":lang=zh").output().expect("fontconfig");
    assert!(!fonts.stdout.is_empty(), "a CJK font (Debian fonts-noto-cjk) must be installed");
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let (_driver, c, _profile) = start_browser().await;

    // Log in.
    c.goto(&app.url("/login")).await.unwrap();
    wait_for(&c, "#username").await.send_keys("village_secretary").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys(DEMO_PASSWORD).await.unwrap();
    screenshot(&c, "01-login").await;
    c.find(Locator::Css("#login-submit")).await.unwrap().click().await.unwrap();
    // A village secretary lands on their 待办: what waits on them, counted, each a tap from
    // its list; the desktop menu is in folders, the open one holding the page shown.
    wait_for(&c, "#todo").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/todo");
    let kinds = c
        .execute(
            "return Array.from(document.querySelectorAll('#todo a[data-kind]')).map(a => a.getAttribute('data-kind'));",
            vec![],
        )
        .await
        .unwrap();
    for kind in ["to_verify", "lists_overdue", "findings_to_rectify", "orders_to_sign", "unread"] {
        assert!(kinds.as_array().unwrap().iter().any(|k| k == kind), "{kind} in {kinds}");
    }
    let open = c
        .execute("return Array.from(document.querySelectorAll('.sidemenu details[open] a')).map(a => a.getAttribute('href'));", vec![])
        .await
        .unwrap();
    assert!(open.as_array().unwrap().iter().any(|h| h == "/todo"), "the open folder holds the page: {open}");
    let folders = c.execute("return document.querySelectorAll('.sidemenu details').length;", vec![]).await.unwrap();
    assert!(folders.as_i64().unwrap() >= 4, "the menu is in folders: {folders}");
    screenshot(&c, "01-secretary-landing").await;
    wait_for(&c, "#todo a[data-kind='to_verify']").await.click().await.unwrap();
    wait_for(&c, "#task-queue").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/work/verify");
    // The breadcrumb says where the page sits and leads home.
    let crumbs = wait_for(&c, "#crumbs").await.text().await.unwrap();
    assert_eq!(crumbs, "首页 / 日常工作 / 任务核验");
    c.goto(&app.url("/units")).await.unwrap();
    wait_for(&c, "#unit-tree").await;
    wait_text(&c, "组织架构").await;

    // Chinese is drawn with real CJK glyphs: full-width characters are one em wide in the page's
    // font, which a fallback box font would not give.
    let width = c
        .execute(
            "const s = document.createElement('span'); s.style.fontSize = '40px'; s.style.whiteSpace = 'nowrap'; \
             s.textContent = '组织架构人员'; document.body.appendChild(s); const w = s.getBoundingClientRect().width; s.remove(); return w;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!((235.0..=245.0).contains(&width), "six CJK glyphs at 40px should be 240px wide, got {width}");

    // Browse the tree: the root is 岐元村; open it and follow its branch.
    let toggle = wait_for(&c, "#unit-tree .tree-toggle").await;
    toggle.click().await.unwrap();
    let branch_link = wait_for(&c, &format!("#unit-tree a[href='/units?under={}']", p.qiyuan_branch)).await;
    screenshot(&c, "02-unit-tree").await;
    branch_link.click().await.unwrap();
    wait_text(&c, "岐元村党支部").await;

    // Add a person through the dialog.
    c.goto(&app.url(&format!("/people?unit={}", p.qiyuan))).await.unwrap();
    wait_for(&c, "#add-person").await.click().await.unwrap();
    wait_for(&c, "#person-form").await;
    c.find(Locator::Css("#person-name")).await.unwrap().send_keys("卢春燕").await.unwrap();
    let unit_field = c.find(Locator::Css("#person-unit")).await.unwrap();
    unit_field.clear().await.unwrap();
    unit_field.send_keys(&format!("#{}", p.qiyuan_branch)).await.unwrap();
    c.find(Locator::Css("#person-phone")).await.unwrap().send_keys("13866668888").await.unwrap();
    screenshot(&c, "03-add-person").await;
    // Two taps in a row on 保存 (an impatient thumb) add the person once: the button is
    // disabled while the first request is on the way.
    c.execute("var b = document.querySelector('#person-save'); b.click(); b.click();", vec![]).await.unwrap();
    for _ in 0..50 {
        if c.current_url().await.unwrap().path().starts_with("/people/") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_text(&c, "卢春燕").await;
    // The page it leads to says what was done and when.
    let flash = wait_for(&c, "#flash").await.text().await.unwrap();
    assert!(flash.starts_with("保存 · 已完成 "), "{flash}");
    let added = app.count("SELECT COUNT(*) FROM people WHERE name = '卢春燕'").await;
    assert_eq!(added, 1, "a double tap adds the person once");
    screenshot(&c, "04-person").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM people WHERE name = '卢春燕'").await, 1);

    // A bad phone number shows a readable error inside the dialog and writes nothing.
    c.goto(&app.url("/people")).await.unwrap();
    wait_for(&c, "#add-person").await.click().await.unwrap();
    wait_for(&c, "#person-form").await;
    c.find(Locator::Css("#person-name")).await.unwrap().send_keys("错号码").await.unwrap();
    c.find(Locator::Css("#person-unit")).await.unwrap().send_keys("330382006205").await.unwrap();
    c.find(Locator::Css("#person-phone")).await.unwrap().send_keys("12345").await.unwrap();
    c.find(Locator::Css("#person-save")).await.unwrap().click().await.unwrap();
    wait_text(&c, "应为11位手机号").await;
    screenshot(&c, "05-form-error").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM people WHERE name = '错号码'").await, 0);

    // Switch to English.
    c.goto(&app.url("/units")).await.unwrap();
    wait_for(&c, "#lang-en").await.click().await.unwrap();
    wait_text(&c, "Unit tree").await;
    let src = c.source().await.unwrap();
    assert!(src.contains(">People<") && !src.contains("人员管理"));
    screenshot(&c, "06-english").await;

    // On a phone: nothing wider than the screen.
    c.goto(&app.url("/lang/zh")).await.unwrap();
    c.set_window_size(375, 812).await.unwrap();
    c.goto(&app.url(&format!("/people?unit={}", p.qiyuan))).await.unwrap();
    wait_for(&c, "#people-table").await;
    let overflow = c.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    let culprits = c
        .execute(
            "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 \
             && !e.closest('.table-wrap') && !e.closest('.tree-panel')).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&c, "07-phone").await;
    assert!(overflow.as_f64().unwrap() <= 1.0, "the page scrolls sideways on a phone by {overflow}px: {culprits}");
    c.close().await.unwrap();
}

async fn login(c: &Client, app: &TestApp, username: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    wait_for(c, "#username").await.send_keys(username).await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys(DEMO_PASSWORD).await.unwrap();
    c.find(Locator::Css("#login-submit")).await.unwrap().click().await.unwrap();
    for _ in 0..50 {
        if !c.current_url().await.unwrap().path().starts_with("/login") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{username} could not log in");
}

async fn no_sideways_scroll(c: &Client, what: &str) {
    let overflow = c.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(overflow.as_f64().unwrap() <= 1.0, "{what} scrolls sideways on a phone by {overflow}px");
}

#[tokio::test]
async fn removing_a_secretary_lets_the_deputy_act() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let (post,): (i64,) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT id FROM posts WHERE unit_id = $1 AND kind = 'secretary'",
            vec![p.qiyuan_branch.into()],
        ))
        .await
        .unwrap();
    let (deputy_id, deputy): (i64, String) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT p.id, p.name FROM posts po JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL \
             JOIN people p ON p.id = t.person_id WHERE po.unit_id = $1 AND po.kind = 'deputy_secretary'",
            vec![p.qiyuan_branch.into()],
        ))
        .await
        .unwrap();
    let (_driver, c, _profile) = start_browser().await;
    // The township removes the village secretary (whose access goes with the post).
    login(&c, &app, "township_secretary").await;
    c.goto(&app.url(&format!("/posts/{post}"))).await.unwrap();
    wait_for(&c, "#remove-holder").await.click().await.unwrap();
    wait_for(&c, "#remove-form").await;
    // The deputy is proposed, and nothing moves without a look at the preview.
    let chosen =
        c.execute("return document.querySelector('#successor').selectedOptions[0].textContent;", vec![]).await.unwrap();
    assert!(chosen.as_str().unwrap().contains(&deputy), "{chosen}");
    c.find(Locator::Css("#remove-form select[name=reason] option[value=transferred]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    screenshot(&c, "10-succession-preview").await;
    c.find(Locator::Css("#confirm-remove")).await.unwrap().click().await.unwrap();
    // The page reloads with the deputy acting (主持工作).
    for _ in 0..50 {
        let holder = c.find(Locator::Css("#holder")).await.ok();
        if let Some(h) = holder
            && h.text().await.unwrap_or_default().contains("主持工作")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let holder = c.find(Locator::Css("#holder")).await.unwrap().text().await.unwrap();
    assert!(holder.contains(&deputy) && holder.contains("主持工作"), "{holder}");
    screenshot(&c, "11-deputy-acting").await;
    let acting = app
        .db
        .count(&frontline_db::Sql::with(
            "SELECT COUNT(*) FROM tenures WHERE post_id = $1 AND person_id = $2 AND acting AND end_date IS NULL",
            vec![post.into(), deputy_id.into()],
        ))
        .await
        .unwrap();
    assert_eq!(acting, 1);
    let reason = app
        .db
        .count(&frontline_db::Sql::with(
            "SELECT COUNT(*) FROM tenures WHERE post_id = $1 AND end_reason = 'transferred'",
            vec![post.into()],
        ))
        .await
        .unwrap();
    assert_eq!(reason, 1, "the reason chosen in the dialog is recorded");
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_member_claims_a_role_on_a_phone() {
    let app = TestApp::new().await;
    let (_driver, c, _profile) = start_browser().await;
    c.set_window_size(375, 812).await.unwrap();
    login(&c, &app, "member").await;
    // A member lands on today's work; their own page, with the roles of their village to claim,
    // is one tap away on the tab bar.
    wait_for(&c, "#my-tasks").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/today");
    wait_for(&c, "#tabbar a[href='/me']").await.click().await.unwrap();
    wait_for(&c, "#open-roles").await;
    assert!(c.current_url().await.unwrap().path().starts_with("/me"));
    no_sideways_scroll(&c, "the member's page").await;
    screenshot(&c, "12-member-roles-phone").await;
    let button = wait_for(&c, "button[data-role='民生服务代办员']").await;
    let rect = c
        .execute(
            "return document.querySelector(\"button[data-role='民生服务代办员']\").getBoundingClientRect().height;",
            vec![],
        )
        .await
        .unwrap();
    assert!(rect.as_f64().unwrap() >= 36.0, "a thumb-sized button, got {rect}");
    tap(&c, button).await;
    wait_text(&c, "待审批").await;
    let claims = c.find(Locator::Css("#my-claims")).await.unwrap().text().await.unwrap();
    assert!(claims.contains("民生服务代办员") && claims.contains("待审批"), "{claims}");
    no_sideways_scroll(&c, "the member's page after claiming").await;
    screenshot(&c, "13-member-claimed-phone").await;
    let pending = app
        .db
        .count(&frontline_db::Sql::new(
            "SELECT COUNT(*) FROM role_claims c JOIN users u ON u.person_id = c.person_id \
             JOIN role_posts r ON r.id = c.role_post_id WHERE u.username = 'member' AND c.status = 'pending' AND r.name = '民生服务代办员'",
        ))
        .await
        .unwrap();
    assert_eq!(pending, 1);
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_grid_worker_signs_the_daily_list_on_a_phone_and_the_secretary_verifies_it() {
    let app = TestApp::new().await;
    let (_driver, c, _profile) = start_browser().await;
    c.set_window_size(375, 812).await.unwrap();
    login(&c, &app, "grid_worker").await;
    // The grid worker lands on today's work: from there, three taps to a finished sign-off.
    let today = frontline_core::time::today_in_china(chrono::Utc::now()).to_string();
    wait_for(&c, "#my-tasks").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/today");
    let mut taps = 0;
    no_sideways_scroll(&c, "the grid worker's task list").await;
    screenshot(&c, "14-grid-worker-tasks-phone").await;
    // Today's eight rigid tasks: open the list, sign the commitment letter once, then one tap.
    let id: (i64,) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT i.id FROM task_instances i JOIN users u ON u.person_id = i.person_id JOIN task_lists l ON l.id = i.list_id \
             WHERE u.username = 'grid_worker' AND l.title = '疫情防控八项硬性任务' AND i.period_start = $1",
            vec![chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap().into()],
        ))
        .await
        .unwrap();
    c.find(Locator::Css(&format!("a[href='/work/tasks/{}']", id.0))).await.unwrap().click().await.unwrap();
    taps += 1;
    wait_for(&c, "#task-items").await;
    no_sideways_scroll(&c, "the sign-off page").await;
    wait_for(&c, "#sign-commitment").await.click().await.unwrap();
    taps += 1;
    // The page reloads once the letter is signed; give it the time a phone would.
    let mut gone = false;
    for _ in 0..50 {
        if c.find(Locator::Css("#sign-commitment")).await.is_err() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(gone, "signed once, the letter goes away");
    wait_for(&c, "#submit-all").await;
    let height = c
        .execute("return document.querySelector('#submit-all').getBoundingClientRect().height;", vec![])
        .await
        .unwrap();
    assert!(height.as_f64().unwrap() >= 36.0, "a thumb-sized button, got {height}");
    screenshot(&c, "15-grid-worker-sign-off-phone").await;
    tap(&c, c.find(Locator::Css("#submit-all")).await.unwrap()).await;
    taps += 1;
    wait_text(&c, "待核验").await;
    assert!(taps <= 3, "from landing to a finished sign-off in {taps} taps");
    // The answer says what happened and when, and leads back to the day's work.
    let said = wait_for(&c, "#handed-in").await.text().await.unwrap();
    assert!(said.starts_with("已提交"), "{said}");
    wait_for(&c, "#back-today").await;
    let ticked = c
        .execute("return document.querySelectorAll('#task-items input[type=checkbox]:checked').length;", vec![])
        .await
        .unwrap();
    assert_eq!(ticked.as_i64(), Some(8), "all eight items ticked by one tap");
    screenshot(&c, "16-grid-worker-handed-in-phone").await;
    // The village secretary, on a phone too, finds it waiting as a card (who, when, late or
    // not) with 核验通过 in reach, and verifies it.
    c.delete_all_cookies().await.unwrap();
    login(&c, &app, "village_secretary").await;
    // Their 待办 counts the list among those to verify; one tap opens the queue.
    let waiting = wait_for(&c, "#todo a[data-kind='to_verify'] .todo-count").await.text().await.unwrap();
    assert!(waiting.parse::<i64>().unwrap() >= 1, "{waiting}");
    no_sideways_scroll(&c, "the secretary's to-do").await;
    screenshot(&c, "17a-secretary-todo-phone").await;
    tap(&c, c.find(Locator::Css("#todo a[data-kind='to_verify']")).await.unwrap()).await;
    wait_for(&c, "#task-queue").await;
    no_sideways_scroll(&c, "the verify queue").await;
    let row = format!("#task-queue form[hx-post='/work/tasks/{}/decide'] button", id.0);
    let verify = wait_for(&c, &row).await;
    let card = c
        .execute(
            "var b = arguments[0].getBoundingClientRect(); var tr = arguments[0].closest('tr'); \
             var who = tr.querySelector('.card-title').getBoundingClientRect(); \
             var labels = Array.from(tr.querySelectorAll('td[data-label]')).map(function (td) { return getComputedStyle(td, '::before').content; }).join(' '); \
             return [b.width, b.right <= window.innerWidth, who.left >= 0 && who.right <= window.innerWidth, labels];",
            vec![serde_json::to_value(&verify).unwrap()],
        )
        .await
        .unwrap();
    assert!(card[0].as_f64().unwrap() >= 80.0, "a whole button: {card}");
    assert_eq!((card[1].as_bool(), card[2].as_bool()), (Some(true), Some(true)), "button and name in view: {card}");
    assert!(card[3].as_str().unwrap().contains("提交时间"), "the card says when it came in: {card}");
    screenshot(&c, "17-secretary-verify-phone").await;
    // Returning it without a reason: the reason box is marked, its message beside it, in view.
    let back = format!("#task-queue form[hx-post='/work/tasks/{}/decide'] input[name=reason] ~ button", id.0);
    tap(&c, wait_for(&c, &back).await).await;
    wait_for(&c, ".field-msg[data-for='reason']").await;
    let marked = c
        .execute(
            "var f = document.querySelector('[aria-invalid=true][name=reason]'); if (!f) { return ['none']; } \
             var r = f.getBoundingClientRect(); var m = f.nextElementSibling; \
             return [r.top >= 0 && r.bottom <= window.innerHeight, m.className, m.textContent];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(marked[0].as_bool(), Some(true), "the marked reason is in view: {marked}");
    assert_eq!(marked[1], "field-msg", "{marked}");
    assert!(marked[2].as_str().unwrap().contains("必填"), "the message says what is wrong: {marked}");
    screenshot(&c, "17b-return-without-reason-phone").await;
    let verify = wait_for(&c, &row).await;
    tap(&c, verify).await;
    for _ in 0..50 {
        if c.find(Locator::Css(&row)).await.is_err() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let status: (String,) = app
        .db
        .one(&frontline_db::Sql::with("SELECT status FROM task_instances WHERE id = $1", vec![id.0.into()]))
        .await
        .unwrap();
    assert_eq!(status.0, "verified");
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_request_lives_from_intake_to_call_back_in_the_browser() {
    let app = TestApp::new().await;
    let places = Places::load(&app).await;
    let (_driver, c, _profile) = start_browser().await;
    // The county's hotline takes a call about 岐源村 and files it.
    login(&c, &app, "county_org").await;
    c.goto(&app.url(&format!("/orders?unit={}", places.baishi))).await.unwrap();
    wait_for(&c, "#new-order").await;
    c.find(Locator::Css("#new-order select[name=category] option[value=road_light]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#new-order select[name=channel] option[value=hotline]")).await.unwrap().click().await.unwrap();
    // The place is one of hundreds: typing part of its name in the search box above picks it.
    let options = c.find_all(Locator::Css("#new-order select[name=place_unit_id] option")).await.unwrap().len();
    assert!(options > 15, "a long list: {options}");
    c.find(Locator::Css("#new-order .picker-search + select[name=place_unit_id]")).await.unwrap();
    c.execute(
        "var box = document.querySelector('#new-order select[name=place_unit_id]').previousElementSibling; \
         box.value = '岐元'; box.dispatchEvent(new Event('input'));",
        vec![],
    )
    .await
    .unwrap();
    let kept = c
        .execute(
            "var s = document.querySelector('#new-order select[name=place_unit_id]'); \
             var shown = Array.from(s.options).filter(function (o) { return o.value && !o.hidden; }); \
             return [shown.length, shown.every(function (o) { return o.text.indexOf('岐元') >= 0; }), s.options[s.selectedIndex].text];",
            vec![],
        )
        .await
        .unwrap();
    assert!(kept[0].as_u64().unwrap() >= 1 && kept[0].as_u64().unwrap() < 15, "the search keeps the matches: {kept}");
    assert_eq!(kept[1].as_bool(), Some(true), "only matches are shown: {kept}");
    assert!(kept[2].as_str().unwrap().contains("岐元"), "the first match is picked: {kept}");
    c.find(Locator::Css(&format!("#new-order select[name=place_unit_id] option[value='{}']", places.qiyuan)))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#new-order input[name=title]")).await.unwrap().send_keys("村口路灯不亮").await.unwrap();
    c.find(Locator::Css("#new-order textarea[name=description]"))
        .await
        .unwrap()
        .send_keys("村口一段路灯坏了一周")
        .await
        .unwrap();
    c.find(Locator::Css("#new-order input[name=reporter_phone]"))
        .await
        .unwrap()
        .send_keys("13857712345")
        .await
        .unwrap();
    screenshot(&c, "18-order-intake").await;
    c.find(Locator::Css("#new-order button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "#timeline").await;
    wait_text(&c, "待签收").await;
    let id: i64 = c.current_url().await.unwrap().path().rsplit('/').next().unwrap().parse().unwrap();
    // The village secretary signs for it and replies, on a phone.
    c.delete_all_cookies().await.unwrap();
    c.set_window_size(375, 812).await.unwrap();
    login(&c, &app, "village_secretary").await;
    c.goto(&app.url(&format!("/orders/{id}"))).await.unwrap();
    wait_for(&c, "#sign button").await;
    screenshot(&c, "19-order-sign-phone").await;
    wait_for(&c, "#sign button").await.click().await.unwrap();
    wait_for(&c, "#reply textarea").await.send_keys("已更换灯具，恢复照明").await.unwrap();
    no_sideways_scroll(&c, "the order page").await;
    screenshot(&c, "19-order-reply-phone").await;
    c.find(Locator::Css("#reply button")).await.unwrap().click().await.unwrap();
    wait_text(&c, "待回访").await;
    // The county calls the resident back: satisfied, closed.
    c.delete_all_cookies().await.unwrap();
    c.set_window_size(1280, 900).await.unwrap();
    login(&c, &app, "county_org").await;
    c.goto(&app.url(&format!("/orders/{id}"))).await.unwrap();
    wait_for(&c, "#call-back button").await.click().await.unwrap();
    wait_text(&c, "已办结").await;
    screenshot(&c, "20-order-closed").await;
    let (status, satisfied): (String, Option<i64>) = app
        .db
        .one(&frontline_db::Sql::with("SELECT status, satisfied FROM work_orders WHERE id = $1", vec![id.into()]))
        .await
        .unwrap();
    assert_eq!((status.as_str(), satisfied), ("closed", Some(1)));
    let steps = app
        .db
        .count(&frontline_db::Sql::with("SELECT COUNT(*) FROM order_steps WHERE order_id = $1", vec![id.into()]))
        .await
        .unwrap();
    assert_eq!(steps, 5, "receive, dispatch, sign, reply, call back");
    c.close().await.unwrap();
}

#[tokio::test]
async fn an_inspector_logs_a_finding_on_a_phone_and_the_village_answers_it() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let round = crate::supervision::round_over(&app, p.qiyuan, 1).await;
    let target = crate::supervision::target_in(&app.api("inspector").await, round, p.qiyuan).await;
    let (_driver, c, _profile) = start_browser().await;
    c.set_window_size(375, 812).await.unwrap();
    login(&c, &app, "inspector").await;
    c.goto(&app.url("/inspections/mine")).await.unwrap();
    wait_for(&c, "#my-targets").await;
    no_sideways_scroll(&c, "the inspector's list").await;
    screenshot(&c, "21-inspector-targets-phone").await;
    wait_for(&c, &format!("a[href='/inspections/targets/{target}']")).await.click().await.unwrap();
    wait_for(&c, "#visit-form").await;
    no_sideways_scroll(&c, "the visit form").await;
    // The first cadre is not at their post.
    c.find(Locator::Css("#visit-form input[name=present]")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("#visit-form textarea[name=task_progress]"))
        .await
        .unwrap()
        .send_keys("清单任务按期推进")
        .await
        .unwrap();
    c.find(Locator::Css("#visit-form textarea[name=grid_management]"))
        .await
        .unwrap()
        .send_keys("网格台账清楚")
        .await
        .unwrap();
    c.find(Locator::Css("#visit-form select[name=severity_0] option[value=major]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#visit-form textarea[name=description_0]"))
        .await
        .unwrap()
        .send_keys("便民服务中心上午无人值守")
        .await
        .unwrap();
    screenshot(&c, "22-inspector-visit-phone").await;
    tap(&c, c.find(Locator::Css("#visit-form button[type=submit]")).await.unwrap()).await;
    let mut logged = false;
    for _ in 0..50 {
        if c.current_url().await.unwrap().path() == "/inspections/mine" {
            logged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(logged, "back to the list once logged");
    let (finding, person, expected, found): (i64, Option<i64>, i64, i64) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT f.id, f.person_id, v.on_post_expected, v.on_post_found FROM findings f JOIN inspection_visits v ON v.id = f.visit_id \
             WHERE v.target_id = $1 AND f.severity = 'major' AND f.description = '便民服务中心上午无人值守'",
            vec![target.into()],
        ))
        .await
        .unwrap();
    assert_eq!(found, expected - 1, "one cadre was not at their post");
    let secretary: (i64,) = app
        .db
        .one(&frontline_db::Sql::new("SELECT person_id FROM users WHERE username = 'village_secretary'"))
        .await
        .unwrap();
    assert_eq!(person, Some(secretary.0), "the finding names the village secretary");
    // The village secretary answers it on a phone.
    c.delete_all_cookies().await.unwrap();
    login(&c, &app, "village_secretary").await;
    c.goto(&app.url(&format!("/findings/{finding}"))).await.unwrap();
    wait_for(&c, "#rectify textarea[name=text]").await.send_keys("已排定值班表并公示").await.unwrap();
    c.find(Locator::Css("#rectify input[name=evidence]")).await.unwrap().send_keys("值班表照片").await.unwrap();
    no_sideways_scroll(&c, "the finding page").await;
    tap(&c, c.find(Locator::Css("#rectify button")).await.unwrap()).await;
    wait_text(&c, "待验收").await;
    screenshot(&c, "23-finding-handed-in-phone").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn the_county_drills_from_a_village_star_rating_down_to_a_record() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    // A household check in 岐元村 today, so its home-control line has a record to lead to.
    let mut tx = app.db.begin().await.unwrap();
    let record = frontline_db::records::append(
        &mut tx,
        frontline_db::records::NewRecord {
            kind: frontline_core::records::RecordKind::SurveyFiled,
            unit_id: p.qiyuan,
            person_id: None,
            occurred_at: chrono::Utc::now(),
            value: 0,
            source_kind: "survey_response",
            source_id: 0,
            note: Some("浏览器测试".into()),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (_driver, c, _profile) = start_browser().await;
    login(&c, &app, "county_org").await;
    c.goto(&app.url("/schemes")).await.unwrap();
    wait_for(&c, "#schemes").await;
    let (bastion,): (i64,) = app
        .db
        .one(&frontline_db::Sql::with("SELECT MIN(id) FROM schemes WHERE code = 'bastion'", vec![]))
        .await
        .unwrap();
    wait_for(&c, &format!("#schemes a[href='/schemes/{bastion}']")).await.click().await.unwrap();
    // The county: stars counted, townships rolled up; into 白石街道.
    wait_for(&c, "#star-counts").await;
    screenshot(&c, "31-bastion-county").await;
    wait_for(&c, &format!("#groups a[href^='/schemes/{bastion}?unit={}&']", p.baishi)).await.click().await.unwrap();
    // The township: its villages ranked with their stars; the village's explanation.
    let explain = wait_for(&c, &format!("#ranking a.explain[href*='unit={}&']", p.qiyuan)).await;
    let row_text = c
        .execute("return arguments[0].closest('tr').innerText;", vec![serde_json::to_value(&explain).unwrap()])
        .await
        .unwrap();
    let row_text = row_text.as_str().unwrap().to_string();
    assert!(row_text.contains("岐元村"), "{row_text}");
    assert!(row_text.contains('★') || row_text.contains("后进"), "a star rating or the laggard mark: {row_text}");
    screenshot(&c, "32-bastion-township").await;
    explain.click().await.unwrap();
    wait_for(&c, "#lines").await;
    let shown_total = c.find(Locator::Css("#total strong")).await.unwrap().text().await.unwrap();
    let ranked_total =
        row_text.split('\t').nth(3).unwrap_or_default().split_whitespace().next().unwrap_or_default().to_string();
    assert_eq!(shown_total, ranked_total, "the explanation shows the score the ranking shows");
    screenshot(&c, "33-bastion-explained").await;
    // From the home-control line to the household checks it counted.
    let link = wait_for(&c, "tr.line-indicator a.records[href*='kind=survey_filed']").await;
    let counted = c
        .execute(
            "return arguments[0].parentElement.querySelector('strong').innerText;",
            vec![serde_json::to_value(&link).unwrap()],
        )
        .await
        .unwrap();
    let counted: f64 = counted.as_str().unwrap().parse().unwrap();
    assert!(counted >= 1.0);
    link.click().await.unwrap();
    wait_for(&c, "#records").await;
    wait_for(&c, &format!("#record-{record}")).await;
    let listed = c.find(Locator::Css("#kind-counts .figure strong")).await.unwrap().text().await.unwrap();
    assert_eq!(listed.parse::<f64>().unwrap(), counted, "the ledger lists exactly the records the line counted");
    screenshot(&c, "34-ledger-records").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_township_notes_appraises_and_prints_a_certificate_from_a_cadres_ledger() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let (person,): (i64,) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT MIN(id) FROM people WHERE home_unit_id = $1 AND category = 'village_cadre'",
            vec![p.qiyuan.into()],
        ))
        .await
        .unwrap();
    let (_driver, c, _profile) = start_browser().await;
    login(&c, &app, "township_secretary").await;
    // The cadre's 台账: a leader's phone inquiry written into it.
    c.goto(&app.url(&format!("/ledger?person={person}"))).await.unwrap();
    wait_for(&c, "#note-form").await;
    c.find(Locator::Css("#note-form select[name=kind] option[value=leader_inquiry]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#note-form textarea[name=note]"))
        .await
        .unwrap()
        .send_keys("电话询问卡点值守情况，回答清楚")
        .await
        .unwrap();
    c.find(Locator::Css("#note-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_text(&c, "电话询问卡点值守情况，回答清楚").await;
    screenshot(&c, "41-ledger-note").await;
    // An appraisal from the ledger, concluded, and its 鉴定书.
    wait_for(&c, "#start-appraisal").await.click().await.unwrap();
    wait_for(&c, "#new-appraisal").await;
    c.find(Locator::Css("#new-appraisal input[name=campaign]"))
        .await
        .unwrap()
        .send_keys("浏览器测试考察")
        .await
        .unwrap();
    c.find(Locator::Css("#new-appraisal button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "#conclude-form").await;
    let counts = wait_for(&c, "#appraisal-counts").await.text().await.unwrap();
    assert!(counts.contains("领导电话询问"), "the note is counted: {counts}");
    c.find(Locator::Css("#conclude-form select[name=grade] option[value=excellent]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#conclude-form textarea[name=conclusion]"))
        .await
        .unwrap()
        .send_keys("该同志坚守一线，鉴定为优秀。")
        .await
        .unwrap();
    // The reason is kept only where the record disagrees with the grade (the form says which).
    c.find(Locator::Css("#conclude-form textarea[name=reason]"))
        .await
        .unwrap()
        .send_keys("经党委会研究确定。")
        .await
        .unwrap();
    c.find(Locator::Css("#conclude-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(&c, "#certificate-link").await;
    assert_eq!(c.find(Locator::Css("#appraisal-grade")).await.unwrap().text().await.unwrap(), "优秀");
    assert!(c.find(Locator::Css("#tiers")).await.unwrap().text().await.unwrap().contains("储备人选"));
    screenshot(&c, "42-appraisal-final").await;
    c.find(Locator::Css("#certificate-link")).await.unwrap().click().await.unwrap();
    let certificate = wait_for(&c, "#certificate").await.text().await.unwrap();
    assert!(
        certificate.contains("一线考察鉴定书")
            && certificate.contains("该同志坚守一线，鉴定为优秀。")
            && certificate.contains("考核单位（盖章）"),
        "{certificate}"
    );
    screenshot(&c, "43-certificate").await;
    c.close().await.unwrap();
}

/// How many charts the dashboard placed (drawn, or saying there is nothing to draw), once it has.
async fn charts_drawn(c: &Client) -> i64 {
    let holder = wait_for(c, "#dash-charts[data-drawn]").await;
    let n: i64 = holder.attr("data-drawn").await.unwrap().unwrap().parse().unwrap();
    let empty: i64 = holder.attr("data-empty").await.unwrap().unwrap().parse().unwrap();
    let canvases = c.find_all(Locator::Css("#dash-charts canvas")).await.unwrap().len() as i64;
    assert!(canvases >= n - empty, "every chart with something to draw is drawn on a canvas: {canvases} of {n}");
    let notes = c.find_all(Locator::Css("#dash-charts .chart-empty")).await.unwrap().len() as i64;
    assert_eq!(notes, empty, "an empty chart says so");
    n
}

#[tokio::test]
async fn dashboards_at_every_level_drill_down_to_the_lists_behind_them() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let (_driver, c, _profile) = start_browser().await;
    login(&c, &app, "county_org").await;
    // The county: tiles, four charts (orders per day, where they stand, stars, the townships).
    c.goto(&app.url("/dashboard")).await.unwrap();
    wait_for(&c, "#tile-orders").await;
    assert_eq!(charts_drawn(&c).await, 4);
    let title = c.find(Locator::Css("#dash-title")).await.unwrap().text().await.unwrap();
    assert!(title.contains("乐清市"), "{title}");
    screenshot(&c, "40-dashboard-county").await;
    // Down to 白石街道 and on to 岐元村, each with its own figures.
    wait_for(&c, &format!("#dash-children a[href^='/dashboard?unit={}&']", p.baishi)).await.click().await.unwrap();
    wait_for(&c, &format!("#dash-period input[name=unit][value='{}']", p.baishi)).await;
    assert!(charts_drawn(&c).await >= 3);
    screenshot(&c, "41-dashboard-township").await;
    wait_for(&c, &format!("#dash-children a[href^='/dashboard?unit={}&']", p.qiyuan)).await.click().await.unwrap();
    wait_for(&c, &format!("#dash-period input[name=unit][value='{}']", p.qiyuan)).await;
    let title = c.find(Locator::Css("#dash-title")).await.unwrap().text().await.unwrap();
    assert!(title.contains("岐元村"), "{title}");
    assert!(charts_drawn(&c).await >= 2);
    screenshot(&c, "42-dashboard-village").await;
    // One figure, followed into the list behind it: the village's findings.
    wait_for(&c, "#tile-findings").await.click().await.unwrap();
    wait_for(&c, "#findings").await;
    let url = c.current_url().await.unwrap();
    assert_eq!(url.path(), "/findings");
    assert_eq!(url.query(), Some(format!("unit={}", p.qiyuan).as_str()));
    // A list downloads as the workbook of what it shows: the county's orders, every page.
    c.goto(&app.url("/orders")).await.unwrap();
    wait_for(&c, "#export-orders").await.click().await.unwrap();
    let link = wait_for(&c, "#export-result-orders a.export-download").await;
    let href = link.attr("href").await.unwrap().unwrap();
    let bytes = c
        .execute_async(
            "const [href, done] = arguments; fetch(href).then(r => r.arrayBuffer()).then(b => done(Array.from(new Uint8Array(b))));",
            vec![json!(href)],
        )
        .await
        .unwrap();
    let bytes: Vec<u8> = serde_json::from_value(bytes).unwrap();
    let rows = frontline_reports::read_first_sheet(&bytes).expect("the download is a workbook");
    let total: usize = wait_for(&c, ".pager").await.attr("data-total").await.unwrap().unwrap().parse().unwrap();
    assert!(total > 0);
    assert_eq!(rows.len() - 1, total, "the header and every order of the list");
    screenshot(&c, "45-orders-exported").await;
    // The command room's large screen of the county.
    c.set_window_size(1920, 1080).await.unwrap();
    c.goto(&app.url("/dashboard/screen")).await.unwrap();
    wait_for(&c, "body.screen #tile-bastion").await;
    assert_eq!(charts_drawn(&c).await, 4);
    // It fits the wall: nothing below the fold, every chart whole.
    let fit = c
        .execute(
            "var h = window.innerHeight; var below = Array.from(document.querySelectorAll('#dash-charts .chart')) \
             .filter(function (e) { return e.getBoundingClientRect().bottom > h + 1; }).length; \
             return [document.documentElement.scrollHeight - h, below];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fit, json!([0, 0]), "the large screen fits the window");
    screenshot(&c, "43-dashboard-screen").await;
    // On a phone the dashboard shows its tiles and table at once and fetches the charts only
    // when asked.
    c.set_window_size(375, 812).await.unwrap();
    c.goto(&app.url("/dashboard")).await.unwrap();
    wait_for(&c, "#tile-orders").await;
    let loaded = c.execute("return typeof echarts !== 'undefined';", vec![]).await.unwrap();
    assert_eq!(loaded.as_bool(), Some(false), "no chart library before the charts are asked for");
    tap(&c, wait_for(&c, "#show-charts").await).await;
    assert_eq!(charts_drawn(&c).await, 4);
    c.set_window_size(1280, 900).await.unwrap();
    wait_for(&c, "#logout").await.click().await.unwrap();
    // The logout navigates to the login page; wait for it to arrive before looking inside.
    for _ in 0..50 {
        if c.current_url().await.is_ok_and(|u| u.path() == "/login") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(&c, "#username").await;
    // A grid worker's day on a phone.
    c.set_window_size(375, 812).await.unwrap();
    login(&c, &app, "grid_worker").await;
    c.goto(&app.url("/today")).await.unwrap();
    wait_for(&c, "#tile-tasks").await;
    // Today's progress is a bar in its tile: no chart library on the grid worker's page.
    wait_for(&c, "#tile-tasks progress#today-progress").await;
    let scripts = c.execute("return Array.from(document.scripts).map(s => s.src).join(' ');", vec![]).await.unwrap();
    assert!(!scripts.as_str().unwrap().contains("echarts"), "{scripts}");
    no_sideways_scroll(&c, "today").await;
    screenshot(&c, "44-today-phone").await;
    // The tab bar holds the grid worker's own work, one tap away.
    let tabs = c.execute("return Array.from(document.querySelectorAll('#tabbar a')).map(a => a.getAttribute('href') + (a.classList.contains('active') ? '*' : ''));", vec![]).await.unwrap();
    assert_eq!(tabs, json!(["/today*", "/todo", "/orders", "/me"]));
    let gap = c
        .execute(
            "return window.innerHeight - document.querySelector('#tabbar').getBoundingClientRect().bottom;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(gap.as_f64(), Some(0.0), "the tab bar sits at the bottom of the screen");
    wait_for(&c, "#tile-tasks").await.click().await.unwrap();
    wait_for(&c, "body").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/today");
    c.close().await.unwrap();
}

#[tokio::test]
async fn detail_pages_print_without_the_menu_and_tree() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let one = |sql: &'static str| {
        let db = app.db.clone();
        async move { db.one::<(i64, String)>(&frontline_db::Sql::new(sql)).await.unwrap() }
    };
    let person = one("SELECT id, name FROM people ORDER BY id LIMIT 1").await;
    let order = one("SELECT id, title FROM work_orders ORDER BY id LIMIT 1").await;
    let pages = [
        ("unit", format!("/units/{}", p.qiyuan), "岐元村".to_string()),
        ("person", format!("/people/{}", person.0), person.1),
        ("order", format!("/orders/{}", order.0), order.1),
    ];
    let (_driver, c, _profile) = start_browser().await;
    login(&c, &app, "county_org").await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, path, heading) in pages {
        c.goto(&app.url(&path)).await.unwrap();
        wait_for(&c, "main.content").await;
        let pdf = c.print(fantoccini::wd::PrintConfiguration::default()).await.unwrap();
        let file = dir.join(format!("print-{name}.pdf"));
        std::fs::write(&file, &pdf).unwrap();
        let text = Command::new("pdftotext").arg(&file).arg("-").output().expect("pdftotext (poppler-utils)");
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains(&heading), "{path} prints its content ({heading}): {text}");
        for chrome in ["审计日志", "组织树", "退出"] {
            assert!(!text.contains(chrome), "{path} prints without {chrome}: {text}");
        }
        let status = Command::new("pdftoppm")
            .args(["-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile"])
            .arg(&file)
            .arg(dir.join(format!("print-{name}")))
            .status()
            .unwrap();
        assert!(status.success());
    }
    c.close().await.unwrap();
}

/// The rank a village carries reads the same on its township's ranking page, its breakdown, its
/// own dashboard and the township's monthly bulletin (issue 22: one rank, one truth).
#[tokio::test]
async fn a_villages_rank_reads_the_same_on_the_ranking_the_breakdown_its_dashboard_and_the_bulletin() {
    let app = TestApp::new().await;
    let p = Places::load(&app).await;
    let to = frontline_core::time::today_in_china(chrono::Utc::now());
    let from = to - chrono::Duration::days(29);
    let span = frontline_core::bulletins::Span { from, to };
    assert!(
        frontline_db::bulletins::generate(&app.db, p.baishi, frontline_core::bulletins::Cadence::Monthly, span)
            .await
            .unwrap()
    );
    let (bulletin,): (i64,) = app
        .db
        .one(&frontline_db::Sql::with("SELECT id FROM bulletins WHERE unit_id = $1", vec![p.baishi.into()]))
        .await
        .unwrap();
    let (bastion,): (i64,) = app
        .db
        .one(&frontline_db::Sql::with("SELECT MIN(id) FROM schemes WHERE code = 'bastion'", vec![]))
        .await
        .unwrap();
    // The village at the true bottom of the black list, with the rank the bulletin gives it.
    let (_, b) = app.api("county_org").await.get(&format!("/bulletins/{bulletin}")).await;
    let black = b["content"]["black"].as_array().unwrap();
    let bottom = black.iter().rev().find(|r| r["measured"] != false).expect("a village with data on the black list");
    let (village, rank) = (bottom["unit_id"].as_i64().unwrap(), bottom["rank"].as_i64().unwrap().to_string());
    assert!(rank != "1", "the bottom of a township's list is not its first");

    let (_driver, c, _profile) = start_browser().await;
    login(&c, &app, "county_org").await;
    let q = format!("from={from}&to={to}");
    // 1. The bulletin.
    c.goto(&app.url(&format!("/bulletins/{bulletin}"))).await.unwrap();
    let on_bulletin = wait_for(&c, &format!("#bulletin-black li[data-unit='{village}'] .rank")).await;
    assert_eq!(on_bulletin.text().await.unwrap(), rank, "the bulletin");
    screenshot(&c, "40-rank-bulletin").await;
    // 2. The township's ranking page.
    c.goto(&app.url(&format!("/schemes/{bastion}?unit={}&{q}&per_page=200", p.baishi))).await.unwrap();
    let explain = wait_for(&c, &format!("#ranking a.explain[href*='unit={village}&']")).await;
    let on_ranking = c
        .execute("return arguments[0].closest('tr').cells[0].innerText;", vec![serde_json::to_value(&explain).unwrap()])
        .await
        .unwrap();
    assert_eq!(on_ranking.as_str().unwrap().trim(), rank, "the ranking page");
    screenshot(&c, "41-rank-ranking").await;
    // 3. The breakdown opened from it.
    explain.click().await.unwrap();
    let on_breakdown = wait_for(&c, "#rank").await.text().await.unwrap();
    assert!(on_breakdown.starts_with(&format!("{rank} / ")), "the breakdown: {on_breakdown}");
    assert!(on_breakdown.contains("白石街道"), "the breakdown names the ranking the rank is in: {on_breakdown}");
    screenshot(&c, "42-rank-breakdown").await;
    // 4. The village's own dashboard.
    c.goto(&app.url(&format!("/dashboard?unit={village}&{q}"))).await.unwrap();
    let tile = wait_for(&c, "#tile-bastion").await.text().await.unwrap();
    assert!(tile.contains(&format!("名次 {rank} / ")), "the village's dashboard: {tile}");
    assert!(tile.contains("白石街道"), "{tile}");
    screenshot(&c, "43-rank-dashboard").await;
    c.close().await.unwrap();
}

/// What a page costs on a phone, in bytes. Cold: the page and every file it loads as they cross
/// the network (compressed bodies, `encodedBodySize`, plus 500 bytes of headers per request), as
/// if the browser held none of them. Warm: the bytes that really cross the network when the page
/// is opened again (`transferSize`; files the browser holds cost nothing, a page it holds answers
/// 304). Also the cold weight were nothing compressed (`decodedBodySize`), for comparison.
async fn page_weight(c: &Client, url: &str) -> (f64, f64, f64) {
    const SUM: &str = "var n = performance.getEntriesByType('navigation')[0]; \
        var r = performance.getEntriesByType('resource'); \
        return { cold: [n].concat(r).reduce(function (a, e) { return a + e.encodedBodySize + 500; }, 0), \
                 plain: [n].concat(r).reduce(function (a, e) { return a + e.decodedBodySize + 500; }, 0), \
                 warm: [n].concat(r).reduce(function (a, e) { return a + e.transferSize; }, 0) };";
    let mut seen = Vec::new();
    for _ in 0..2 {
        c.goto(url).await.unwrap();
        for _ in 0..100 {
            let done = c.execute("return document.readyState === 'complete';", vec![]).await.unwrap();
            if done.as_bool() == Some(true) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Let htmx finish what it loads with the page (the unit tree).
        tokio::time::sleep(Duration::from_millis(300)).await;
        seen.push(c.execute(SUM, vec![]).await.unwrap());
    }
    (seen[0]["cold"].as_f64().unwrap(), seen[1]["warm"].as_f64().unwrap(), seen[0]["plain"].as_f64().unwrap())
}

#[tokio::test]
async fn phone_pages_are_light_cold_and_warm() {
    let app = TestApp::new().await;
    let (_driver, c, _profile) = start_browser().await;
    c.set_window_size(375, 812).await.unwrap();
    let task: (i64,) = app
        .db
        .one(&frontline_db::Sql::new(
            "SELECT i.id FROM task_instances i JOIN users u ON u.person_id = i.person_id \
             WHERE u.username = 'grid_worker' ORDER BY i.period_start DESC, i.id LIMIT 1",
        ))
        .await
        .unwrap();
    let task_page = format!("/work/tasks/{}", task.0);
    let pages: [(&str, &[&str]); 4] = [
        ("grid_worker", &["/today", &task_page, "/todo", "/me", "/orders", "/work/households"]),
        ("village_secretary", &["/todo", "/dashboard", "/work/verify", "/orders", "/findings", "/today"]),
        ("inspector", &["/inspections/mine", "/findings"]),
        ("member", &["/today", "/me"]),
    ];
    let mut table = String::from("user\tpage\tcold KB\twarm KB\tcold KB uncompressed\n");
    let mut heavy = Vec::new();
    for (user, paths) in pages {
        c.delete_all_cookies().await.unwrap();
        login(&c, &app, user).await;
        for path in paths {
            let (cold, warm, plain) = page_weight(&c, &app.url(path)).await;
            let (cold, warm, plain) = (cold / 1024.0, warm / 1024.0, plain / 1024.0);
            table.push_str(&format!("{user}\t{path}\t{cold:.1}\t{warm:.1}\t{plain:.1}\n"));
            if cold > 150.0 || warm > 20.0 {
                heavy.push(format!("{user} {path}: {cold:.1} KB cold, {warm:.1} KB warm"));
            }
        }
    }
    println!("{table}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("page-weight.tsv"), &table).unwrap();
    assert!(heavy.is_empty(), "phone pages over 150 KB cold or 20 KB warm:\n{}\n{table}", heavy.join("\n"));
    c.close().await.unwrap();
}

/// Each role, logged in through the form, lands on its own work (on the screen it works on:
/// the county and township at a desk, the others on a phone), with a screenshot of each.
#[tokio::test]
async fn each_role_lands_on_its_work_in_the_browser() {
    let app = TestApp::new().await;
    let (_driver, c, _profile) = start_browser().await;
    let roles = [
        ("admin", "/units", "#unit-tree", (1366, 768)),
        ("county_org", "/dashboard", "#dash-tiles", (1366, 768)),
        ("township_secretary", "/dashboard", "#dash-tiles", (1366, 768)),
        ("village_secretary", "/todo", "#todo", (375, 812)),
        ("inspector", "/inspections/mine", "#my-targets", (375, 812)),
        ("grid_worker", "/today", "#my-tasks", (375, 812)),
        ("member", "/today", "#my-tasks", (375, 812)),
    ];
    for (user, landing, mark, (w, h)) in roles {
        c.delete_all_cookies().await.unwrap();
        c.set_window_size(w, h).await.unwrap();
        login(&c, &app, user).await;
        wait_for(&c, mark).await;
        assert_eq!(c.current_url().await.unwrap().path(), landing, "{user}");
        if w < 768 {
            no_sideways_scroll(&c, landing).await;
            let tabs = c.execute("return document.querySelectorAll('#tabbar a').length;", vec![]).await.unwrap();
            assert!(tabs.as_i64().unwrap() >= 2, "{user} has the tab bar: {tabs}");
        } else {
            let crumbs = wait_for(&c, "#crumbs").await.text().await.unwrap();
            assert!(crumbs.starts_with("首页 / "), "{user}: {crumbs}");
        }
        screenshot(&c, &format!("50-landing-{user}")).await;
    }
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_member_checks_in_at_a_meeting_by_its_qr_code_on_a_phone() {
    let app = TestApp::new().await;
    let (_driver, c, _profile) = start_browser().await;
    // The secretary opens today's theme day of the member's branch: its QR code and the address in it.
    let meeting = app.count("SELECT id FROM life_meetings WHERE check_in_code LIKE '%today'").await;
    c.set_window_size(1280, 900).await.unwrap();
    login(&c, &app, "village_secretary").await;
    // 组织生活: the village's compliance last quarter, its meetings, the form to record one.
    c.goto(&app.url("/life")).await.unwrap();
    wait_for(&c, "#life-compliance").await;
    wait_for(&c, "#life-meetings").await;
    screenshot(&c, "29-life").await;
    c.goto(&app.url(&format!("/life/meetings/{meeting}"))).await.unwrap();
    wait_for(&c, "#life-qr svg").await;
    let link = wait_for(&c, "#life-check-in-link").await.attr("href").await.unwrap().unwrap();
    assert!(link.contains("/life/check-in?code="), "{link}");
    screenshot(&c, "30-meeting-qr").await;
    // The member scans it on a phone: one tap on 签到.
    c.delete_all_cookies().await.unwrap();
    c.set_window_size(375, 812).await.unwrap();
    login(&c, &app, "member").await;
    c.goto(&link).await.unwrap();
    let button = wait_for(&c, "#check-in-button").await;
    no_sideways_scroll(&c, "the check-in page").await;
    tap(&c, button).await;
    wait_for(&c, "#checked-in").await;
    wait_text(&c, "签到成功").await;
    screenshot(&c, "31-checked-in-phone").await;
    let scanned = app
        .count(&format!(
            "SELECT COUNT(*) FROM life_attendance a JOIN users u ON u.person_id = a.person_id \
             WHERE u.username = 'member' AND a.meeting_id = {meeting} AND a.status = 'present' AND a.taken_by = 'scan'"
        ))
        .await;
    assert_eq!(scanned, 1);
    // Back on the secretary's desk, the member shows as present by scan.
    c.delete_all_cookies().await.unwrap();
    c.set_window_size(1280, 900).await.unwrap();
    login(&c, &app, "village_secretary").await;
    c.goto(&app.url(&format!("/life/meetings/{meeting}"))).await.unwrap();
    wait_text(&c, "扫码签到").await;
    let count = wait_for(&c, "#life-present-count").await.text().await.unwrap();
    assert_eq!(count.trim(), "1");
    c.close().await.unwrap();
}

/// Chromium's network emulation (chromedriver's `network_conditions`): the page, its requests
/// and `navigator.onLine` as on a phone without signal, or back to normal.
#[derive(Debug)]
struct Network {
    offline: bool,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Network {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/chromium/network_conditions", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        if self.offline {
            let body = json!({"network_conditions": {"offline": true, "latency": 0,
                "download_throughput": 100000, "upload_throughput": 100000}});
            (axum::http::Method::POST, Some(body.to_string()))
        } else {
            (axum::http::Method::DELETE, None)
        }
    }
}

async fn set_offline(c: &Client, offline: bool) {
    c.issue_cmd(Network { offline }).await.unwrap_or_else(|e| panic!("network emulation: {e}"));
    // The page hears it (`online`/`offline` events) as a phone does.
    for _ in 0..50 {
        let on = c.execute("return navigator.onLine;", vec![]).await.unwrap();
        if on.as_bool() == Some(!offline) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn badge(c: &Client) -> String {
    c.execute("var b = document.getElementById('sync-badge'); return b && !b.hidden ? b.textContent : '';", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn wait_badge(c: &Client, want: &str) {
    let mut seen = String::new();
    for _ in 0..100 {
        seen = badge(c).await;
        if seen.contains(want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the badge never said {want:?}: {seen:?}");
}

/// What the installed app keeps on the phone, in bytes: the shell and the pages of one's work
/// (Cache Storage) and the queue (IndexedDB, counted as its JSON).
async fn kept_on_phone(c: &Client) -> (f64, f64, i64) {
    let v = c
        .execute_async(
            "var done = arguments[arguments.length - 1]; var shell = 0, pages = 0, n = 0; \
             caches.keys().then(function (names) { return Promise.all(names.map(function (name) { \
               return caches.open(name).then(function (cache) { return cache.keys().then(function (reqs) { \
                 return Promise.all(reqs.map(function (r) { return cache.match(r).then(function (resp) { return resp.blob(); }) \
                   .then(function (b) { if (name.indexOf('ft-shell-') === 0) { shell += b.size; } else { pages += b.size; n += 1; } }); })); }); }); })); }) \
             .then(function () { done([shell, pages, n]); }, function (e) { done([-1, -1, String(e)]); });",
            vec![],
        )
        .await
        .unwrap();
    (v[0].as_f64().unwrap(), v[1].as_f64().unwrap(), v[2].as_i64().unwrap_or(-1))
}

#[tokio::test]
async fn a_grid_worker_works_without_signal_and_every_change_arrives_once() {
    let app = TestApp::new().await;
    let org = app.api("county_org").await;
    let county = app.unit_id("330382").await;
    let (s, list) = org
        .post(
            &format!("/units/{county}/task-lists"),
            json!({"title": "山区巡查", "post_kinds": ["grid_worker"], "period": "daily", "due_time": "23:59",
                   "items": [{"text": "巡查河道"}, {"text": "现场照片", "needs_photo": true}]}),
        )
        .await;
    assert_eq!(s, 201, "{list}");
    let worker = app.api("grid_worker").await;
    let (_, mine) = worker.get("/me/tasks").await;
    let inst = mine.as_array().unwrap().iter().find(|i| i["list_id"] == list["id"]).unwrap()["id"].as_i64().unwrap();
    let photo = std::env::temp_dir().join(format!("ft-offline-{}.png", std::process::id()));
    std::fs::write(&photo, crate::helpers::tiny_png()).unwrap();

    let (_driver, c, _profile) = start_browser().await;
    c.set_window_size(375, 812).await.unwrap();
    login(&c, &app, "grid_worker").await;
    wait_for(&c, "#my-tasks").await;
    // The installed app: a manifest and a service worker that keeps the shell and today's work.
    let manifest: serde_json::Value =
        reqwest::get(app.url("/manifest.webmanifest")).await.unwrap().json().await.unwrap();
    assert_eq!(manifest["start_url"], "/today");
    assert!(manifest["icons"].as_array().unwrap().iter().any(|i| i["sizes"] == "512x512"), "{manifest}");
    let ready = c
        .execute_async(
            "var done = arguments[arguments.length - 1]; navigator.serviceWorker.ready.then(function (r) { done(!!r.active); });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ready.as_bool(), Some(true));
    // Online, the worker opens their households and the list: the phone keeps them.
    c.goto(&app.url("/work/households")).await.unwrap();
    let household = wait_for(&c, "#households a[data-keep]").await.attr("href").await.unwrap().unwrap();
    c.goto(&app.url(&format!("/work/tasks/{inst}"))).await.unwrap();
    wait_for(&c, "#task-form").await;
    for _ in 0..50 {
        let kept = c
            .execute_async(
                "var done = arguments[arguments.length - 1]; caches.open('ft-pages').then(function (c) { return c.match(arguments[0]); }.bind(null, arguments[0])).then(function (hit) { done(!!hit); });",
                vec![json!(app.url(&household))],
            )
            .await
            .unwrap();
        if kept.as_bool() == Some(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let responses = "SELECT COUNT(*) FROM survey_responses WHERE household_id = $1";
    let household_id: i64 = household.rsplit('/').next().unwrap().parse().unwrap();
    let before = app.db.count(&frontline_db::Sql::with(responses, vec![household_id.into()])).await.unwrap();

    // No signal. The worker ticks the list, takes a photo and hands it in.
    set_offline(&c, true).await;
    let boxes = c.find_all(Locator::Css("#task-items input[type=checkbox]")).await.unwrap();
    for b in boxes {
        tap(&c, b).await;
    }
    let file = c.find(Locator::Css("#task-items input[type=file]")).await.unwrap();
    file.send_keys(&photo.display().to_string()).await.unwrap();
    for _ in 0..50 {
        let shrunk = c
            .execute("return document.querySelector('#task-items input[type=file]').getAttribute('data-size');", vec![])
            .await
            .unwrap();
        if shrunk.is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tap(&c, c.find(Locator::Css("#submit-ticked")).await.unwrap()).await;
    wait_for(&c, "#task-errors .queued-note").await;
    wait_badge(&c, "待同步 1").await;
    // Still without signal, the household's page opens from the phone, and the check is made.
    c.goto(&app.url(&household)).await.unwrap();
    wait_for(&c, "#survey-form").await;
    c.execute(
        "var f = document.getElementById('survey-form'); \
         f.querySelectorAll('input[type=radio][value=yes]').forEach(function (r) { r.checked = true; }); \
         f.querySelectorAll('input:not([type])').forEach(function (i) { if (!i.value) { i.value = '3'; } }); \
         f.querySelectorAll('input[inputmode=decimal]').forEach(function (i) { i.value = i.name === 'income' ? '9000' : '3'; }); \
         f.querySelectorAll('select').forEach(function (s) { if (s.options.length > 1) { s.selectedIndex = 1; } });",
        vec![],
    )
    .await
    .unwrap();
    tap(&c, c.find(Locator::Css("#file-survey")).await.unwrap()).await;
    wait_for(&c, "#survey-errors .queued-note").await;
    wait_badge(&c, "待同步 2").await;
    no_sideways_scroll(&c, "the page with changes waiting to be sent").await;
    screenshot(&c, "40-offline-queue-phone").await;
    let status = "SELECT status FROM task_instances WHERE id = $1";
    let (open,): (String,) = app.db.one(&frontline_db::Sql::with(status, vec![inst.into()])).await.unwrap();
    assert_eq!(open, "open", "nothing reached the server");
    let (shell, pages, kept_pages) = kept_on_phone(&c).await;

    // The signal returns: both are sent, each exactly once, with the time they were done.
    set_offline(&c, false).await;
    c.execute("window.frontlineSync && window.frontlineSync();", vec![]).await.unwrap();
    let mut synced = false;
    for _ in 0..100 {
        let (s,): (String,) = app.db.one(&frontline_db::Sql::with(status, vec![inst.into()])).await.unwrap();
        let after = app.db.count(&frontline_db::Sql::with(responses, vec![household_id.into()])).await.unwrap();
        if s == "submitted" && after == before + 1 && badge(&c).await.is_empty() {
            synced = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(synced, "the queue was sent: badge {:?}", badge(&c).await);
    let (device, received): (Option<chrono::DateTime<chrono::Utc>>, Option<chrono::DateTime<chrono::Utc>>) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT device_at, received_at FROM task_instances WHERE id = $1",
            vec![inst.into()],
        ))
        .await
        .unwrap();
    let (device, received) = (device.expect("the phone's time"), received.expect("the arrival"));
    assert!(device <= received, "{device} {received}");
    let once = |sql: &str| frontline_db::Sql::with(sql, vec![inst.into()]);
    assert_eq!(
        app.db
            .count(&once("SELECT COUNT(*) FROM records WHERE kind = 'task_submitted' AND source_id = $1"))
            .await
            .unwrap(),
        1
    );
    let (photo_kb, hash): (i64, Option<String>) = app
        .db
        .one(&once(
            "SELECT a.size, a.sha256 FROM task_checks c JOIN attachments a ON a.id = c.attachment_id WHERE c.instance_id = $1",
        ))
        .await
        .unwrap();
    assert!(hash.is_some_and(|h| h.len() == 64), "the photo has its content hash");
    assert!(photo_kb <= 400 * 1024, "shrunk on the phone: {photo_kb} bytes");
    let (device_at,): (Option<chrono::DateTime<chrono::Utc>>,) = app
        .db
        .one(&frontline_db::Sql::with(
            "SELECT device_at FROM survey_responses WHERE household_id = $1 ORDER BY id DESC LIMIT 1",
            vec![household_id.into()],
        ))
        .await
        .unwrap();
    assert!(device_at.is_some(), "the household check keeps the phone's time");

    // A list returned while the phone was offline: the phone's sign-off is not taken, and says why.
    let (other, items) = crate::offline::open_list(&worker).await;
    let ticks: Vec<serde_json::Value> = items.iter().map(|i| json!({"item_id": i})).collect();
    c.goto(&app.url(&format!("/work/tasks/{other}"))).await.unwrap();
    wait_for(&c, "#submit-all").await;
    set_offline(&c, true).await;
    tap(&c, c.find(Locator::Css("#submit-all")).await.unwrap()).await;
    wait_badge(&c, "待同步 1").await;
    // Meanwhile, from the office: handed in, and returned by the secretary with a reason.
    let (s, _) = worker.post(&format!("/tasks/{other}/submit"), json!({"items": ticks})).await;
    assert_eq!(s, 200);
    let secretary = app.api("village_secretary").await;
    let (s, _) =
        secretary.post(&format!("/tasks/{other}/decide"), json!({"decision": "return", "reason": "照片不清"})).await;
    assert_eq!(s, 200);
    set_offline(&c, false).await;
    c.execute("window.frontlineSync && window.frontlineSync();", vec![]).await.unwrap();
    wait_badge(&c, "未被接受 1").await;
    tap(&c, c.find(Locator::Css("#sync-badge")).await.unwrap()).await;
    // (The list is drawn again as the queue is sent: read it, not an element of it.)
    let mut said = String::new();
    for _ in 0..50 {
        let v = c
            .execute("var e = document.querySelector('#sync-list .sync-refused .sync-error'); return e && e.offsetParent ? e.textContent : '';", vec![])
            .await
            .unwrap();
        said = v.as_str().unwrap_or_default().to_string();
        if !said.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(said.contains("退回"), "the conflict says what happened, in view: {said:?}");
    screenshot(&c, "41-offline-conflict-phone").await;
    let (s,): (String,) = app.db.one(&frontline_db::Sql::with(status, vec![other.into()])).await.unwrap();
    assert_eq!(s, "returned", "the phone's sign-off did not overwrite the return");
    // Read, it leaves the queue.
    c.execute("document.querySelector('#sync-list .sync-drop').click();", vec![]).await.unwrap();
    for _ in 0..50 {
        if badge(&c).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(badge(&c).await, "");
    let line = format!(
        "phone keeps: shell {:.1} KB, {kept_pages} pages {:.1} KB (total {:.1} KB)\n",
        shell / 1024.0,
        pages / 1024.0,
        (shell + pages) / 1024.0
    );
    println!("{line}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("offline-kept.txt"), line).unwrap();
    let _ = std::fs::remove_file(&photo);
    c.close().await.unwrap();
}
