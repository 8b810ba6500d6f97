// Kelisim: small enhancements; every page works without this file.
(function () {
  "use strict";
  // The account form shows the district or school list only for the roles that need it.
  var role = document.getElementById("role");
  if (role) {
    var toggle = function () {
      ["district", "school"].forEach(function (name) {
        var el = document.getElementById(name);
        if (el && el.closest(".field")) {
          el.closest(".field").hidden = role.value !== name;
        }
      });
    };
    role.addEventListener("change", toggle);
    toggle();
  }
})();
