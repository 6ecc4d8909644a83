/* Home care pages.
 * - Worker list: live notices of new / taken orders over window.communitySocket.
 * - Order page: live status; check-in/out forms fill in the browser's location (accuracy kept)
 *   and an idempotency key, and go through the outbox below: without signal they wait on the
 *   phone ("N waiting to send") and are sent when the signal is back, counted once.
 * - Worker list: reports the worker's position when the worker chose to share it. */
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
      if (!event || !event.status) { return; }
      // The event carries the status code; the page holds its labels in the reader's language.
      var labels = JSON.parse((document.getElementById("care-status-labels") || {}).textContent || "{}");
      var badge = head.querySelector("[data-order-status]");
      if (badge) { badge.textContent = labels[event.status] || event.status; }
      var note = head.querySelector("[data-order-changed]");
      if (note) { note.hidden = false; }
    });
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input && input.value) { return input.value; }
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  /* The outbox: check-ins and check-outs wait on the phone (localStorage survives a reload or a
   * closed tab) until they reach the server. Each keeps the phone's time of the tap (a claim:
   * the server's clock is the record) and its idempotency key, so sending one twice (the answer
   * lost on the way back) stores it once. Entries are sent in order, oldest first, so a
   * check-out never overtakes its check-in. */
  var OUTBOX = "care.outbox.v1";
  var box = document.querySelector("[data-care-outbox]");
  var flushing = false;
  var retryTimer = null;

  function outbox() {
    try { return JSON.parse(window.localStorage.getItem(OUTBOX) || "[]"); } catch (e) { return []; }
  }

  function saveOutbox(items) {
    window.localStorage.setItem(OUTBOX, JSON.stringify(items));
    renderOutbox();
  }

  function revealCheckOut(items) {
    // A check-in of this order still waiting on the phone: the page cannot learn from the
    // server that the visit started, so it offers the check-out now (queued behind it).
    Array.prototype.forEach.call(document.querySelectorAll("form[data-offline-next]"), function (next) {
      var order = next.getAttribute("data-order");
      if (items.some(function (i) { return i.action === "check_in" && i.order === order; })) { next.hidden = false; }
    });
  }

  function renderOutbox(error) {
    var items = outbox();
    revealCheckOut(items);
    if (!box) { return; }
    var errorLine = box.querySelector("[data-outbox-error]");
    if (error !== undefined) {
      errorLine.textContent = error;
      errorLine.hidden = !error;
    }
    box.hidden = items.length === 0 && errorLine.hidden;
    box.querySelector("[data-outbox-count]").textContent = String(items.length);
    box.setAttribute("data-outbox-size", String(items.length));
    var state = box.querySelector("[data-outbox-state]");
    state.textContent = items.length === 0 ? "" : state.getAttribute(navigator.onLine ? "data-online" : "data-offline");
  }

  function enqueue(entry) {
    var items = outbox();
    // A second tap on the same form is the same check: one entry per key.
    if (!items.some(function (i) { return i.key === entry.key; })) { items.push(entry); }
    saveOutbox(items);
  }

  function dropEntry(key) {
    saveOutbox(outbox().filter(function (i) { return i.key !== key; }));
  }

  function refusal(response) {
    return response.json().then(function (data) {
      var err = data && data.error;
      return err ? (err.message || err.code) : String(response.status);
    }, function () { return String(response.status); });
  }

  function scheduleRetry() {
    if (retryTimer) { return; }
    retryTimer = window.setTimeout(function () { retryTimer = null; flush(); }, 5000);
  }

  function flush() {
    if (flushing || !navigator.onLine) { renderOutbox(); return; }
    var items = outbox();
    if (!items.length) { renderOutbox(); return; }
    flushing = true;
    var entry = items[0];
    renderOutbox();
    window.fetch(entry.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify(entry.body)
    }).then(function (response) {
      // No answer worth keeping for: sent, or refused for good (a wrong door code, a visit
      // already over). Signed out, throttled or a server fault: keep it and try again.
      var retry = response.status >= 500 || response.status === 401 || response.status === 429;
      if (retry) { throw new Error("retry"); }
      dropEntry(entry.key);
      if (response.ok) { return null; }
      return refusal(response).then(function (text) {
        var label = box ? box.querySelector("[data-outbox-state]").getAttribute("data-failed") : "";
        return label + " " + text;
      });
    }).then(function (error) {
      flushing = false;
      if (error) {
        renderOutbox(error);
        // Refused (nothing stored): the worker may correct the form and send it again.
        Array.prototype.forEach.call(document.querySelectorAll("form[data-geolocate]"), function (form) {
          var key = form.querySelector("input[name=idempotency_key]");
          var button = form.querySelector("button[type=submit]");
          if (key && button && key.value === entry.key) { button.disabled = false; }
        });
      }
      if (outbox().length) { flush(); return; }
      var here = document.querySelector("[data-care-order]");
      if (!error && here && here.getAttribute("data-care-order") === String(entry.order)) {
        window.location.reload();  // show the order as the server now has it
      }
    }).catch(function () {
      flushing = false;
      renderOutbox();
      scheduleRetry();
    });
  }

  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { renderOutbox(); });
  renderOutbox();
  flush();

  function numberOrNull(value) {
    return value === "" || value === undefined || value === null ? null : Number(value);
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-geolocate]"), function (form) {
    var status = form.querySelector("[data-geo-status]");
    var key = form.querySelector("input[name=idempotency_key]");
    if (key && !key.value) { key.value = newKey(); }
    form.addEventListener("submit", function (event) {
      if (!form.getAttribute("data-api") || !window.fetch || !window.localStorage) { return; }  // plain POST
      event.preventDefault();
      var doorCode = form.querySelector("input[name=door_code]");
      enqueue({
        key: key.value,
        order: form.getAttribute("data-order"),
        action: form.getAttribute("data-check"),
        url: form.getAttribute("data-api"),
        queued_at: new Date().toISOString(),
        body: {
          latitude: numberOrNull(form.querySelector("input[name=latitude]").value),
          longitude: numberOrNull(form.querySelector("input[name=longitude]").value),
          accuracy: numberOrNull(form.querySelector("input[name=accuracy]").value),
          door_code: doorCode ? doorCode.value : "",
          claimed_at: new Date().toISOString(),
          idempotency_key: key.value
        }
      });
      renderOutbox("");  // a new try: the last refusal no longer applies
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      flush();
    });
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

  /* A worker who chose to share the position reports it when the list opens (only then: the
   * page asks, nothing runs in the background). */
  var sharing = document.querySelector("form[data-report-position]");
  if (sharing && navigator.geolocation && window.fetch && navigator.onLine) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      window.fetch(sharing.getAttribute("data-report-position"), {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken()},
        body: JSON.stringify({
          latitude: pos.coords.latitude,
          longitude: pos.coords.longitude,
          accuracy: Math.round(pos.coords.accuracy)
        })
      }).then(function (response) {
        if (response.ok) { sharing.setAttribute("data-position-sent", "1"); }
      }, function () { /* no signal: the next visit to the list sends it */ });
    }, function () {}, {enableHighAccuracy: false, timeout: 10000, maximumAge: 120000});
  }
})();
