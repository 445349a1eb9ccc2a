// The SPARQL editor: YASGUI (served from node_modules) on this server's endpoint, with the
// starter query in the first tab and every canned query in a tab of its own. The page hands
// over its configuration as JSON in #editor-config. Nothing is kept in the browser's storage:
// each visit starts from the same tabs.
(function () {
  "use strict";
  var element = document.getElementById("editor-config");
  if (!element || typeof window.Yasgui !== "function") {
    return;
  }
  var config = JSON.parse(element.textContent);
  var yasgui = new window.Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    populateFromUrl: false,
    autofocus: false,
  });
  var first = yasgui.getTab();
  if (first) {
    first.setName("start");
    first.setQuery(config.starter);
  }
  config.examples.forEach(function (example) {
    yasgui.addTab(false, { name: example.name, yasqe: { value: example.query } });
  });
  window.yasgui = yasgui;
})();
