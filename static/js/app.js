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

  // A table wider than the screen scrolls sideways inside its frame: the frame then takes the keyboard focus,
  // so that it scrolls without a mouse or a touch too (WCAG 2.1.1), named after the table's caption if it has one.
  var frames = document.querySelectorAll(".table-wrap");
  var reachable = function () {
    Array.prototype.forEach.call(frames, function (frame) {
      if (frame.scrollWidth > frame.clientWidth) {
        frame.tabIndex = 0;
        var caption = frame.querySelector("caption");
        if (caption && !frame.hasAttribute("aria-label")) {
          frame.setAttribute("role", "region");
          frame.setAttribute("aria-label", caption.textContent.trim());
        }
      } else {
        frame.removeAttribute("tabindex");
      }
    });
  };
  if (frames.length) {
    reachable();
    window.addEventListener("resize", reachable);
  }
})();
