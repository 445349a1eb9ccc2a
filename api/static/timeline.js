// /timeline: the events and dated actions on a time axis with vis-timeline (served from
// node_modules). The page hands over the items as JSON in #timeline-data; the table below the
// chart holds the same rows for reading without script. Items are grouped by commitment or by
// country and region (an item with several appears in each group), coloured by status; an
// interval (a vague date) is drawn as a range, a single day as a point.
(function () {
  "use strict";
  var element = document.getElementById("timeline-data");
  var container = document.getElementById("timeline");
  if (!element || !container || !window.vis || !window.vis.Timeline) {
    return;
  }
  var items = JSON.parse(element.textContent);
  var DAY = 24 * 60 * 60 * 1000;

  function dayAfter(iso) {
    return new Date(Date.parse(iso) + DAY).toISOString().slice(0, 10);
  }

  function build(by) {
    var groups = new Map();
    var drawn = [];
    items.forEach(function (item, index) {
      var owners = by === "place" ? item.places : item.commitments;
      if (!owners.length) {
        owners = [{ id: "", label: by === "place" ? "No country or region" : "No commitment", number: "" }];
      }
      owners.forEach(function (owner) {
        if (!groups.has(owner.id)) {
          var text = by === "place" ? owner.label : owner.number ? owner.number + ". " + owner.label.replace(/^\d+\.\s*/, "") : owner.label;
          groups.set(owner.id, { id: owner.id, content: text, order: by === "place" ? text : Number(owner.number || 999) });
        }
        var range = item.end && item.end !== item.start;
        var title = item.label + " — " + item.start + (range ? " to " + item.end : "") +
          (item.phrase ? " (“" + item.phrase + "”)" : "") + (item.status ? ", " + item.status : "");
        drawn.push({
          id: index + "|" + owner.id,
          group: owner.id,
          content: item.label.length > 60 ? item.label.slice(0, 57) + "…" : item.label,
          title: title,
          start: item.start,
          end: range ? dayAfter(item.end) : undefined,
          type: range ? "range" : "point",
          className: "status-" + item.statusClass + " kind-" + item.kind,
          href: item.href,
        });
      });
    });
    return { groups: Array.from(groups.values()), items: drawn };
  }

  // the first view spans the items' starts: a long interval (a plan "until 2025") runs on
  // past the right edge rather than squeezing every March day into a hair. Given as options,
  // so that the chart's own first fit does not widen it again
  var starts = items.map(function (item) { return Date.parse(item.start); }).filter(isFinite);
  var view = {};
  if (starts.length) {
    view.start = new Date(Math.min.apply(null, starts) - 14 * DAY);
    view.end = new Date(Math.max.apply(null, starts) + 30 * DAY);
  }
  var data = build("commitment");
  var timeline = new window.vis.Timeline(container, data.items, data.groups, {
    start: view.start,
    end: view.end,
    stack: true,
    orientation: "top",
    groupOrder: "order",
    zoomable: true,
    horizontalScroll: false,
    verticalScroll: true,
    maxHeight: "36rem",
    tooltip: { followMouse: true },
  });
  // the chart's scrolling panels take the keyboard's focus, so that they scroll without a mouse
  function focusable() {
    container.querySelectorAll(".vis-panel, .vis-left, .vis-right, .vis-center").forEach(function (panel) {
      if (!panel.hasAttribute("tabindex")) {
        panel.setAttribute("tabindex", "0");
      }
    });
  }
  focusable();
  timeline.on("changed", focusable);
  timeline.on("click", function (properties) {
    if (properties.item === null || properties.item === undefined) {
      return;
    }
    var found = data.items.find(function (entry) { return entry.id === properties.item; });
    if (found && found.href) {
      window.location.href = found.href;
    }
  });
  document.querySelectorAll("#timeline-controls input[name=group]").forEach(function (input) {
    input.addEventListener("change", function () {
      data = build(input.value);
      timeline.setData({ groups: data.groups, items: data.items });
      if (view.start) {
        timeline.setWindow(view.start, view.end, { animation: false });
      }
    });
  });
  window.emkTimeline = timeline;
})();
