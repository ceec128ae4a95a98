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
  // ---- Work without signal (issue 27) ----
  // A change made in a part of a page marked `data-offline` (a sign-off, a check-in, a household
  // check, a visit, a rectification) carries an idempotency key and the time it was done. Without
  // network it is kept in a queue on the phone (IndexedDB) and shown as 待同步 with a count; it is
  // sent when the network returns, again and again until the server answers. The server answers a
  // change it has seen before with its first answer, so nothing is written twice. An answer that
  // refuses the change (the list was returned meanwhile) stays on the queue with its message
  // until the user has read it; nothing is dropped without a word.
  var body = document.body;
  var me = body.getAttribute("data-user") || "";
  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }
  function openQueue() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("frontline", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("queue", { keyPath: "key" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function inQueue(mode, work) {
    return openQueue().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("queue", mode);
        var out = work(tx.objectStore("queue"));
        tx.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : out); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function queued() {
    return inQueue("readonly", function (store) { return store.getAll(); }).then(function (all) {
      return (all || []).filter(function (item) { return item.user === me; })
        .sort(function (a, b) { return a.at < b.at ? -1 : 1; });
    });
  }
  function label(name, fallback) { return body.getAttribute("data-" + name) || fallback; }
  // The 待同步 badge in the top bar and, under it, the queued changes with their state.
  function showQueue() {
    if (!window.indexedDB || !me) { return Promise.resolve(); }
    return queued().then(function (items) {
      var badge = document.getElementById("sync-badge");
      var list = document.getElementById("sync-list");
      if (!badge || !list) { return; }
      var waiting = items.filter(function (i) { return !i.error; }).length;
      badge.hidden = items.length === 0;
      badge.textContent = label("queue-label", "待同步") + " " + waiting + (items.length > waiting ? " · " + label("queue-refused", "未接受") + " " + (items.length - waiting) : "");
      badge.setAttribute("data-count", String(waiting));
      list.innerHTML = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "card sync-item" + (item.error ? " sync-refused" : "");
        li.setAttribute("data-key", item.key);
        var at = new Date(item.at);
        var what = document.createElement("strong");
        what.textContent = item.what;
        li.appendChild(what);
        var when = document.createElement("span");
        when.className = "muted";
        when.textContent = " · " + label("queue-done-at", "完成于") + " " + at.toLocaleString();
        li.appendChild(when);
        if (item.error) {
          var msg = document.createElement("p");
          msg.className = "sync-error";
          msg.textContent = item.error;
          li.appendChild(msg);
          var drop = document.createElement("button");
          drop.type = "button";
          drop.className = "btn btn-plain sync-drop";
          drop.textContent = label("queue-read", "知道了");
          drop.addEventListener("click", function () {
            inQueue("readwrite", function (store) { store.delete(item.key); }).then(showQueue);
          });
          li.appendChild(drop);
        }
        list.appendChild(li);
      });
    });
  }
  function enqueue(item) {
    return inQueue("readwrite", function (store) { store.put(item); }).then(showQueue);
  }
  // The form data as plain pairs (files stay files), which IndexedDB keeps.
  function pairs(formData) {
    var out = [];
    if (formData && formData.forEach) { formData.forEach(function (v, k) { out.push([k, v]); }); }
    return out;
  }
  function requestBody(item) {
    if (item.multipart) {
      var fd = new FormData();
      item.fields.forEach(function (kv) { fd.append(kv[0], kv[1]); });
      return fd;
    }
    var p = new URLSearchParams();
    item.fields.forEach(function (kv) { p.append(kv[0], typeof kv[1] === "string" ? kv[1] : ""); });
    return p;
  }
  function textOf(html) {
    var d = document.createElement("div");
    d.innerHTML = html;
    var li = d.querySelectorAll("li");
    var t = li.length ? Array.prototype.map.call(li, function (x) { return x.textContent.trim(); }).join("；") : d.textContent;
    return (t || "").replace(/\s+/g, " ").trim().slice(0, 300);
  }
  var syncing = false;
  // Sends the queue, oldest first; stops at the first change the network does not carry.
  function sync() {
    if (syncing || !window.indexedDB || !me || navigator.onLine === false) { return Promise.resolve(); }
    syncing = true;
    var csrf = "";
    try { csrf = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (x) { csrf = ""; }
    return queued().then(function (items) {
      var sent = 0;
      var next = function (i) {
        var item = items[i];
        if (!item) { return sent; }
        if (item.error) { return next(i + 1); }
        var headers = { "Idempotency-Key": item.key, "X-Device-Time": item.at, "X-CSRF-Token": csrf, "HX-Request": "true" };
        return fetch(item.path, { method: item.verb.toUpperCase(), headers: headers, body: requestBody(item), credentials: "same-origin" })
          .then(function (resp) {
            if (resp.status === 401 || resp.status === 403 || resp.status === 429 || resp.status >= 500) { return sent; }
            if (resp.ok || (resp.status >= 300 && resp.status < 400)) {
              sent += 1;
              return inQueue("readwrite", function (store) { store.delete(item.key); }).then(function () { return next(i + 1); });
            }
            return resp.text().then(function (text) {
              item.error = textOf(text) || String(resp.status);
              return inQueue("readwrite", function (store) { store.put(item); }).then(function () { return next(i + 1); });
            });
          }, function () { return sent; });
      };
      return next(0);
    }).then(function (sent) {
      syncing = false;
      return showQueue().then(function () {
        var note = document.getElementById("sync-note");
        if (sent > 0 && note) { note.textContent = label("queue-synced", "已同步") + " " + sent; note.hidden = false; }
        return sent;
      });
    }, function () { syncing = false; });
  }
  window.frontlineSync = sync;
  // The request a change would have made, kept on its element until it is known to have left.
  document.addEventListener("htmx:configRequest", function (e) {
    var elt = e.detail.elt;
    var verb = (e.detail.verb || "get").toLowerCase();
    if (verb === "get" || !elt || !elt.closest || !elt.closest("[data-offline]") || !window.indexedDB) { return; }
    var key = newKey();
    var at = new Date().toISOString();
    // The phone's time goes only with a change sent from the queue (made without signal): one
    // sent at once is dated by its arrival, so a phone's clock cannot date it.
    e.detail.headers["Idempotency-Key"] = key;
    var form = formOf(elt);
    var encoding = elt.getAttribute("hx-encoding") || (form && form.getAttribute("hx-encoding")) || "";
    var what = (elt.tagName === "FORM" ? (e.detail.triggeringEvent && e.detail.triggeringEvent.submitter) || elt.querySelector("button") : elt);
    var item = {
      key: key, at: at, user: me, verb: verb, path: e.detail.path, multipart: encoding === "multipart/form-data",
      fields: pairs(e.detail.formData),
      what: ((what && what.textContent) || "").trim().slice(0, 40) + " · " + document.title.split(" · ")[0],
      target: e.detail.target && e.detail.target.id
    };
    elt.ftPending = item;
    if (navigator.onLine === false) {
      e.preventDefault();
      keepForLater(item);
    }
  });
  function keepForLater(item) {
    enqueue(item).then(function () {
      var target = item.target && document.getElementById(item.target);
      if (target) {
        target.innerHTML = "";
        var p = document.createElement("p");
        p.className = "notice notice-warn queued-note";
        p.setAttribute("role", "status");
        p.textContent = label("queued-label", "没有网络：已存入待同步，有网络时自动发送");
        target.appendChild(p);
      }
    });
  }
  // The network failed under a change on its way: it is kept, and sent again later with the same
  // key (if it did reach the server, the server answers the first answer and writes nothing).
  document.addEventListener("htmx:sendError", function (e) {
    var item = e.detail.elt && e.detail.elt.ftPending;
    if (item) { e.detail.elt.ftPending = null; keepForLater(item); }
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    if (e.detail.elt && e.detail.xhr && e.detail.xhr.status) { e.detail.elt.ftPending = null; }
  });
  window.addEventListener("online", function () { sync(); });
  setInterval(function () { sync(); }, 30000);
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("#sync-badge")) {
      var panel = document.getElementById("sync-panel");
      if (panel) { panel.hidden = !panel.hidden; }
      sync();
    }
    if (e.target.closest && e.target.closest("#logout") && navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ forget: true });
    }
  });
  // Photos: shrunk on the phone before they are sent (at most `data-max-kb`, 400 KB unless said),
  // redrawn so nothing of the camera's file (EXIF: where it was taken) goes with them.
  function shrink(file, maxKb) {
    var limit = maxKb * 1024;
    return createImageBitmap(file).then(function (img) {
      var side = 1600;
      var tries = [[side, 0.8], [side, 0.6], [1200, 0.6], [1000, 0.5], [800, 0.45], [640, 0.4]];
      var attempt = function (i) {
        var scale = Math.min(1, tries[i][0] / Math.max(img.width, img.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.width * scale);
        canvas.height = Math.round(img.height * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", tries[i][1]); }).then(function (blob) {
          if (blob && (blob.size <= limit || i === tries.length - 1)) { return blob; }
          return attempt(i + 1);
        });
      };
      return attempt(0);
    });
  }
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (input.matches && input.matches("input[type=file][accept^='image']") && input.files.length && !input.getAttribute("data-shrunk")) {
      var maxKb = parseInt(input.getAttribute("data-max-kb") || "400", 10);
      var file = input.files[0];
      if (!window.createImageBitmap || !window.DataTransfer) { return; }
      input.setAttribute("data-shrinking", "1");
      shrink(file, maxKb).then(function (blob) {
        var dt = new DataTransfer();
        dt.items.add(new File([blob], (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" }));
        input.setAttribute("data-shrunk", "1");
        input.files = dt.files;
        input.removeAttribute("data-shrunk");
        input.setAttribute("data-size", String(blob.size));
      }, function () { /* not an image the browser can draw: sent as it is, the server judges */ })
        .then(function () { input.removeAttribute("data-shrinking"); });
    }
    // Where the photo was taken: only when the user ticks the box, never required.
    if (input.matches && input.matches("input[type=checkbox][data-place]")) {
      var form = input.form;
      if (!form) { return; }
      var put = function (name, value) {
        var field = form.querySelector("input[name=" + name + "]");
        if (!field) { field = document.createElement("input"); field.type = "hidden"; field.name = name; form.appendChild(field); }
        field.value = value;
      };
      if (!input.checked) { put("latitude", ""); put("longitude", ""); return; }
      if (navigator.geolocation) {
        navigator.geolocation.getCurrentPosition(function (pos) {
          put("latitude", String(pos.coords.latitude));
          put("longitude", String(pos.coords.longitude));
        }, function () { input.checked = false; });
      }
    }
  });
  // The installed app: the service worker keeps the shell and the pages of one's own work linked
  // from this page (`data-keep`).
  function keepMyWork() {
    if (!("serviceWorker" in navigator) || !me) { return; }
    navigator.serviceWorker.register("/sw.js").then(function () { return navigator.serviceWorker.ready; }).then(function (reg) {
      var links = Array.prototype.map.call(document.querySelectorAll("a[data-keep]"), function (a) { return a.href; });
      if (links.length && reg.active) { reg.active.postMessage({ keep: links }); }
    }).catch(function () { /* no service worker: the pages need the network */ });
  }
  function enhance() { addExportButtons(); addPickerSearch(document); showFlash(); showQueue().then(sync); keepMyWork(); }
  document.addEventListener("htmx:afterSwap", function (e) { addPickerSearch(e.detail.target); });
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", enhance); } else { enhance(); }
})();
