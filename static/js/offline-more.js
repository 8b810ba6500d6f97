// Kelisim outbox, the rarer moments (fetched by static/js/offline.js when one comes, kept by the service worker for
// offline use): the server's errors shown on a form, an outbox item reopened in its form, the offer of a draft, the
// sign-out panels, and the offer of a new version.
(function () {
  "use strict";

  var api = window.KelisimOutbox;
  var T = api.T;
  var el = api.el;

  function clearErrors(form) {
    form.querySelectorAll(".outbox-error").forEach(function (node) { node.remove(); });
    form.querySelectorAll(".has-error, .changed").forEach(function (node) { node.classList.remove("has-error", "changed"); });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) { node.removeAttribute("aria-invalid"); });
  }

  function fieldBox(form, name) {
    var input = form.querySelector("[name=\"" + CSS.escape(name) + "\"]");
    return input && input.type !== "hidden" ? [input, input.closest(".field")] : [input, null];
  }

  function note(input, box, name, text, cls) {
    var p = el("p", { class: cls + " outbox-error", id: name + "-" + cls.split(" ")[0] }, text);
    box.appendChild(p);
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(p.id) < 0) {
      described.push(p.id);
      input.setAttribute("aria-describedby", described.join(" "));
    }
  }

  // Shows the server's messages next to their fields, as the form macros do on a plain post; the fields a new
  // version of the form changed are marked too.
  function showErrors(form, errors, changed) {
    clearErrors(form);
    var general = [];
    Object.keys(errors || {}).forEach(function (name) {
      var found = name === "_form" ? [null, null] : fieldBox(form, name);
      if (!found[1]) {
        general = general.concat(errors[name]);
        return;
      }
      found[1].classList.add("has-error");
      found[0].setAttribute("aria-invalid", "true");
      note(found[0], found[1], name, errors[name].join(" "), "error");
    });
    (changed || []).forEach(function (name) {
      var found = fieldBox(form, name);
      if (found[1]) {
        found[1].classList.add("changed");
        note(found[0], found[1], name, T.fieldChanged, "changed-note");
      }
    });
    var summary = el("p", { class: "error summary outbox-error", role: "alert" }, T.fixFields);
    form.insertBefore(summary, form.firstChild);
    general.forEach(function (m) {
      form.insertBefore(el("p", { class: "error summary outbox-error" }, m), summary.nextSibling);
    });
  }

  function reopen(form) {
    var match = /#outbox=([\w-]+)/.exec(location.hash);
    if (!match) {
      return Promise.resolve(false);
    }
    return api.getItem(match[1]).then(function (item) {
      if (!item || item.kind !== form.dataset.offline || !api.visible(item)) {
        return false;
      }
      api.fill(form, item.fields.filter(function (pair) { return pair[0] !== "form_version"; }));
      form.dataset.outboxId = item.id;
      var input = api.uuidInput(form);
      if (input) {
        // A refused code gets a new one; otherwise the corrected form goes under its first code.
        input.value = item.errors && item.errors.client_uuid ? api.newUuid() : item.client_uuid;
      }
      if (item.errors || item.message) {
        showErrors(form, item.errors || { _form: [item.message] }, item.changed);
        api.banner(T.invalidKept, "warning");
      }
      return true;
    }).catch(function () { return false; });
  }

  function offerDraft(form, draft, state) {
    var box = el("div", { class: "notice draft-offer", role: "group", "aria-labelledby": "draft-offer-text" });
    var text = T.draftFound.replace("{date}", api.fmtDate(draft.saved, true));
    if (draft.version && form.dataset.formVersion && draft.version !== form.dataset.formVersion) {
      text += " " + T.draftOlder;
    }
    box.appendChild(el("p", { id: "draft-offer-text" }, text));
    var actions = el("p", { class: "actions" });
    var go = el("button", { type: "button", class: "primary" }, T.draftContinue);
    var drop = el("button", { type: "button", class: "link" }, T.draftDiscard);
    go.addEventListener("click", function () {
      state.offer = null;
      box.remove();
      api.fill(form, draft.fields);
      api.saveDraft(form);
    });
    drop.addEventListener("click", function () {
      state.offer = null;
      box.remove();
      api.drafts.remove(draft.id);
    });
    actions.appendChild(go);
    actions.appendChild(drop);
    box.appendChild(actions);
    form.parentNode.insertBefore(box, form);
    return box;
  }

  function panel(text) {
    var old = document.getElementById("logout-panel");
    if (old) {
      old.remove();
    }
    var box = el("div", { id: "logout-panel", class: "flash warning logout-panel", role: "alertdialog",
                          "aria-labelledby": "logout-panel-text" });
    box.appendChild(el("p", { id: "logout-panel-text" }, text));
    var buttons = el("p", { class: "actions" });
    box.appendChild(buttons);
    var main = document.getElementById("main") || document.body;
    main.insertBefore(box, main.firstChild);
    return { box: box, add: function (node) { buttons.appendChild(node); return node; } };
  }

  function offlinePanel() {
    var p = panel(T.logoutOffline);
    var later = p.add(el("button", { type: "button", class: "primary" }, T.logoutLater));
    var stay = p.add(el("button", { type: "button", class: "link" }, T.stay));
    later.addEventListener("click", function () {
      try {
        localStorage.setItem(api.LOGOUT_KEY, T.user);
      } catch (e) { /* private mode */ }
      p.box.querySelector("p").textContent = T.logoutPending;
      later.remove();
    });
    stay.addEventListener("click", function () { p.box.remove(); });
    later.focus();
  }

  function logoutPanel(count, leave, feedback) {
    var p = panel(T.unsent + " " + count + ". " + T.logoutWarning);
    if (feedback) {
      p.box.insertBefore(el("p", { class: "error", role: "alert" }, feedback), p.box.lastChild);
    }
    var send = p.add(el("button", { type: "button", class: "primary" }, T.sendFirst));
    var keepThem = p.add(el("button", { type: "button" }, T.keepAndLeave));
    var erase = p.add(el("button", { type: "button", class: "danger" }, T.eraseAndLeave));
    var stay = p.add(el("button", { type: "button", class: "link" }, T.stay));
    send.addEventListener("click", function () {
      send.disabled = true;
      send.textContent = T.sending;
      api.flush().then(function (result) {
        return api.items().then(function (items) {
          var mine = items.filter(api.own);
          if (!mine.length) {
            leave();
          } else {
            logoutPanel(mine.length, leave, result && result.offline ? T.sendFailedOffline : T.sendFailed);
          }
        });
      });
    });
    keepThem.addEventListener("click", leave);
    erase.addEventListener("click", function () {
      if (erase.dataset.armed) {
        // Only this account's forms: another account's wait for it.
        api.items().then(function (items) {
          return Promise.all(items.filter(api.own).map(function (i) { return api.deleteItem(i.id); }));
        }).then(leave);
      } else {
        erase.dataset.armed = "1";
        erase.textContent = T.eraseConfirm;
      }
    });
    stay.addEventListener("click", function () { p.box.remove(); });
    send.focus();
  }

  function offerUpdate(worker) {
    if (document.getElementById("update-banner")) {
      return;
    }
    var box = api.banner(T.updateReady, "info", [], "update-banner");
    var use = el("button", { type: "button", class: "primary" }, T.updateUse);
    use.addEventListener("click", function () {
      use.disabled = true;
      // Drafts are saved as they are typed; the outbox lives in IndexedDB: the new release finds both.
      navigator.serviceWorker.addEventListener("controllerchange", function () { location.reload(); });
      worker.postMessage({ type: "skip-waiting" });
    });
    box.appendChild(use);
  }
  api.more = { clearErrors: clearErrors, showErrors: showErrors, reopen: reopen, offerDraft: offerDraft,
               offlinePanel: offlinePanel, logoutPanel: logoutPanel, offerUpdate: offerUpdate };
})();
