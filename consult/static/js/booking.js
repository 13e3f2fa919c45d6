// Booking pages: show times in the visitor's own zone. Without JavaScript the page shows the
// consultant's zone and says so; the zone list still works with its button.
(function () {
  "use strict";
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
    var known = Array.prototype.some.call(select.options, function (option) {
      return option.value === detected;
    });
    if (known && detected !== form.getAttribute("data-current-zone")) {
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
