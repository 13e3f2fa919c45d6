// The speaking inquiry form: the city is not asked for when the event is online.
(function () {
  "use strict";
  var online = document.getElementById("online");
  var city = document.getElementById("city");
  if (!online || !city) {
    return;
  }
  var wrapper = city.closest(".field");
  function sync() {
    wrapper.classList.toggle("is-hidden", online.checked);
  }
  online.addEventListener("change", sync);
  sync();
})();
