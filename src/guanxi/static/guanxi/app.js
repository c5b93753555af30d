// Guanxi page behaviour. CSP-safe: no inline scripts, no eval, only event delegation.
(function () {
  "use strict";
  function hideToasts(root) {
    root.querySelectorAll("[data-autohide]").forEach(function (el) {
      setTimeout(function () { el.classList.remove("show"); el.remove(); }, 5000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { hideToasts(document); });
  document.addEventListener("htmx:afterSwap", function () { hideToasts(document.getElementById("toasts") || document); });
  // <form data-confirm="…"> asks before submitting (delete, merge).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);
  // Escape or a click elsewhere closes the search results.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { var box = document.getElementById("search-results"); if (box) box.innerHTML = ""; }
  });
  document.addEventListener("click", function (event) {
    var box = document.getElementById("search-results");
    if (box && !event.target.closest(".global-search")) box.innerHTML = "";
  });
})();
