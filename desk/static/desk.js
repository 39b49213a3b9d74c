// The desk's keyboard and page viewer. Plain script, served by the app (CSP script-src 'self').
(function () {
  "use strict";

  function submit(id) {
    var f = document.getElementById(id);
    if (f) { f.requestSubmit ? f.requestSubmit() : f.submit(); }
  }
  function focusOn(id) {
    var el = document.getElementById(id);
    if (el) { el.focus(); if (el.select && el.tagName === "INPUT") { el.select(); } }
  }
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "SELECT" || el.tagName === "TEXTAREA" || el.tagName === "BUTTON");
  }

  var doc = document.getElementById("doc");
  var figures = doc ? Array.prototype.slice.call(doc.querySelectorAll("figure.page")) : [];
  var current = 0;
  var zoom = 1;

  function showPage(i) {
    if (!figures.length) { return; }
    current = Math.max(0, Math.min(figures.length - 1, i));
    figures.forEach(function (f, n) { f.hidden = n !== current; });
    var label = document.getElementById("page-label");
    if (label) { label.textContent = "Page " + figures[current].dataset.page + " (" + (current + 1) + "/" + figures.length + ")"; }
  }
  function setZoom(z) {
    zoom = Math.max(0.5, Math.min(4, z));
    figures.forEach(function (f) { f.querySelector(".sheet").style.width = (zoom * 100) + "%"; });
    var label = document.getElementById("zoom-label");
    if (label) { label.textContent = Math.round(zoom * 100) + " %"; }
  }
  function hideBoxes() {
    figures.forEach(function (f) { f.querySelector(".box").hidden = true; });
  }
  function highlight(input) {
    hideBoxes();
    document.querySelectorAll("tr.field.focused").forEach(function (r) { r.classList.remove("focused"); });
    var row = input.closest("tr.field");
    if (row) { row.classList.add("focused"); }
    var b = (input.dataset.bbox || "").split(",").map(Number);
    var page = input.dataset.page;
    if (!page) { return; }
    var idx = figures.findIndex(function (f) { return f.dataset.page === page; });
    if (idx < 0) { return; }
    showPage(idx);
    if (b.length !== 4 || (b[2] <= b[0] && b[3] <= b[1])) { return; }
    var f = figures[idx];
    var w = Number(f.dataset.width), h = Number(f.dataset.height);
    var box = f.querySelector(".box");
    box.style.left = (100 * b[0] / w) + "%";
    box.style.top = (100 * b[1] / h) + "%";
    box.style.width = (100 * (b[2] - b[0]) / w) + "%";
    box.style.height = (100 * (b[3] - b[1]) / h) + "%";
    box.hidden = false;
    box.scrollIntoView({ block: "center", inline: "nearest" });
  }

  // NIR and IBAN: masked until the clerk holding the document focuses the field.
  function reveal(input) {
    if (!doc || doc.dataset.mine !== "true" || input.dataset.secret !== "1" || input.dataset.real !== undefined) { return; }
    var name = input.name.slice(2);
    var shown = input.value;
    fetch(doc.dataset.base.replace("/documents/", "/api/documents/") + "/fields/" + encodeURIComponent(name), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        // Only while the clerk has not started typing over the masked value.
        if (j && typeof j.value === "string" && document.activeElement === input && input.value === shown) {
          input.dataset.masked = shown;
          input.dataset.real = j.value;
          input.value = j.value;
        }
      });
  }
  function remask(input) {
    if (input.dataset.real !== undefined && input.value === input.dataset.real) {
      input.value = input.dataset.masked;
      delete input.dataset.real;
    }
  }

  if (doc) {
    figures.forEach(function (f) {
      var r = Number(f.dataset.rotation) || 0;
      if (r) { f.querySelector(".sheet").style.transform = "rotate(" + r + "deg)"; }
    });
    showPage(0);
    var prev = document.getElementById("prev-page"), next = document.getElementById("next-page");
    if (prev) { prev.addEventListener("click", function () { showPage(current - 1); }); }
    if (next) { next.addEventListener("click", function () { showPage(current + 1); }); }
    var zi = document.getElementById("zoom-in"), zo = document.getElementById("zoom-out");
    if (zi) { zi.addEventListener("click", function () { setZoom(zoom * 1.25); }); }
    if (zo) { zo.addEventListener("click", function () { setZoom(zoom / 1.25); }); }
    var form = document.getElementById("fields");
    if (form) {
      form.addEventListener("focusin", function (e) {
        if (e.target.tagName === "INPUT" && e.target.dataset.page) { highlight(e.target); reveal(e.target); }
      });
      form.addEventListener("focusout", function (e) {
        if (e.target.tagName === "INPUT") { remask(e.target); }
      });
    }
    if (doc.dataset.mine === "true") {
      // Start on the first doubtful field; a document all valid starts on the first field,
      // so that Enter approves it in one keystroke.
      var first = doc.querySelector("tr.field.doubtful input:not([readonly])") || doc.querySelector("tr.field input:not([readonly])");
      if (first) { first.focus(); } else { var a = document.getElementById("approve"); if (a) { a.focus(); } }
    }
  }

  document.addEventListener("keydown", function (e) {
    var t = document.activeElement;
    if (e.key === "Escape" && typing(t)) { t.blur(); hideBoxes(); return; }
    if (e.altKey && !e.ctrlKey && !e.metaKey) {
      var handled = true;
      switch (e.code) {
        case "KeyC": focusOn("reclassify-class"); break;
        case "KeyR": focusOn("reject-reason"); break;
        case "KeyP": focusOn("move-page"); break;
        case "KeyS": focusOn("split-at"); break;
        case "KeyM": focusOn("merge-other"); break;
        case "KeyN": submit(document.getElementById("next-form") ? "next-form" : "claim-next-form"); break;
        case "ArrowLeft": showPage(current - 1); break;
        case "ArrowRight": showPage(current + 1); break;
        case "Equal": case "NumpadAdd": setZoom(zoom * 1.25); break;
        case "Minus": case "NumpadSubtract": setZoom(zoom / 1.25); break;
        default: handled = false;
      }
      if (handled) { e.preventDefault(); }
      return;
    }
    if (typing(t) || e.ctrlKey || e.metaKey) { return; }
    if (e.key === "Enter" && doc && doc.dataset.mine === "true") {
      e.preventDefault();
      var ap = document.getElementById("approve");
      if (ap) { ap.click(); }
    } else if ((e.key === "n" || e.key === "N") && document.getElementById("claim-next-form")) {
      e.preventDefault();
      submit("claim-next-form");
    }
  });
})();
