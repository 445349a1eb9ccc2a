// The SPARQL editor: YASGUI (served from node_modules) on this server's endpoint, with the
// starter query in the first tab and every canned query in a tab of its own. The page hands
// over its configuration as JSON in #editor-config: the endpoint, the queries and the
// prefixes answers are shown with (the graph's own namespaces and its vocabularies), in the
// table's compact view (plain values, no datatypes). `/sparql#name` opens the tab of the
// canned query `name`, `/sparql#query=…` a tab with that query (the link of an answer of
// `/ask`). Nothing is kept in the browser's storage: each visit starts from the same tabs.
(function () {
  "use strict";
  var element = document.getElementById("editor-config");
  if (!element || typeof window.Yasgui !== "function") {
    return;
  }
  var config = JSON.parse(element.textContent);
  var plain = { selectedPlugin: "table", pluginsConfig: { table: { compact: true } } };
  var yasgui = new window.Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    populateFromUrl: false,
    autofocus: false,
    autoAddOnInit: false,
    yasr: { prefixes: config.prefixes, persistenceId: null },
  });
  var first = yasgui.addTab(true, {
    name: "start",
    yasqe: { value: config.starter },
    yasr: { settings: plain, response: undefined },
  });
  var wanted = decodeURIComponent(window.location.hash.replace(/^#/, ""));
  var chosen = null;
  // `/sparql#query=…` (the link of an answer of /ask): a tab with that query
  if (wanted.indexOf("query=") === 0) {
    chosen = yasgui.addTab(false, {
      name: "question",
      yasqe: { value: wanted.slice("query=".length) },
      yasr: { settings: plain, response: undefined },
    });
  }
  config.examples.forEach(function (example) {
    var tab = yasgui.addTab(false, {
      name: example.name,
      yasqe: { value: example.query },
      yasr: { settings: plain, response: undefined },
    });
    if (example.name === wanted) {
      chosen = tab;
    }
  });
  if (chosen) {
    yasgui.selectTabId(chosen.getId());
  } else if (first) {
    yasgui.selectTabId(first.getId());
  }
  // YASGUI's own markup, mended for screen readers and keyboards: labels for its inputs,
  // tabs that point only at panels that exist, scrolling areas that take the focus
  function mend() {
    var root = document.getElementById("yasgui");
    root.querySelectorAll(".tabsList").forEach(function (list) {
      Array.prototype.forEach.call(list.children, function (child) {
        if (!child.querySelector("[role=tab]")) {
          child.setAttribute("role", "none");
          child.querySelectorAll("a, button").forEach(function (control) {
            control.setAttribute("role", "tab");
            if (!control.getAttribute("aria-label")) {
              control.setAttribute("aria-label", control.textContent.trim() || "Add a tab");
            }
          });
        }
      });
    });
    root.querySelectorAll("[role=tab][aria-controls]").forEach(function (tab) {
      if (!document.getElementById(tab.getAttribute("aria-controls"))) {
        tab.removeAttribute("aria-controls");
      }
    });
    root.querySelectorAll(".tabsList input").forEach(function (input) {
      input.setAttribute("aria-label", "Tab name");
    });
    root.querySelectorAll("input.autocomplete, .controlbar input").forEach(function (input) {
      input.setAttribute("aria-label", "SPARQL endpoint");
    });
    root.querySelectorAll(".CodeMirror textarea").forEach(function (area) {
      area.setAttribute("aria-label", "SPARQL query");
    });
    root.querySelectorAll("textarea:not([aria-label]), input:not([aria-label]), select:not([aria-label])").forEach(function (field) {
      field.setAttribute("aria-label", field.getAttribute("placeholder") || field.getAttribute("title") || field.name || "Editor setting");
    });
    root.querySelectorAll(".CodeMirror-scroll, .dataTables_scrollBody, .yasr_results").forEach(function (area) {
      if (area.getAttribute("tabindex") !== "0") {
        area.setAttribute("tabindex", "0");
      }
    });
  }
  var pending = false;
  new MutationObserver(function () {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        mend();
      });
    }
  }).observe(document.getElementById("yasgui"), { childList: true, subtree: true });
  mend();
  window.yasgui = yasgui;
})();
