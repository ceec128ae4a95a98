//! Exporting any list page to Excel exactly as the user sees it: the page is rendered for the
//! user (their scope, their filters, coded values already shown by name), page after page, and
//! the table they were looking at is read back out of the HTML into rows. One mechanism for every
//! list, so an export can never show more, or other, than the page.
//!
//! The HTML read here is the application's own (askama templates): well-formed, escaped with the
//! five entities askama writes. Buttons, selects and forms in a cell are controls, not data, and
//! are left out; a column with nothing but controls is dropped.

/// A table read out of a page: its header row and its data rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The pager of a page: how many pages the list has (1 without a pager).
pub fn page_count(html: &str) -> u64 {
    attr_after(html, "class=\"pager\"", "data-pages").and_then(|v| v.parse().ok()).unwrap_or(1)
}

/// The page's title without the application's name (`工单办理 · 一线 Frontline` → `工单办理`).
pub fn page_title(html: &str) -> String {
    let Some(start) = html.find("<title>") else { return String::new() };
    let rest = &html[start + 7..];
    let end = rest.find("</title>").unwrap_or(rest.len());
    let title = decode(&rest[..end]);
    title.rsplit_once(" · ").map(|(t, _)| t.to_string()).unwrap_or(title).trim().to_string()
}

/// Reads the table with `id` out of the page, or `None` if the page has none.
pub fn read_table(html: &str, id: &str) -> Option<Table> {
    let marker = format!("id=\"{id}\"");
    let at = html
        .match_indices(&marker)
        .map(|(i, _)| i)
        .find(|i| html[..*i].rfind('<').is_some_and(|lt| html[lt..].starts_with("<table")))?;
    let open = html[..at].rfind("<table")?;
    let close = html[open..].find("</table>").map(|e| open + e)?;
    let body = &html[open..close];
    let mut headers = Vec::new();
    let mut rows = Vec::new();
    for tr in elements(body, "tr") {
        let header_cells = elements(tr, "th");
        if !header_cells.is_empty() && headers.is_empty() && !tr.contains("<td") {
            headers = header_cells.iter().map(|c| cell_text(c)).collect();
            continue;
        }
        // The "nothing here" row of an empty list is not data.
        if tr.contains("class=\"empty\"") {
            continue;
        }
        let cells: Vec<String> = elements(tr, "td").iter().map(|c| cell_text(c)).collect();
        if !cells.is_empty() {
            rows.push(cells);
        }
    }
    Some(drop_control_columns(Table { headers, rows }))
}

/// Drops the columns whose every data cell is empty (the actions column).
fn drop_control_columns(t: Table) -> Table {
    if t.rows.is_empty() {
        return t;
    }
    let width = t.headers.len().max(t.rows.iter().map(Vec::len).max().unwrap_or(0));
    let keep: Vec<bool> = (0..width).map(|c| t.rows.iter().any(|r| r.get(c).is_some_and(|v| !v.is_empty()))).collect();
    let pick = |cells: &[String]| -> Vec<String> {
        (0..width).filter(|c| keep[*c]).map(|c| cells.get(c).cloned().unwrap_or_default()).collect()
    };
    Table { headers: pick(&t.headers), rows: t.rows.iter().map(|r| pick(r)).collect() }
}

/// The inner HTML of each `<tag …>…</tag>` directly found in `html`, in order (not nested).
fn elements<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        // `<th` must not match `<thead`.
        if !after.starts_with(['>', ' ']) {
            rest = after;
            continue;
        }
        let Some(gt) = after.find('>') else { break };
        let inner = &after[gt + 1..];
        let end = inner.find(&close).unwrap_or(inner.len());
        out.push(&inner[..end]);
        rest = &inner[end..];
    }
    out
}

