// The signed-in menu works without this; it closes an open group on Escape or a click elsewhere.
(function () {
  "use strict";

  var groups = document.querySelectorAll("details[data-staff-group]");

  function closeAll(except) {
    groups.forEach(function (group) {
      if (group !== except) {
        group.open = false;
      }
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var open = document.activeElement && document.activeElement.closest("details[data-staff-group][open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });

  document.addEventListener("click", function (event) {
    var inside = event.target.closest && event.target.closest("details[data-staff-group]");
    closeAll(inside);
  });
})();
