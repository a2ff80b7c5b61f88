/* Print buttons on guides and checklists: shown only when scripts run (no inline handlers; CSP script-src 'self'). */
(function () {
  "use strict";

  function initPrintButtons() {
    var buttons = document.querySelectorAll("button[data-print]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initPrintButtons);
  } else {
    initPrintButtons();
  }
})();
