// Kelisim outbox: every form[data-offline] on any page is sent with fetch; what cannot be sent now waits in
// IndexedDB on this phone and goes later, one item at a time, exactly once (client_uuid). Without this
// script the same forms are plain HTML posts. Texts come from #offline-strings (no inline scripts: CSP).
(function () {
  "use strict";

  var strings = document.getElementById("offline-strings");
  if (!strings || !window.fetch || !window.indexedDB || !window.Promise) {
    return;
  }
  var T = strings.dataset;
  var DB_NAME = "kelisim-outbox";
  var STORE = "items";
  var SYNC_TAG = "kelisim-outbox";
  var RETRY_FIRST = 15000;
  var RETRY_MAX = 5 * 60 * 1000;
  var FLASH_KEY = "kelisim-flash";
  var retryDelay = RETRY_FIRST;
  var retryTimer = null;
  var running = null;
  // Items this page is sending from their form right now: a flush started meanwhile leaves them alone.
  var inFlight = {};

  // ---- storage ------------------------------------------------------------------------------------------

  var dbPromise = null;

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: "id" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
      dbPromise.catch(function () { dbPromise = null; });
    }
    return dbPromise;
  }

  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function allItems() {
    return tx("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.created - b.created; });
    });
  }

  function getItem(id) { return tx("readonly", function (store) { return store.get(id); }); }
  function putItem(item) { item.updated = Date.now(); return tx("readwrite", function (store) { store.put(item); }); }
  function deleteItem(id) { return tx("readwrite", function (store) { store.delete(id); }); }
  function clearItems() { return tx("readwrite", function (store) { store.clear(); }); }

  function newUuid() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // ---- sending ------------------------------------------------------------------------------------------

  function fetchToken() {
    return fetch(T.tokenUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .catch(function () { return null; });
  }

  function formBody(item) {
    var body = new FormData();
    item.fields.forEach(function (pair) {
      if (pair[0] !== "client_uuid" && pair[0] !== "csrf_token") {
        body.append(pair[0], pair[1]);
      }
    });
    body.append("client_uuid", item.client_uuid);
    return body;
  }

  // Sends one item; resolves to {outcome, data}: sent, network, retry, login, invalid, conflict.
  function sendItem(item, token, retried) {
    item.state = "sending";
    return putItem(item).then(function () {
      render();
      return fetch(item.action, {
        method: "POST", body: formBody(item), credentials: "same-origin", redirect: "manual", cache: "no-store",
        headers: { "X-Kelisim-Outbox": "1", "X-CSRFToken": token.csrf_token, Accept: "application/json",
                   "X-Kelisim-Owner": encodeURIComponent(item.owner || "") }
      });
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        return settle(item, response, data || {}, token, retried);
      });
    }, function () {
      item.state = "waiting";
      return putItem(item).then(function () { return { outcome: "network" }; });
    });
  }

  function settle(item, response, data, token, retried) {
    var status = response.status;
    if (response.ok && (data.status === "created" || data.status === "duplicate")) {
      return deleteItem(item.id).then(function () { return { outcome: "sent", data: data }; });
    }
    if (status === 400 && data.error === 400 && !retried) {  // the CSRF token expired: once more, fresh
      return fetchToken().then(function (fresh) {
        return fresh ? sendItem(item, fresh, true) : keep(item, "waiting", "retry");
      });
    }
    if (response.type === "opaqueredirect" || status === 401) {
      return keep(item, "needs_login", "login");
    }
    if (status === 400 && data.status === "invalid") {
      item.errors = data.errors || {};
      return keep(item, "needs_correction", "invalid");
    }
    if (status === 409) {
      item.message = data.message || T.conflict;
      return keep(item, "conflict", "conflict");
    }
    if (status >= 400 && status < 500 && status !== 408 && status !== 429 && status !== 400) {
      item.errors = { _form: [data.message || String(status)] };
      return keep(item, "needs_correction", "invalid");
    }
    return keep(item, "waiting", "retry");
  }

  function keep(item, state, outcome) {
    item.state = state;
    item.attempts = (item.attempts || 0) + 1;
    return putItem(item).then(function () { return { outcome: outcome }; });
  }

  function withLock(work) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("kelisim-outbox", { ifAvailable: true }, function (lock) {
        return lock ? work() : null;
      });
    }
    return work();
  }

  // Sends what waits, oldest first, one at a time; stops at the first network failure.
  function flush() {
    if (running) {
      return running;
    }
    running = withLock(function () {
      return allItems().then(function (items) {
        var queue = items.filter(function (i) {
          return !inFlight[i.id] && (i.state === "waiting" || i.state === "sending" || i.state === "needs_login");
        });
        if (!queue.length) {
          return { sent: 0, left: items.length };
        }
        return fetchToken().then(function (token) {
          if (!token) {
            queue.forEach(function (i) { if (i.state === "sending") { i.state = "waiting"; putItem(i); } });
            return { offline: true };
          }
          var sent = 0;
          var step = function (index) {
            if (index >= queue.length) {
              return { sent: sent };
            }
            // Sent even when nobody is signed in: a public form goes, the others answer 401 and wait.
            return sendItem(queue[index], token).then(function (result) {
              if (result.outcome === "sent") {
                sent += 1;
              }
              if (result.outcome === "network" || result.outcome === "retry") {
                return { sent: sent, offline: result.outcome === "network", retry: true };
              }
              return step(index + 1);
            });
          };
          return step(0);
        });
      });
    }).then(function (result) {
      result = result || {};
      return allItems().then(function (items) {
        var waiting = items.some(function (i) { return i.state === "waiting" || i.state === "sending"; });
        var forLogin = items.some(function (i) { return i.state === "needs_login"; });
        if (forLogin && !T.user && !document.getElementById("outbox-banner")) {
          // Signed out with forms waiting for this account: say so, on the login page too.
          var onLogin = location.pathname === new URL(T.loginUrl, location.href).pathname;
          banner(T.needsLogin, "warning", onLogin ? [] : [[loginLink(), T.signIn]]);
        }
        if (waiting && (result.offline || result.retry)) {
          scheduleRetry();
        } else {
          retryDelay = RETRY_FIRST;
        }
        render();
        return result;
      });
    }).catch(function () {
      scheduleRetry();
      return { offline: true };
    }).then(function (result) {
      running = null;
      return result;
    });
    return running;
  }

  function scheduleRetry() {
    if (retryTimer) {
      return;
    }
    retryTimer = setTimeout(function () {
      retryTimer = null;
      retryDelay = Math.min(retryDelay * 2, RETRY_MAX);
      flush();
    }, retryDelay);
  }

  function askForSync() {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.ready.then(function (reg) {
        return reg.sync && reg.sync.register(SYNC_TAG);
      }).catch(function () { return null; });
    }
  }

  // ---- the page: banner, indicator, outbox list ---------------------------------------------------------

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function banner(message, kind, links) {
    var main = document.getElementById("main") || document.body;
    var old = document.getElementById("outbox-banner");
    if (old) {
      old.remove();
    }
    var box = el("div", { id: "outbox-banner", class: "flash outbox-banner " + (kind || "info"), role: "status" });
    box.appendChild(el("p", {}, message));
    (links || []).forEach(function (link) {
      var a = el("a", { href: link[0] }, link[1]);
      box.appendChild(a);
      box.appendChild(document.createTextNode(" "));
    });
    main.insertBefore(box, main.firstChild);
    box.scrollIntoView({ block: "nearest" });
    return box;
  }

  function loginLink() {
    return T.loginUrl + "?next=" + encodeURIComponent(location.pathname + location.search);
  }

  function stateLabel(state) {
    // data-state-needs_login is read as dataset.stateNeeds_login.
    return T["state" + state.charAt(0).toUpperCase() + state.slice(1)] || state;
  }

  function render() {
    return allItems().then(function (items) {
      var link = document.getElementById("outbox-link");
      var count = document.getElementById("outbox-count");
      if (link && count) {
        link.hidden = items.length === 0;
        count.textContent = items.length ? "(" + items.length + ")" : "";
      }
      renderOutbox(items);
    }).catch(function () { return null; });
  }

  function renderOutbox(items) {
    var list = document.getElementById("outbox-items");
    if (!list) {
      return;
    }
    var button = document.getElementById("outbox-send");
    button.disabled = items.length === 0;
    list.textContent = "";
    var status = document.getElementById("outbox-status");
    if (!items.length) {
      status.textContent = T.empty;
    }
    items.forEach(function (item) {
      var li = el("li", { class: "outbox-item state-" + item.state, "data-state": item.state });
      li.appendChild(el("strong", {}, item.title || item.kind));
      li.appendChild(el("span", { class: "tag" }, stateLabel(item.state)));
      var when = new Date(item.created).toLocaleString(document.documentElement.lang || undefined);
      li.appendChild(el("span", { class: "muted" }, T.savedAt + " " + when));
      var messages = [];
      Object.keys(item.errors || {}).forEach(function (k) { messages = messages.concat(item.errors[k]); });
      if (item.state === "conflict" && item.message) {
        messages.push(item.message);
      }
      messages.forEach(function (m) { li.appendChild(el("p", { class: "error" }, m)); });
      var actions = el("p", { class: "actions" });
      if (item.state === "needs_correction") {
        actions.appendChild(el("a", { href: item.page + "#outbox=" + item.id, class: "button" }, T.correct));
      }
      if (item.state === "needs_login") {
        actions.appendChild(el("a", { href: T.loginUrl + "?next=" + encodeURIComponent(T.outboxUrl), class: "button" },
                               T.signIn));
      }
      if (item.state === "conflict") {
        var again = el("button", { type: "button" }, T.sendAsNew);
        again.addEventListener("click", function () {
          item.client_uuid = newUuid();
          item.state = "waiting";
          item.message = "";
          putItem(item).then(flush);
        });
        actions.appendChild(again);
      }
      var drop = el("button", { type: "button", class: "link" }, T.delete);
      drop.addEventListener("click", function () {
        if (window.confirm(T.deleteConfirm)) {
          deleteItem(item.id).then(render);
        }
      });
      actions.appendChild(drop);
      li.appendChild(actions);
      list.appendChild(li);
    });
  }

  function setupOutboxPage() {
    var button = document.getElementById("outbox-send");
    if (!button) {
      return;
    }
    button.addEventListener("click", function () {
      var status = document.getElementById("outbox-status");
      status.textContent = T.sending;
      allItems().then(function (items) {
        // "Send now" also tries again what waits for a login (the user may have signed in elsewhere).
        return Promise.all(items.filter(function (i) { return i.state === "needs_login"; }).map(function (i) {
          i.state = "waiting";
          return putItem(i);
        }));
      }).then(flush).then(function (result) {
        return allItems().then(function (items) {
          status.textContent = !items.length ? T.allSent : (result && result.offline ? T.noConnection : "");
        });
      });
    });
  }

  // ---- forms --------------------------------------------------------------------------------------------

  function fieldsOf(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrf_token") {
        pairs.push([name, value]);
      }
    });
    return pairs;
  }

  function fill(form, pairs) {
    Array.prototype.forEach.call(form.elements, function (input) {
      if (input.type === "checkbox" || input.type === "radio") {
        input.checked = false;
      }
    });
    pairs.forEach(function (pair) {
      var inputs = form.querySelectorAll("[name=\"" + CSS.escape(pair[0]) + "\"]");
      Array.prototype.forEach.call(inputs, function (input) {
        if (input.type === "checkbox" || input.type === "radio") {
          if (input.value === pair[1]) {
            input.checked = true;
          }
        } else if (input.type !== "file" && pair[0] !== "csrf_token") {
          input.value = pair[1];
        }
      });
    });
  }

  function clearErrors(form) {
    form.querySelectorAll(".outbox-error").forEach(function (node) { node.remove(); });
    form.querySelectorAll(".has-error").forEach(function (node) { node.classList.remove("has-error"); });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) { node.removeAttribute("aria-invalid"); });
  }

  // Shows the server's messages next to their fields, as the form macros do on a plain post.
  function showErrors(form, errors) {
    clearErrors(form);
    var general = [];
    Object.keys(errors || {}).forEach(function (name) {
      var input = name === "_form" ? null : form.querySelector("[name=\"" + CSS.escape(name) + "\"]");
      var box = input && input.type !== "hidden" ? input.closest(".field") : null;
      if (!box) {
        general = general.concat(errors[name]);
        return;
      }
      box.classList.add("has-error");
      input.setAttribute("aria-invalid", "true");
      var p = el("p", { class: "error outbox-error", id: name + "-error" }, errors[name].join(" "));
      box.appendChild(p);
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(p.id) < 0) {
        described.push(p.id);
        input.setAttribute("aria-describedby", described.join(" "));
      }
    });
    var summary = el("p", { class: "error summary outbox-error", role: "alert" }, T.fixFields);
    form.insertBefore(summary, form.firstChild);
    general.forEach(function (m) {
      form.insertBefore(el("p", { class: "error summary outbox-error" }, m), summary.nextSibling);
    });
  }

  function uuidInput(form) {
    return form.querySelector("input[name=\"client_uuid\"]");
  }

  function buildItem(form, previous) {
    var now = Date.now();
    var h1 = document.querySelector("main h1");
    var input = uuidInput(form);
    var item = previous || { id: newUuid(), created: now, attempts: 0 };
    item.kind = form.dataset.offline;
    item.title = (h1 && h1.textContent.trim()) || document.title;
    item.action = new URL(form.getAttribute("action") || location.pathname, location.href).href.split("#")[0];
    item.page = location.pathname + location.search;
    item.owner = T.user || "";
    item.fields = fieldsOf(form);
    item.client_uuid = (input && input.value) || newUuid();
    item.state = "waiting";
    item.errors = null;
    item.message = "";
    return item;
  }

  function afterQueued(form) {
    // The phone keeps this one; the form is ready for the next with a new code.
    form.reset();
    delete form.dataset.outboxId;
    var input = uuidInput(form);
    if (input) {
      input.value = newUuid();
    }
  }

  function submitHandler(event) {
    var form = event.currentTarget;
    event.preventDefault();
    if (form.dataset.busy) {
      return;
    }
    form.dataset.busy = "1";
    var button = form.querySelector("[type=submit]");
    if (button) {
      button.disabled = true;
    }
    var done = function () {
      delete form.dataset.busy;
      if (button) {
        button.disabled = false;
      }
    };
    var previous = form.dataset.outboxId ? getItem(form.dataset.outboxId) : Promise.resolve(null);
    var item;
    previous.then(function (old) {
      item = buildItem(form, old || null);
      inFlight[item.id] = true;
      return putItem(item);
    }).then(function () {
      form.dataset.outboxId = item.id;
      askForSync();
      render();
      return sendNow(form, item);
    }, function () {
      // No storage on this phone (private mode): a plain post, as without JavaScript.
      form.removeEventListener("submit", submitHandler);
      HTMLFormElement.prototype.submit.call(form);
    }).then(done, done).then(function () {
      if (item) {
        delete inFlight[item.id];
      }
    });
  }

  function sendNow(form, item) {
    return fetchToken().then(function (token) {
      return token ? sendItem(item, token) : { outcome: "network" };
    }).then(function (result) {
      var outbox = [T.outboxUrl, T.openOutbox];
      if (result.outcome === "sent") {
        try {
          sessionStorage.setItem(FLASH_KEY, result.data.message || "");
        } catch (e) { /* private mode */ }
        location.assign(result.data.redirect || location.href);
        return;
      }
      if (result.outcome === "invalid") {
        showErrors(form, item.errors);
        banner(T.invalid, "warning", [outbox]);
      } else if (result.outcome === "login") {
        banner(T.needsLogin, "warning", [[loginLink(), T.signIn], outbox]);
        afterQueued(form);
      } else if (result.outcome === "conflict") {
        banner(item.message || T.conflict, "warning", [outbox]);
        afterQueued(form);
      } else {
        banner(result.outcome === "network" ? T.saved : T.error, "warning", [outbox]);
        clearErrors(form);
        afterQueued(form);
        scheduleRetry();
      }
      render();
    });
  }

  function reopen(form) {
    var match = /#outbox=([\w-]+)/.exec(location.hash);
    if (!match) {
      return Promise.resolve();
    }
    return getItem(match[1]).then(function (item) {
      if (!item || item.kind !== form.dataset.offline) {
        return;
      }
      fill(form, item.fields);
      form.dataset.outboxId = item.id;
      var input = uuidInput(form);
      if (input) {
        // A refused code gets a new one; otherwise the corrected form goes under its first code.
        input.value = item.errors && item.errors.client_uuid ? newUuid() : item.client_uuid;
      }
      if (item.errors) {
        showErrors(form, item.errors);
        banner(T.invalid, "warning");
      }
    }).catch(function () { return null; });
  }

  function enhanceForms() {
    var forms = document.querySelectorAll("form[data-offline]");
    Array.prototype.forEach.call(forms, function (form) {
      // A page may come from the service worker's cache: every opening gets its own submission code.
      var input = uuidInput(form);
      var plainPostWithErrors = form.querySelector(".error") !== null;
      if (input && !plainPostWithErrors) {
        input.value = newUuid();
      }
      form.addEventListener("submit", submitHandler);
      reopen(form);
    });
    return forms.length > 0;
  }

  // ---- sign-out with unsent forms -----------------------------------------------------------------------

  function clearPages() {
    if (!window.caches) {
      return Promise.resolve();
    }
    return caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("kelisim-pages-") === 0; })
        .map(function (k) { return caches.delete(k); }));
    }).catch(function () { return null; });
  }

  function setupLogout() {
    var form = document.getElementById("logout-form");
    if (!form) {
      return;
    }
    var leave = function () {
      // Pages kept for offline use carry this account's name: they go with the session.
      clearPages().then(function () { HTMLFormElement.prototype.submit.call(form); });
    };
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      allItems().then(function (items) {
        if (!items.length) {
          leave();
        } else {
          logoutPanel(items.length, leave);
        }
      }, leave);
    });
  }

  function logoutPanel(count, leave) {
    var old = document.getElementById("logout-panel");
    if (old) {
      old.remove();
    }
    var panel = el("div", { id: "logout-panel", class: "flash warning logout-panel", role: "alertdialog",
                            "aria-labelledby": "logout-panel-text" });
    panel.appendChild(el("p", { id: "logout-panel-text" }, T.unsent + " " + count + ". " + T.logoutWarning));
    var buttons = el("p", { class: "actions" });
    var send = el("button", { type: "button", class: "primary" }, T.sendFirst);
    var keepThem = el("button", { type: "button" }, T.keepAndLeave);
    var erase = el("button", { type: "button", class: "danger" }, T.eraseAndLeave);
    var stay = el("button", { type: "button", class: "link" }, T.stay);
    send.addEventListener("click", function () {
      send.disabled = true;
      flush().then(allItems).then(function (items) {
        if (!items.length) {
          leave();
        } else {
          logoutPanel(items.length, leave);
        }
      });
    });
    keepThem.addEventListener("click", leave);
    erase.addEventListener("click", function () {
      if (erase.dataset.armed) {
        clearItems().then(leave);
      } else {
        erase.dataset.armed = "1";
        erase.textContent = T.eraseConfirm;
      }
    });
    stay.addEventListener("click", function () { panel.remove(); });
    [send, keepThem, erase, stay].forEach(function (b) { buttons.appendChild(b); });
    panel.appendChild(buttons);
    var main = document.getElementById("main") || document.body;
    main.insertBefore(panel, main.firstChild);
    send.focus();
  }

  // ---- the offline page lists the pages kept on this phone ----------------------------------------------

  function listKeptPages() {
    var list = document.getElementById("offline-pages");
    if (!list || !window.caches) {
      return;
    }
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("kelisim-pages-") === 0; }).map(function (k) {
        return caches.open(k).then(function (cache) { return cache.keys(); });
      }));
    }).then(function (groups) {
      [].concat.apply([], groups).forEach(function (request) {
        var url = new URL(request.url);
        var li = el("li");
        li.appendChild(el("a", { href: url.pathname + url.search }, url.pathname));
        list.appendChild(li);
      });
    }).catch(function () { return null; });
  }

  // ---- start --------------------------------------------------------------------------------------------

  function showFlash() {
    try {
      var message = sessionStorage.getItem(FLASH_KEY);
      if (message !== null) {
        sessionStorage.removeItem(FLASH_KEY);
        if (message) {
          banner(message, "success");
        }
      }
    } catch (e) { /* private mode */ }
  }

  function registerWorker(hasForms) {
    if (!("serviceWorker" in navigator)) {
      return;
    }
    navigator.serviceWorker.register(T.swUrl, { scope: "/" }).catch(function () { return null; });
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "kelisim-flush") {
        flush();
      }
    });
    if (hasForms) {
      // Opened before the worker controlled this page: ask it to keep the page for offline use.
      navigator.serviceWorker.ready.then(function (reg) {
        if (!navigator.serviceWorker.controller && reg.active) {
          reg.active.postMessage({ type: "cache-page", url: location.href.split("#")[0] });
        }
      });
    }
  }

  function start() {
    showFlash();
    var hasForms = enhanceForms();
    setupLogout();
    setupOutboxPage();
    listKeptPages();
    registerWorker(hasForms);
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persisted().then(function (done) {
        return done || navigator.storage.persist();
      }).catch(function () { return null; });
    }
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {  // back from the history cache: the form gets a new code as on any opening
        Array.prototype.forEach.call(document.querySelectorAll("form[data-offline]"), function (form) {
          var input = uuidInput(form);
          if (input && !form.dataset.outboxId) {
            input.value = newUuid();
          }
        });
      }
    });
    window.addEventListener("online", function () {
      retryDelay = RETRY_FIRST;
      flush();
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        flush();
      }
    });
    render();
    flush();
  }

  // The pieces tests and other scripts may use.
  window.KelisimOutbox = { flush: flush, items: allItems };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
