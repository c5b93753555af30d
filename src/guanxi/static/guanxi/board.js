// The pipeline board: SortableJS drags cards between stage columns; a drop POSTs (htmx) to the
// card's move URL, the same service as the API. The server answers with the column headers
// (out-of-band) and a toast; when it refuses (422) or the request fails, the card goes back.
// A drop into a lost stage first asks for the reason. CSP-safe: no inline code, no eval.
(function () {
  "use strict";

  function csrfHeaders() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}"); } catch (e) { return {}; }
  }

  function toast(text) {
    var box = document.getElementById("toasts");
    if (!box || !text) return;
    var el = document.createElement("div");
    el.className = "toast show align-items-center text-bg-danger border-0";
    el.setAttribute("role", "alert");
    var body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = text;
    el.appendChild(body);
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 6000);
  }

  function restore(item, from, oldIndex) {
    var siblings = Array.prototype.filter.call(from.children, function (el) { return el !== item; });
    from.insertBefore(item, siblings[oldIndex] || null);
  }

  function init() {
    var board = document.getElementById("board");
    if (!board || !window.Sortable || !window.htmx) return;
    var filters = new URLSearchParams(board.getAttribute("data-filters") || "");
    var modalEl = document.getElementById("lost-modal");
    var lostForm = document.getElementById("lost-form");
    var pendingLost = null;

    function send(move, lostReason) {
      var values = {};
      filters.forEach(function (value, key) { values[key] = value; });
      values.stage = move.to.getAttribute("data-stage");
      var next = move.item.nextElementSibling;
      while (next && !next.classList.contains("board-card")) next = next.nextElementSibling;
      if (next) values.before = next.getAttribute("data-id");
      if (lostReason) values.lost_reason = lostReason;
      move.item.classList.add("moving");
      var done = function (ok) {
        move.item.classList.remove("moving");
        if (!ok) {
          restore(move.item, move.from, move.oldIndex);
          // a 422 brings its own toast with the reason; anything else gets the board's message
          if (move.status !== 422) toast(board.getAttribute("data-error"));
        }
        board.dispatchEvent(new CustomEvent("board:moved", { detail: { ok: ok, id: move.item.getAttribute("data-id") } }));
      };
      move.item.addEventListener("htmx:afterRequest", function (event) {
        move.status = event.detail.xhr ? event.detail.xhr.status : 0;
      }, { once: true });
      window.htmx.ajax("POST", move.item.getAttribute("data-move-url"), {
        source: move.item, values: values, swap: "none", headers: csrfHeaders()
      }).then(function () {
        done(move.status === 200);
      }, function () { done(false); });
    }

    function onEnd(evt) {
      if (evt.from === evt.to && evt.oldIndex === evt.newIndex) return;
      var move = { item: evt.item, from: evt.from, to: evt.to, oldIndex: evt.oldIndex, status: 0 };
      if (evt.to !== evt.from && evt.to.getAttribute("data-lost") === "1" && modalEl && window.bootstrap) {
        pendingLost = move;
        lostForm.reset();
        window.bootstrap.Modal.getOrCreateInstance(modalEl).show();
        return;
      }
      send(move, "");
    }

    if (modalEl && lostForm) {
      modalEl.addEventListener("shown.bs.modal", function () { document.getElementById("lost-reason").focus(); });
      lostForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var reason = document.getElementById("lost-reason").value.trim();
        if (!reason || !pendingLost) return;
        var move = pendingLost;
        pendingLost = null;
        window.bootstrap.Modal.getOrCreateInstance(modalEl).hide();
        send(move, reason);
      });
      modalEl.addEventListener("hidden.bs.modal", function () {
        if (pendingLost) { restore(pendingLost.item, pendingLost.from, pendingLost.oldIndex); pendingLost = null; }
      });
    }

    board.querySelectorAll(".board-cards").forEach(function (list) {
      window.Sortable.create(list, {
        group: board.getAttribute("data-group") || "board",
        draggable: ".board-card",
        filter: ".locked, a",
        preventOnFilter: false,
        forceFallback: true,
        fallbackTolerance: 4,
        animation: 120,
        onEnd: onEnd
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
