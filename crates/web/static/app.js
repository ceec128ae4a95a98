// Frontline UI glue: dialogs, the phone menu and the tree. No inline scripts (CSP).
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "dlg-body") {
      var dlg = document.getElementById("dlg");
      if (dlg && !dlg.open) { dlg.showModal(); }
    }
  });
  // A change is sent once: while its request is on the way, the form's buttons (or the button
  // itself) are disabled, so a second tap cannot send it again.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var el = e.detail.elt;
    if (!el || (e.detail.requestConfig && e.detail.requestConfig.verb === "get")) { return; }
    var buttons = el.tagName === "FORM" ? el.querySelectorAll("button, input[type=submit]") : [el];
    Array.prototype.forEach.call(buttons, function (b) {
      if (!b.disabled) { b.disabled = true; b.setAttribute("data-busy", "1"); }
    });
  });
  document.addEventListener("htmx:afterRequest", function () {
    document.querySelectorAll("[data-busy]").forEach(function (b) { b.disabled = false; b.removeAttribute("data-busy"); });
  });
  // A form whose address holds an id chosen in one of its fields (`data-id-from="checkpoint"`):
  // the `/0/` of its address becomes the chosen id when it is sent (no inline script: CSP).
  document.addEventListener("htmx:configRequest", function (e) {
    var form = e.detail.elt;
    var name = form && form.getAttribute && form.getAttribute("data-id-from");
    if (!name || !form.elements[name]) { return; }
    e.detail.path = e.detail.path.replace("/0/", "/" + encodeURIComponent(form.elements[name].value) + "/");
  });
  // Every change answers: one that reloads or leaves the page (HX-Refresh, HX-Redirect) leaves a
  // note for the next page, which says what was done and when ("保存 · 已完成 12:03"), taken from
  // the button that sent it.
  document.addEventListener("htmx:afterRequest", function (e) {
    var xhr = e.detail.xhr;
    // Not on the login page (logging in is not a change), which has no label for it.
    // (htmx leaves `successful` unset when it follows HX-Redirect or HX-Refresh: read the status.)
    if (!xhr || xhr.status < 200 || xhr.status > 299 || !document.body.hasAttribute("data-done-label")) { return; }
    if (!xhr.getResponseHeader("HX-Refresh") && !xhr.getResponseHeader("HX-Redirect")) { return; }
    var el = e.detail.elt;
    var button = el;
    if (el && el.tagName === "FORM") {
      button = (e.detail.requestConfig && e.detail.requestConfig.submitter) ||
        el.querySelector("button[type=submit], button:not([type]), input[type=submit]");
    }
    var what = button ? (button.value && button.tagName === "INPUT" ? button.value : button.textContent) : "";
    try {
      sessionStorage.setItem("ft-flash", JSON.stringify({ what: (what || "").trim().slice(0, 40), at: Date.now() }));
    } catch (x) { /* private mode: no note */ }
  });
  function showFlash() {
    var raw = null;
    try { raw = sessionStorage.getItem("ft-flash"); sessionStorage.removeItem("ft-flash"); } catch (x) { return; }
    if (!raw) { return; }
    var note = JSON.parse(raw);
    if (Date.now() - note.at > 60000) { return; }
    var at = new Date(note.at);
    var hm = ("0" + at.getHours()).slice(-2) + ":" + ("0" + at.getMinutes()).slice(-2);
    var label = (document.body.getAttribute("data-done-label") || "{time}").replace("{time}", hm);
    var box = document.createElement("div");
    box.id = "flash";
    box.className = "flash";
    box.setAttribute("role", "status");
    box.textContent = (note.what ? note.what + " · " : "") + label;
    document.body.appendChild(box);
    setTimeout(function () { box.remove(); }, 8000);
  }
  // The form a request came from (the element itself, its form, or the form around it).
  function formOf(el) {
    if (!el) { return null; }
    if (el.tagName === "FORM") { return el; }
    return el.form || (el.closest && el.closest("form")) || null;
  }
  // Errors next to their fields: a change that fails answers with an error fragment naming its
  // fields (li[data-field]); each named field of the form that sent it is marked, gets its
  // message right beside it, and the first is scrolled into view and focused. With no field
  // found, the message itself is scrolled into view.
  function clearFieldErrors(root) {
    if (!root) { return; }
    root.querySelectorAll(".field-msg").forEach(function (m) { m.remove(); });
    root.querySelectorAll("[aria-invalid]").forEach(function (f) { f.removeAttribute("aria-invalid"); });
  }
  document.addEventListener("htmx:beforeRequest", function (e) {
    clearFieldErrors(formOf(e.detail.elt));
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail.target;
    if (!target || !target.querySelector) { return; }
    var alert = target.classList.contains("alert-error") ? target : target.querySelector(".alert-error");
    if (!alert) { return; }
    var form = formOf(e.detail.requestConfig && e.detail.requestConfig.elt) || formOf(e.detail.elt);
    var first = null;
    alert.querySelectorAll("li[data-field]").forEach(function (li) {
      var name = li.getAttribute("data-field");
      var field = null;
      [form, document.querySelector("main")].forEach(function (root) {
        if (!field && root) {
          field = Array.prototype.filter.call(root.querySelectorAll("[name]"), function (f) { return f.name === name && f.type !== "hidden"; })[0] || null;
        }
      });
      if (!field) { return; }
      field.setAttribute("aria-invalid", "true");
      var msg = document.createElement("span");
      msg.className = "field-msg";
      msg.setAttribute("data-for", name);
      msg.textContent = li.textContent;
      field.insertAdjacentElement("afterend", msg);
      if (!first) { first = field; }
    });
    var shown = first || alert;
    if (shown.scrollIntoView) { shown.scrollIntoView({ block: "center" }); }
    if (first && first.focus) { first.focus({ preventScroll: true }); }
  });
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t.closest && t.closest("[data-close]")) {
      var dlg = document.getElementById("dlg");
      if (dlg) { dlg.close(); }
    }
    // A "choose all" box ticks or clears the boxes it names (batch actions on a list).
    if (t.matches && t.matches("input[data-choose-all]")) {
      document.querySelectorAll(t.getAttribute("data-choose-all")).forEach(function (box) { box.checked = t.checked; });
    }
    if (t.closest && t.closest("[data-print]")) { window.print(); }
    if (t.classList && t.classList.contains("menu-toggle")) {
      document.body.classList.toggle("menu-open");
    }
    if (t.classList && t.classList.contains("tree-toggle")) {
      var li = t.parentElement;
      if (li.classList.contains("open")) { li.classList.remove("open"); t.textContent = "▸"; }
      else { li.classList.add("open"); t.textContent = "▾"; }
    }
  });
  // Every list table can be exported to Excel as the user sees it (filters and scope applied):
  // an export job renders the list page after page; its progress, then its download link, show
  // beside the button.
  function addExportButtons() {
    var label = document.body.getAttribute("data-export-label");
    if (!label) { return; }
    document.querySelectorAll("main table.grid[id]").forEach(function (table) {
      if (table.closest(".alert") || table.hasAttribute("data-no-export") || table.getAttribute("data-export-ready")) { return; }
      table.setAttribute("data-export-ready", "1");
      var bar = document.createElement("div");
      bar.className = "export-bar";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-plain export-btn";
      button.id = "export-" + table.id;
      button.textContent = label;
      var result = document.createElement("span");
      result.className = "export-result";
      result.id = "export-result-" + table.id;
      button.addEventListener("click", function () {
        var from = window.location.pathname + window.location.search;
        var url = "/export?from=" + encodeURIComponent(from) + "&table=" + encodeURIComponent(table.id);
        htmx.ajax("GET", url, { target: result, swap: "innerHTML" });
      });
      bar.appendChild(button);
      bar.appendChild(result);
      var wrap = table.closest(".table-wrap") || table;
      wrap.parentNode.insertBefore(bar, wrap);
    });
  }
  // A long choice (people, units, villages) gets a search box: typing keeps the options that
  // contain the words and picks the first of them; the choice stays the select's.
  function addPickerSearch(root) {
    var label = document.body.getAttribute("data-search-label") || "";
    (root || document).querySelectorAll("select").forEach(function (select) {
      if (select.options.length < 15 || select.multiple || select.getAttribute("data-searchable")) { return; }
      select.setAttribute("data-searchable", "1");
      var box = document.createElement("input");
      box.type = "search";
      box.className = "picker-search";
      box.placeholder = label;
      box.setAttribute("aria-label", label);
      box.addEventListener("input", function () {
        var words = box.value.trim().toLowerCase();
        var first = null;
        Array.prototype.forEach.call(select.options, function (o) {
          var hit = !words || !o.value || o.text.toLowerCase().indexOf(words) >= 0;
          o.hidden = !hit;
          if (hit && o.value && first === null) { first = o; }
        });
        if (words && first) { select.value = first.value; }
      });
      select.parentNode.insertBefore(box, select);
    });
  }
  function enhance() { addExportButtons(); addPickerSearch(document); showFlash(); }
  document.addEventListener("htmx:afterSwap", function (e) { addPickerSearch(e.detail.target); });
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", enhance); } else { enhance(); }
})();
