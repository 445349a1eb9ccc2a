// The SPARQL editor: YASGUI (served from node_modules) on this server's endpoint, with the
// starter query in the first tab and every canned query in a tab of its own. The page hands
// over its configuration as JSON in #editor-config: the endpoint, the queries and the
// prefixes answers are shown with (the graph's own namespaces and its vocabularies), in the
// table's compact view (plain values, no datatypes). `/sparql#name` opens the tab of the
// canned query `name`. Nothing is kept in the browser's storage: each visit starts from the
// same tabs.
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
  window.yasgui = yasgui;
})();
