// Booking pages: show times in the visitor's own zone, and send a reservation only once.
// Without JavaScript the page shows the consultant's zone and says so; the zone list still
// works with its button.
(function () {
  "use strict";

  // A double click on "Hold this time and pay" would race the visitor against herself.
  var intake = document.querySelector("form[data-submit-once]");
  if (intake) {
    var button = intake.querySelector("button[type=submit]");
    intake.addEventListener("submit", function () {
      window.setTimeout(function () {
        button.disabled = true;
      }, 0);
    });
    // Coming back to the page (browser history) must find the button usable again.
    window.addEventListener("pageshow", function () {
      button.disabled = false;
    });
  }

  var form = document.querySelector("[data-zone-chooser]");
  if (!form) {
    return;
  }
  var select = form.querySelector("select[name=tz]");
  var params = new URLSearchParams(window.location.search);

  // First visit without a chosen zone: switch to the browser's, once.
  if (!params.has("tz")) {
    var detected = "";
    try {
      detected = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      detected = "";
    }
    // The server checks the name; an unknown one falls back to the consultant's zone.
    if (detected && detected !== form.getAttribute("data-current-zone")) {
      params.set("tz", detected);
      window.location.replace(window.location.pathname + "?" + params.toString());
      return;
    }
  }

  // Choosing a zone shows the times at once; the button stays for keyboards and no-JS.
  select.addEventListener("change", function () {
    form.submit();
  });
})();
