// The desk's small enhancements; every form works without them.
(function () {
  "use strict";

  // Time off: show the fields of the chosen kind (whole days or some hours) only.
  function showChosenKind(form) {
    var chosen = form.querySelector("input[name$='kind']:checked");
    if (!chosen) {
      return;
    }
    form.querySelectorAll("[data-kind-section]").forEach(function (section) {
      section.hidden = section.getAttribute("data-kind-section") !== chosen.value;
    });
  }

  // A closed date has no hours: grey them out while "closed" is ticked.
  function toggleHours(form) {
    var closed = form.querySelector("input[name$='closed']");
    if (!closed) {
      return;
    }
    form.querySelectorAll("[data-hours] input").forEach(function (input) {
      input.disabled = closed.checked;
    });
  }

  document.querySelectorAll("form[data-time-off]").forEach(function (form) {
    showChosenKind(form);
    form.addEventListener("change", function () { showChosenKind(form); });
  });
  document.querySelectorAll("form[data-override]").forEach(function (form) {
    toggleHours(form);
    form.addEventListener("change", function () { toggleHours(form); });
  });
})();