/// The text of a cell: tags removed, controls left out, entities decoded, spaces collapsed.
fn cell_text(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        text.push_str(&rest[..lt]);
        let tag = &rest[lt..];
        let skipped = ["button", "select", "form", "dialog", "script"]
            .iter()
            .find(|t| tag.starts_with(&format!("<{t}")) && tag[t.len() + 1..].starts_with(['>', ' ']));
        if let Some(t) = skipped {
            let close = format!("</{t}>");
            rest = tag.find(&close).map_or("", |e| &tag[e + close.len()..]);
            continue;
        }
        // Line breaks and block ends separate words.
        if tag.starts_with("<br") || tag.starts_with("</div") || tag.starts_with("</p") {
            text.push(' ');
        }
        rest = tag.find('>').map_or("", |gt| &tag[gt + 1..]);
    }
    text.push_str(rest);
    decode(&text).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn decode(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// The value of attribute `name` on the element that carries `marker`.
fn attr_after(html: &str, marker: &str, name: &str) -> Option<String> {
    let at = html.find(marker)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let key = format!("{name}=\"");
    let v = &tag[tag.find(&key)? + key.len()..];
    Some(v[..v.find('"')?].to_string())
}

/// The address of page `page` of a list, given the address the user was looking at: the same
/// filters, the page number replaced, and the largest page size lists accept.
pub fn page_address(path_and_query: &str, page: u64) -> String {
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k != "page" && k != "per_page" {
            s.append_pair(&k, &v);
        }
    }
    s.append_pair("page", &page.to_string());
    s.append_pair("per_page", "200");
    format!("{path}?{}", s.finish())
}

/// Whether an address may be exported: a page of this application, not an export itself.
pub fn exportable(path_and_query: &str) -> bool {
    path_and_query.starts_with('/')
        && !path_and_query.starts_with("//")
        && !path_and_query.starts_with("/api/")
        && !path_and_query.starts_with("/jobs")
        && !path_and_query.starts_with("/export")
        && !path_and_query.contains(['\r', '\n', '\\'])
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><head><title>工单办理 · 一线 Frontline</title></head><body>
      <table class="grid" id="counts"><thead><tr><th>单位</th></tr></thead><tbody><tr><td>乐清市</td></tr></tbody></table>
      <div class="table-wrap"><table class="grid" id="orders">
        <thead><tr><th>编号</th><th>标题</th><th>状态</th><th></th></tr></thead>
        <tbody><tr><td>7</td><td><a href="/orders/7">路灯 &amp; 井盖 &lt;急&gt;</a></td>
          <td><span class="tag">办理中</span> <span class="tag">黄牌</span></td>
          <td><button hx-post="/x">删除</button><form><select><option>a</option></select></form></td></tr>
        <tr><td>8</td><td>李&#x27;s<br>第二行</td><td>已办结</td><td></td></tr></tbody></table></div>
      <div class="pager" data-pages="3" data-total="45"><span>共 45</span></div></body></html>"#;

    #[test]
    fn a_table_reads_back_as_the_user_sees_it() {
        let t = read_table(PAGE, "orders").unwrap();
        assert_eq!(t.headers, vec!["编号", "标题", "状态"], "the actions column is dropped");
        assert_eq!(t.rows[0], vec!["7", "路灯 & 井盖 <急>", "办理中 黄牌"]);
        assert_eq!(t.rows[1], vec!["8", "李's 第二行", "已办结"]);
        assert_eq!(read_table(PAGE, "counts").unwrap().rows, vec![vec!["乐清市".to_string()]]);
        assert!(read_table(PAGE, "nothing").is_none());
        assert_eq!(page_count(PAGE), 3);
        assert_eq!(page_count("<p>no pager</p>"), 1);
        assert_eq!(page_title(PAGE), "工单办理");
    }

    #[test]
    fn an_empty_list_has_no_rows() {
        let html = r#"<table class="grid" id="t"><thead><tr><th>A</th></tr></thead><tbody><tr><td colspan="1" class="empty">暂无数据</td></tr></tbody></table>"#;
        let t = read_table(html, "t").unwrap();
        assert_eq!(t.headers, vec!["A"]);
        assert!(t.rows.is_empty());
    }

    #[test]
    fn pages_keep_the_filters_and_only_local_pages_export() {
        assert_eq!(
            page_address("/orders?unit=5&status=closed&page=2", 3),
            "/orders?unit=5&status=closed&page=3&per_page=200"
        );
        assert_eq!(page_address("/people", 1), "/people?page=1&per_page=200");
        assert!(exportable("/orders?unit=5"));
        for bad in
            ["//evil.example/x", "https://evil.example", "/api/v1/people", "/jobs/abc", "/export?from=/x", "/a\r\nb"]
        {
            assert!(!exportable(bad), "{bad}");
        }
    }
}
