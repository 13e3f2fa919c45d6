// Booking pages: the month of free days updates in place, follows the arrow keys, shows the
// visitor's own zone without reloading, and a reservation is sent only once.
// Without JavaScript every day and month is a plain link and the zone list has its button.
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
  var select = form ? form.querySelector("select[name=tz]") : null;
  var picker = document.querySelector("[data-picker]");
  var fragmentUrl = picker ? picker.getAttribute("data-fragment-url") : null;

  // Arrow keys move between free days (roving tabindex); Enter follows the focused link.
  var STEPS = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };

  function dayLinks() {
    var current = document.querySelector("[data-picker]");
    return current ? current.querySelectorAll("[data-month-grid] a[data-day]") : [];
  }

  function setUpGrid() {
    var links = dayLinks();
    if (!links.length) {
      return;
    }
    var chosen = null;
    links.forEach(function (link) {
      link.tabIndex = -1;
      if (link.getAttribute("aria-current")) {
        chosen = link;
      }
    });
    (chosen || links[0]).tabIndex = 0;
  }

  function moveFrom(link, step) {
    var byDay = {};
    var days = [];
    dayLinks().forEach(function (each) {
      byDay[each.getAttribute("data-day")] = each;
      days.push(each.getAttribute("data-day"));
    });
    var moment = new Date(link.getAttribute("data-day") + "T12:00:00Z");
    var first = days[0];
    var last = days[days.length - 1];
    for (var tries = 0; tries < 62; tries += 1) {
      moment.setUTCDate(moment.getUTCDate() + step);
      var key = moment.toISOString().slice(0, 10);
      if (key < first || key > last) {
        return null;
      }
      if (byDay[key]) {
        return byDay[key];
      }
    }
    return null;
  }

  document.addEventListener("keydown", function (event) {
    var link = event.target;
    if (!link.matches || !link.matches("[data-month-grid] a[data-day]")) {
      return;
    }
    var step = STEPS[event.key];
    if (!step) {
      return;
    }
    event.preventDefault();
    var next = moveFrom(link, step);
    if (next) {
      link.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    }
  });

  setUpGrid();

  // The zone list is long: typing a city, a country or a zone name narrows it.
  var search = form ? form.querySelector("[data-zone-search]") : null;
  if (search && select) {
    var field = search.querySelector("input");
    search.hidden = false;
    field.addEventListener("input", function () {
      var words = field.value.toLowerCase().split(/\s+/).filter(Boolean);
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var text = (option.textContent + " " + option.value).toLowerCase();
        var match = words.every(function (word) {
          return text.indexOf(word) !== -1;
        });
        option.hidden = !match;
        if (match && !first) {
          first = option;
        }
      });
      if (first && select.selectedOptions[0] && select.selectedOptions[0].hidden) {
        select.value = first.value;
        select.dispatchEvent(new Event("change"));
      }
    });
  }

  if (!picker || !fragmentUrl) {
    if (select && form) {
      // Choosing a zone shows the times at once; the button stays for keyboards and no-JS.
      select.addEventListener("change", function () {
        form.submit();
      });
    }
    return;
  }

  // The server answers the picker alone; it replaces the one on the page, and the address
  // follows so that reloading or sharing shows the same day.
  function show(params, focusSelector) {
    var query = params.toString();
    return window
      .fetch(fragmentUrl + "?" + query, { headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("fragment " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var current = document.querySelector("[data-picker]");
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("[data-picker]");
        current.parentNode.replaceChild(fresh, current);
        window.history.replaceState(null, "", window.location.pathname + "?" + query);
        var day = params.get("day");
        var hidden = form ? form.querySelector("input[name=day]") : null;
        if (hidden && day) {
          hidden.value = day;
        }
        setUpGrid();
        var target = focusSelector && document.querySelector(focusSelector);
        if (target) {
          target.focus({ preventScroll: true });
          var box = target.getBoundingClientRect();
          if (box.top < 0 || box.bottom > window.innerHeight) {
            target.scrollIntoView({ block: "start" });
          }
        }
      });
  }

  function paramsOf(href) {
    return new URL(href, window.location.href).searchParams;
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) {
      return;
    }
    var link =
      event.target.closest &&
      event.target.closest("[data-picker] a[data-day], [data-picker] a[data-month-link]");
    if (!link) {
      return;
    }
    event.preventDefault();
    var focus = link.hasAttribute("data-day") ? "#slots-heading" : "#month-heading";
    show(paramsOf(link.href), focus).catch(function () {
      window.location.assign(link.href);
    });
  });

  function zoneParams(zone) {
    var params = new URLSearchParams(window.location.search);
    params.set("tz", zone);
    return params;
  }

  if (select) {
    select.addEventListener("change", function () {
      form.setAttribute("data-current-zone", select.value);
      var stale = form.querySelector("[data-unknown-zone]");
      if (stale) {
        stale.parentNode.removeChild(stale);
      }
      show(zoneParams(select.value), null).catch(function () {
        form.submit();
      });
    });
  }

  // First visit without a chosen zone: show the browser's, without reloading the page.
  var asked = new URLSearchParams(window.location.search);
  if (!asked.has("tz") && select && form) {
    var detected = "";
    try {
      detected = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      detected = "";
    }
    var listed = Array.prototype.some.call(select.options, function (option) {
      return option.value === detected;
    });
    if (detected && listed && detected !== form.getAttribute("data-current-zone")) {
      select.value = detected;
      form.setAttribute("data-current-zone", detected);
      show(zoneParams(detected), null).catch(function () {
        form.submit();
      });
    }
  }
})();
