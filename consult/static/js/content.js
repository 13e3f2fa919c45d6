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

// The owner's editors (article, bio): a draft kept every few seconds while she types, never
// published by it, and a warning before she leaves with changes that are not saved.
(function () {
  "use strict";
  var form = document.querySelector("form[data-warn-unsaved]");
  if (!form) {
    return;
  }
  var AUTOSAVE_EVERY_MS = 5000;
  var status = form.querySelector(".autosave-status");
  var saved = new FormData(form);
  var autosaved = snapshot(new FormData(form));
  var submitting = false;

  function snapshot(data) {
    var parts = [];
    data.forEach(function (value, key) {
      if (key !== "csrf_token" && typeof value === "string") {
        parts.push(key + "=" + value);
      }
    });
    return parts.join("\n");
  }

  function dirty() {
    return snapshot(new FormData(form)) !== snapshot(saved);
  }

  form.addEventListener("submit", function () {
    submitting = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && dirty()) {
      event.preventDefault();
      event.returnValue = form.dataset.warnUnsaved;
      return form.dataset.warnUnsaved;
    }
    return undefined;
  });

  var url = form.dataset.autosave;
  if (!url || !window.fetch) {
    return;
  }
  var busy = false;
  function autosave() {
    var data = new FormData(form);
    var now = snapshot(data);
    if (busy || submitting || now === autosaved || !dirty()) {
      return;
    }
    busy = true;
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (answer) {
        autosaved = now;
        form.dataset.autosavedAt = answer.saved_at;
        if (status) {
          status.textContent = answer.message;
        }
      })
      .catch(function () {
        /* The next tick tries again; her text is still in the page. */
      })
      .then(function () {
        busy = false;
      });
  }
  window.setInterval(autosave, AUTOSAVE_EVERY_MS);
})();
