/* 智慧社区 — small shared script for every page (no build step, no dependencies).
 *
 * window.communitySocket(groups, onEvent, options) -> {close(), subscribe(group)}
 *   Opens the authenticated websocket at /ws/ (wss: on https pages, ws: otherwise), subscribes
 *   to each group name in `groups` by sending {"action": "subscribe", "group": g}, and calls
 *   onEvent(group, event) for every event the server pushes ({"group": ..., "event": ...}).
 *   The server also puts each user in their own "user.<id>" group without asking. When the
 *   connection drops it reconnects with exponential backoff (1 s doubling up to 30 s, with
 *   jitter) and subscribes again. A refused subscription is logged to the console. Example:
 *
 *     communitySocket(["estate.3.gate"], function (group, event) { console.log(group, event); });
 *
 *   The server closes with code 4401 when the user is not logged in; then it stops retrying.
 *   options (optional): onSubscribed(group) once the server has confirmed a subscription (after
 *   every reconnect too): only then will events of that group arrive; onDisconnected() when the
 *   connection drops. A page's "live" indicator follows these two, not the socket opening.
 */
(function () {
  "use strict";

  function communitySocket(groups, onEvent, options) {
    var wanted = (groups || []).slice();
    var hooks = options || {};
    var socket = null;
    var delay = 1000;
    var closed = false;
    var timer = null;

    function url() {
      var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
      return scheme + "//" + window.location.host + "/ws/";
    }

    function send(group) {
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify({ action: "subscribe", group: group }));
      }
    }

    function connect() {
      socket = new WebSocket(url());
      socket.onopen = function () {
        delay = 1000;
        wanted.forEach(send);
      };
      socket.onmessage = function (message) {
        var data;
        try { data = JSON.parse(message.data); } catch (e) { return; }
        if (data.error) {
          console.warn("communitySocket:", data.error, data.group || "");
          return;
        }
        if (data.subscribed !== undefined) {
          if (typeof hooks.onSubscribed === "function") { hooks.onSubscribed(data.subscribed); }
          return;
        }
        if (data.event !== undefined && typeof onEvent === "function") {
          onEvent(data.group, data.event);
        }
      };
      socket.onclose = function (event) {
        if (typeof hooks.onDisconnected === "function") { hooks.onDisconnected(); }
        // 4401: logged out; 4403: staff must set up two-factor authentication first.
        if (closed || event.code === 4401 || event.code === 4403) { return; }
        var wait = delay + Math.floor(Math.random() * 500);
        delay = Math.min(delay * 2, 30000);
        timer = window.setTimeout(connect, wait);
      };
    }

    connect();
    return {
      subscribe: function (group) {
        if (wanted.indexOf(group) === -1) { wanted.push(group); }
        send(group);
      },
      close: function () {
        closed = true;
        if (timer) { window.clearTimeout(timer); }
        if (socket) { socket.close(); }
      }
    };
  }

  window.communitySocket = communitySocket;

  // Forms marked data-confirm="message" ask before submitting (e.g. cancel a ticket).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  // <select data-autosubmit> submits its form when changed (no inline handlers: the
  // Content-Security-Policy allows only these static scripts).
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field && field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) {
      field.form.submit();
    }
  });
})();
