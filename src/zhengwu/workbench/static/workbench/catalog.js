/* Catalogue curation forms: the statutory preset explains itself and fills the limit, the compression
   ratio follows the limits, and formsets get an "add a row" button. Works without it, too. */
(function () {
  "use strict";

  function byName(form, name) {
    return form.querySelector('[name="' + name + '"]');
  }

  function initPreset(form) {
    var select = byName(form, "statutory_preset");
    var help = document.getElementById("preset-help");
    if (!select || !help) {
      return;
    }
    select.addEventListener("change", function () {
      var chosen = null;
      Array.prototype.forEach.call(help.querySelectorAll("[data-preset]"), function (item) {
        var match = item.getAttribute("data-preset") === select.value;
        item.hidden = !match;
        if (match) {
          chosen = item;
        }
      });
      help.hidden = chosen === null;
      if (chosen) {
        var days = byName(form, "statutory_limit_days");
        var unit = byName(form, "limit_unit");
        if (days) {
          days.value = chosen.getAttribute("data-days");
          days.dispatchEvent(new Event("input", { bubbles: true }));
        }
        if (unit) {
          unit.value = chosen.getAttribute("data-unit");
        }
      }
    });
  }

  function initRatio(form) {
    var output = document.getElementById("compression-ratio");
    var statutory = byName(form, "statutory_limit_days");
    var promised = byName(form, "promised_limit_days");
    if (!output || !statutory || !promised) {
      return;
    }
    function update() {
      var s = parseInt(statutory.value, 10);
      var p = parseInt(promised.value, 10);
      output.textContent = s > 0 && p >= 0 ? Math.round((p / s) * 100) + "%" : "—";
    }
    statutory.addEventListener("input", update);
    promised.addEventListener("input", update);
    update();
  }

  function initFormsets(form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-formset]"), function (section) {
      var prefix = section.getAttribute("data-formset");
      var template = section.querySelector("template");
      var list = section.querySelector("[data-formset-rows]");
      var total = byName(form, prefix + "-TOTAL_FORMS");
      var button = section.querySelector("[data-formset-add]");
      if (!template || !list || !total || !button) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        var index = parseInt(total.value, 10);
        var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
        list.insertAdjacentHTML("beforeend", html);
        total.value = String(index + 1);
        var first = list.lastElementChild && list.lastElementChild.querySelector("input, select, textarea");
        if (first) {
          first.focus();
        }
      });
    });
  }

  function init() {
    var form = document.querySelector("form.guide-form");
    if (!form) {
      return;
    }
    initPreset(form);
    initRatio(form);
    initFormsets(form);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
