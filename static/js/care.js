/* Home care pages.
 * - Worker list: live notices of new / taken orders over window.communitySocket.
 * - Order page: live status; check-in/out forms fill in the browser's location (accuracy kept)
 *   and an idempotency key, so a form sent twice (or replayed after no signal) counts once. */
(function () {
  "use strict";

  var live = document.querySelector("[data-care-groups]");
  if (live && typeof window.communitySocket === "function") {
    var groups = live.getAttribute("data-care-groups").split(" ").filter(Boolean);
    window.communitySocket(groups, function (group, event) {
      if (!event) { return; }
      if (event.type === "care.order.taken") {
        var row = document.querySelector('[data-order="' + event.order + '"]');
        if (row && row.parentNode) { row.parentNode.removeChild(row); }
        return;
      }
      if (event.type === "care.order.new" || event.type === "care.alarm.raised") {
        live.hidden = false;
      }
    });
  }

  var head = document.querySelector("[data-care-order][data-group]");
  if (head && typeof window.communitySocket === "function") {
    window.communitySocket([head.getAttribute("data-group")], function (group, event) {
      if (!event || !event.status_display) { return; }
      var badge = head.querySelector("[data-order-status]");
      if (badge) { badge.textContent = event.status_display; }
      var note = head.querySelector("[data-order-changed]");
      if (note) { note.hidden = false; }
    });
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-geolocate]"), function (form) {
    var status = form.querySelector("[data-geo-status]");
    var key = form.querySelector("input[name=idempotency_key]");
    if (key && !key.value) { key.value = newKey(); }
    if (!navigator.geolocation) {
      if (status) { status.textContent = status.getAttribute("data-none") || ""; }
      return;
    }
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.querySelector("input[name=latitude]").value = pos.coords.latitude;
      form.querySelector("input[name=longitude]").value = pos.coords.longitude;
      form.querySelector("input[name=accuracy]").value = Math.round(pos.coords.accuracy);
      if (status) { status.textContent = "±" + Math.round(pos.coords.accuracy) + " m"; status.setAttribute("data-geo-ready", "1"); }
    }, function () {
      if (status) { status.textContent = "—"; status.setAttribute("data-geo-ready", "0"); }
    }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
  });
})();
