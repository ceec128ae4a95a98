// Frontline UI glue: dialogs, the phone menu and the tree. No inline scripts (CSP).
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "dlg-body") {
      var dlg = document.getElementById("dlg");
      if (dlg && !dlg.open) { dlg.showModal(); }
    }
  });
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t.closest && t.closest("[data-close]")) {
      var dlg = document.getElementById("dlg");
      if (dlg) { dlg.close(); }
    }
    if (t.classList && t.classList.contains("menu-toggle")) {
      document.body.classList.toggle("menu-open");
    }
    if (t.classList && t.classList.contains("tree-toggle")) {
      var li = t.parentElement;
      if (li.classList.contains("open")) { li.classList.remove("open"); t.textContent = "▸"; }
      else { li.classList.add("open"); t.textContent = "▾"; }
    }
  });
})();
