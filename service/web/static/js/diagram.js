/* The process page's diagram: bpmn-js's NavigatedViewer (served by the app from vendor/, see
   scripts/bootstrap.sh) draws the BPMN the process runs on, zoomed to fit, with the current
   steps marked "current" and the completed ones "done" (colours in app.css). A file of its own,
   so the CSP needs no inline script; bpmn-js sets styles through the CSSOM, which the CSP
   allows. Without script, or if anything fails, the list of steps beside it stays. */
(function () {
  "use strict";

  var holder = document.querySelector("[data-bpmn-viewer]");
  if (!holder || typeof window.BpmnJS !== "function" || !window.fetch) return;
  var list = document.querySelector("[data-diagram-steps]");
  var labels = JSON.parse(holder.getAttribute("data-labels") || "{}");

  function ids(attribute) {
    return (holder.getAttribute(attribute) || "").split(" ").filter(Boolean);
  }

  holder.hidden = false; // the viewer measures its container: show it before drawing
  var viewer = new window.BpmnJS({ container: holder });

  /* Lanes are named by role codes, steps, events, gateways and flows in Vietnamese: write the
     page's labels instead (steps by id, the rest by name). */
  viewer.on("import.parse.complete", function (event) {
    var byId = event.elementsById || {};
    Object.keys(byId).forEach(function (id) {
      var element = byId[id];
      var lane = element.$type === "bpmn:Lane" && (labels.lanes || {})[element.name];
      var step = (labels.steps || {})[id] || (labels.names || {})[element.name];
      if (lane || step) element.name = lane || step;
    });
  });

  function fit() {
    var canvas = viewer.get("canvas");
    canvas.resized();
    canvas.zoom("fit-viewport", "auto");
  }

  fetch(holder.getAttribute("data-src"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("diagram: HTTP " + response.status);
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
      fit();
      [["data-done", "done"], ["data-current", "current"]].forEach(function (pair) {
        ids(pair[0]).forEach(function (id) {
          if (registry.get(id)) canvas.addMarker(id, pair[1]);
        });
      });
      if (list) list.hidden = true;
      holder.setAttribute("data-ready", "");
      var pending;
      window.addEventListener("resize", function () {
        window.clearTimeout(pending);
        pending = window.setTimeout(fit, 150);
      });
      // the paper is narrower than the screen: fit to it, and back to the screen after
      window.addEventListener("beforeprint", fit);
      window.addEventListener("afterprint", fit);
    })
    .catch(function (error) {
      viewer.destroy();
      holder.hidden = true;
      if (list) list.hidden = false;
      window.console.warn(error);
    });
})();
