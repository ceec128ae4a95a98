// Frontline's service worker (issue 27): keeps the app's shell and the phone user's own work for
// the day, so the pages open without signal. It keeps only pages of one's own work (today's lists,
// one's households, drawn inspection targets, one's findings to fix) that the user opened or that
// those pages link to, never lists of an area: what a phone keeps grows with the person's work,
// not with the county. Changes made offline are queued by app.js, not here.
"use strict";
var VERSION = "__VERSION__";
var SHELL = __SHELL__;
var SHELL_CACHE = "ft-shell-" + VERSION;
var PAGES_CACHE = "ft-pages";
// The pages of one's own work that are kept (path only: they carry no query).
var KEPT = [
  /^\/today$/,
  /^\/work\/tasks\/\d+$/,
  /^\/work\/households(\/\d+)?$/,
  /^\/inspections\/mine$/,
  /^\/inspections\/targets\/\d+$/,
  /^\/findings\/\d+$/
];
// At most this many pages are kept; the oldest go first.
var MAX_PAGES = 200;

function kept(url) {
  var u = new URL(url);
  return u.origin === self.location.origin && !u.search && KEPT.some(function (re) { return re.test(u.pathname); });
}

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(SHELL_CACHE).then(function (c) { return c.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("ft-shell-") === 0 && k !== SHELL_CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// A page answer worth keeping: a whole page for a logged-in user (not the login page it was sent to).
function keepable(resp) {
  return resp && resp.status === 200 && !resp.redirected && (resp.headers.get("content-type") || "").indexOf("text/html") === 0;
}

function trim(cache) {
  return cache.keys().then(function (keys) {
    return Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_PAGES)).map(function (k) { return cache.delete(k); }));
  });
}

function store(request, resp) {
  if (!keepable(resp)) { return Promise.resolve(); }
  var copy = resp.clone();
  return caches.open(PAGES_CACHE).then(function (c) {
    return c.delete(request.url).then(function () { return c.put(request.url, copy); }).then(function () { return trim(c); });
  });
}

function offlinePage() {
  return new Response("<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
    "<title>离线 · Offline</title><p>没有网络，此页未保存在手机上。<br>No network: this page was not kept on the phone.</p>" +
    "<p><a href='/today'>今日工作 · Today</a></p>", { status: 503, headers: { "content-type": "text/html; charset=utf-8" } });
}

self.addEventListener("fetch", function (e) {
  var req = e.request;
  if (req.method !== "GET") { return; }
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    e.respondWith(caches.match(req).then(function (hit) { return hit || fetch(req); }));
    return;
  }
  if (req.mode !== "navigate" && !kept(req.url)) { return; }
  // The network first, so a page is never older than it must be; the kept copy without signal.
  e.respondWith(fetch(req).then(function (resp) {
    if (kept(req.url) && !req.headers.get("hx-request")) { e.waitUntil(store(req, resp)); }
    return resp;
  }).catch(function () {
    return caches.open(PAGES_CACHE).then(function (c) { return c.match(req.url); }).then(function (hit) {
      return hit || (req.mode === "navigate" ? offlinePage() : Response.error());
    });
  }));
});

// From the pages: keep these pages of one's own work (links on today's page), forget them all
// (logging out), or say what is kept (its size).
self.addEventListener("message", function (e) {
  var msg = e.data || {};
  if (msg.keep) {
    e.waitUntil(Promise.all(msg.keep.filter(kept).slice(0, MAX_PAGES).map(function (u) {
      return fetch(u, { credentials: "same-origin" }).then(function (resp) { return store(new Request(u), resp); }).catch(function () {});
    })).then(function () { if (e.source) { e.source.postMessage({ kept: true }); } }));
  }
  if (msg.forget) {
    e.waitUntil(caches.delete(PAGES_CACHE));
  }
});
