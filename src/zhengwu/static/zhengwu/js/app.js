/* Zhengwu page behaviour. Loaded with defer after htmx; no inline scripts anywhere (CSP script-src 'self'). */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Every htmx request carries the CSRF token Django expects.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  // The menu button shows and hides the navigation on narrow screens.
  function initNavToggle() {
    var buttons = document.querySelectorAll(".nav-toggle[aria-controls]");
    Array.prototype.forEach.call(buttons, function (button) {
      var target = document.getElementById(button.getAttribute("aria-controls"));
      if (!target) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        var open = button.getAttribute("aria-expanded") !== "true";
        button.setAttribute("aria-expanded", open ? "true" : "false");
        target.classList.toggle("is-open", open);
      });
    });
  }

  // A form marked data-submit-once (the filing forms) is sent once: its submit buttons are disabled once it is
  // submitted, showing the attribute's text (e.g. 正在提交…), and a second submit is ignored. Only a convenience: the
  // server files one case for a form posted twice anyway (the form's one-time submission key).
  var SUBMIT_BUTTONS = 'button[type="submit"], button:not([type]), input[type="submit"]';

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-submit-once") || event.defaultPrevented) {
      return;
    }
    if (form.getAttribute("data-submitting") === "true") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitting", "true");
    var busy = form.getAttribute("data-submit-once");
    // after the browser has collected the form (a disabled submitter would be left out of it)
    window.setTimeout(function () {
      Array.prototype.forEach.call(form.querySelectorAll(SUBMIT_BUTTONS), function (button) {
        button.disabled = true;
        if (busy && button.tagName === "BUTTON") {
          button.setAttribute("data-label", button.textContent);
          button.textContent = busy;
        }
      });
    }, 0);
  });

  // Back to a page kept in the browser's cache: its forms can be sent again (as a new page's would).
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    var forms = document.querySelectorAll("form[data-submitting]");
    Array.prototype.forEach.call(forms, function (form) {
      form.removeAttribute("data-submitting");
      Array.prototype.forEach.call(form.querySelectorAll(SUBMIT_BUTTONS), function (button) {
        button.disabled = false;
        if (button.hasAttribute("data-label")) {
          button.textContent = button.getAttribute("data-label");
          button.removeAttribute("data-label");
        }
      });
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initNavToggle);
  } else {
    initNavToggle();
  }
})();
