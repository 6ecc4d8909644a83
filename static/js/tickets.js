/* Tickets: live status on the ticket page and photo previews on the forms.
 * Live updates go through window.communitySocket (static/js/app.js): the page subscribes to
 * its "ticket.<id>" group; on a change it updates the status badge and offers a reload
 * (the version hidden in the forms would be stale otherwise). */
(function () {
  "use strict";

  var head = document.querySelector("[data-ticket][data-group]");
  if (head && typeof window.communitySocket === "function") {
    var version = parseInt(head.getAttribute("data-version"), 10);
    var labelsNode = document.getElementById("ticket-status-labels");
    var labels = labelsNode ? JSON.parse(labelsNode.textContent) : {};
    var tones = {resolved: "badge-ok", closed: "badge-ok", declined: "badge-danger", cancelled: "badge-danger",
                 on_hold: "badge-warn"};
    window.communitySocket([head.getAttribute("data-group")], function (group, event) {
      if (!event || event.type !== "ticket.changed") { return; }
      var badge = document.querySelector("[data-ticket-status]");
      var label = labels[event.status] || event.status_display;
      if (badge && label) {
        badge.textContent = label;
        badge.className = "badge status status-" + event.status + (tones[event.status] ? " " + tones[event.status] : "");
      }
      var timeline = document.querySelector("[data-ticket-timeline]");
      if (timeline && event.event) {
        var item = document.createElement("li");
        item.className = "is-done";
        var body = document.createElement("div");
        body.textContent = event.event.body || label || "";
        item.appendChild(body);
        timeline.appendChild(item);
      }
      if (event.version && event.version !== version) {
        var note = document.querySelector("[data-ticket-changed]");
        if (note) { note.hidden = false; }
      }
    });
  }

  // Photo inputs: preview, and refuse more than the allowed number before uploading.
  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-max-photos]"), function (input) {
    var max = parseInt(input.getAttribute("data-max-photos"), 10) || 6;
    var previews = input.parentNode.querySelector("[data-photo-previews]");
    input.addEventListener("change", function () {
      if (input.files.length > max) {
        input.setCustomValidity(input.getAttribute("data-too-many"));
        input.reportValidity();
      } else {
        input.setCustomValidity("");
      }
      if (!previews || !window.URL) { return; }
      previews.textContent = "";
      Array.prototype.slice.call(input.files, 0, max).forEach(function (file) {
        var img = document.createElement("img");
        img.alt = "";
        img.src = URL.createObjectURL(file);
        previews.appendChild(img);
      });
    });
  });

  // Report form: the common-area field only matters when no home is picked.
  var unit = document.querySelector("[data-common-toggle]");
  var area = document.querySelector("[data-common-area]");
  if (unit && area) {
    var sync = function () { area.hidden = unit.value !== ""; };
    unit.addEventListener("change", sync);
    sync();
  }
})();
