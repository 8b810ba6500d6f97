// Kelisim training: the registration form fills the schools of the chosen district, and a day's roster
// filters as you type and ticks without reloading. Every page works without this file.
(function () {
  "use strict";

  // ---- registration: schools of the chosen district -----------------------------------------------------

  var district = document.getElementById("district");
  var school = document.getElementById("school");
  if (district && school && school.dataset.schoolsUrl) {
    var embedded = school.dataset.schools ? JSON.parse(school.dataset.schools) : null;
    var button = document.getElementById("show_schools");
    var fill = function (rows) {
      var keep = school.value;
      school.options.length = 0;
      school.add(new Option(school.dataset.empty, "0"));
      rows.forEach(function (row) { school.add(new Option(row[1], String(row[0]))); });
      school.value = rows.some(function (row) { return String(row[0]) === keep; }) ? keep : "0";
    };
    var load = function () {
      var id = district.value;
      if (embedded) {
        fill(embedded[id] || []);
        return;
      }
      fetch(school.dataset.schoolsUrl + "?district=" + encodeURIComponent(id), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) { fill(data.schools); })
        .catch(function () {
          // No connection: the plain "show the schools" button does the job.
          if (button) { button.closest(".field").hidden = false; }
        });
    };
    if (button) { button.closest(".field").hidden = true; }
    district.addEventListener("change", load);
  }

  // ---- a day's roster: search as you type, tick and undo in place ------------------------------------------

  var roster = document.getElementById("roster");
  var search = document.getElementById("roster-q");
  var count = document.getElementById("roster-count");
  if (!roster) {
    return;
  }
  // As services.training.name_key: Kazakh letters folded, so a Russian keyboard finds "Нұрланова" too.
  var FOLD = { "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и", "ё": "е" };
  var normalise = function (text) {
    return text.toLowerCase().replace(/[әғқңөұүһіё]/g, function (c) { return FOLD[c]; })
      .replace(/[^\p{L}\s]/gu, " ").replace(/\s+/g, " ").trim();
  };
  var filter = function () {
    var needle = normalise(search.value);
    Array.prototype.forEach.call(roster.tBodies[0].rows, function (row) {
      if (row.dataset.search !== undefined) {
        row.hidden = needle !== "" && row.dataset.search.indexOf(needle) === -1;
      }
    });
  };
  if (search) {
    search.addEventListener("input", filter);
    search.form.addEventListener("submit", function (event) { event.preventDefault(); filter(); });
  }
  var message = document.getElementById("roster-message");
  roster.addEventListener("submit", function (event) {
    var form = event.target;
    var row = form.closest("tr");
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) { button.disabled = true; }
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) {
          if (data.html) {
            row.outerHTML = data.html;
          }
          if (message) {
            message.textContent = data.message || "";
            message.hidden = !data.message;
          }
          if (count && data.count) {
            count.textContent = data.count;
          }
          filter();
        });
      })
      .catch(function () {
        // No connection or an unexpected answer: the plain post shows what happened.
        HTMLFormElement.prototype.submit.call(form);
      });
  });
})();
