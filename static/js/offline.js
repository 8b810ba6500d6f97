// Kelisim outbox: every form[data-offline] on any page is sent with fetch; what cannot be sent now waits in
// IndexedDB on this device and goes later, one item at a time, exactly once (client_uuid). Every form[data-offline]
// or form[data-draft] keeps what is typed as a draft on this device until it is sent. Without this script the same
// forms are plain HTML posts. Texts come from #offline-strings (no inline scripts: CSP); static/js/outbox.js adds
// the outbox page (the list, saving to a file, importing) through window.KelisimOutbox.
(function () {
  "use strict";

  var strings = document.getElementById("offline-strings");
  if (!strings || !window.fetch || !window.indexedDB || !window.Promise) {
    return;
  }
  var T = strings.dataset;
  var USER_KEY = "kelisim-user";
  try {
    // A page of the app shell (kept for offline use, made with nobody signed in) stands for the account that was
    // signed in last on this device; a page from the server says who is signed in now.
    if (T.shell) {
      T.user = localStorage.getItem(USER_KEY) || "";
    } else if (T.user) {
      localStorage.setItem(USER_KEY, T.user);
    } else {
      localStorage.removeItem(USER_KEY);
    }
  } catch (e) { /* private mode */ }
  var SYNC_TAG = "kelisim-outbox";
  var RETRY_FIRST = 15000;
  var RETRY_MAX = 5 * 60 * 1000;
  var FLASH_KEY = "kelisim-flash";
  var LOGOUT_KEY = "kelisim-logout-pending";
  var DRAFT_SENT_KEY = "kelisim-draft-sent";
  var DAY = 24 * 3600 * 1000;
  var retryDelay = RETRY_FIRST;
  var retryTimer = null;
  var running = null;
  // Items this page is sending from their form right now: a flush started meanwhile leaves them alone, and the
  // header does not count them (a form sent online is not "waiting").
  var inFlight = {};
  var api = window.KelisimOutbox = { T: T };

  // ---- storage: the outbox and the drafts, each its own database (one never waits for the other's upgrade) -------

  function store(name, storeName) {
    var promise = null;
    var open = function () {
      if (!promise) {
        promise = new Promise(function (resolve, reject) {
          var request = indexedDB.open(name, 1);
          request.onupgradeneeded = function () { request.result.createObjectStore(storeName, { keyPath: "id" }); };
          request.onsuccess = function () { resolve(request.result); };
          request.onerror = function () { reject(request.error); };
        });
        promise.catch(function () { promise = null; });
      }
      return promise;
    };
    var tx = function (mode, work) {
      return open().then(function (db) {
        return new Promise(function (resolve, reject) {
          var t = db.transaction(storeName, mode);
          var result = work(t.objectStore(storeName));
          t.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
          t.onerror = function () { reject(t.error); };
          t.onabort = function () { reject(t.error); };
        });
      });
    };
    return {
      all: function () {
        return tx("readonly", function (s) { return s.getAll(); }).then(function (rows) {
          return (rows || []).sort(function (a, b) { return (a.created || 0) - (b.created || 0); });
        });
      },
      get: function (id) { return tx("readonly", function (s) { return s.get(id); }); },
      put: function (row) { return tx("readwrite", function (s) { s.put(row); }); },
      remove: function (id) { return tx("readwrite", function (s) { s.delete(id); }); }
    };
  }

  var outbox = store("kelisim-outbox", "items");
  var drafts = store("kelisim-drafts", "drafts");

  function allItems() { return outbox.all(); }
  function getItem(id) { return outbox.get(id); }
  function putItem(item) { item.updated = Date.now(); return outbox.put(item); }
  function deleteItem(id) { return outbox.remove(id); }

  // On a shared phone each account sees its own items and those filled in with nobody signed in; another
  // account's items are only counted, never opened, sent or deleted from here.
  function visible(item) { return !item.owner || item.owner === T.user; }
  function own(item) { return !!T.user && item.owner === T.user; }

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

  // ---- dates in the reader's format (dd.MM.yyyy in Kazakh and Russian, as the server writes them) -------------

  function parseDay(text) {
    var m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(text || "");
    return m ? new Date(+m[1], +m[2] - 1, +m[3]) : null;
  }

  function fmtDate(value, withTime) {
    var d = value instanceof Date ? value : new Date(value);
    if (isNaN(d.getTime())) {
      return "";
    }
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var text = T.lang === "en" ? d.getDate() + " " + d.toLocaleString("en", { month: "short" }) + " " + d.getFullYear()
      : pad(d.getDate()) + "." + pad(d.getMonth() + 1) + "." + d.getFullYear();
    return withTime ? text + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) : text;
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

  // Sends one item; resolves to {outcome, data}: sent, network, retry, login, invalid, conflict, refused.
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

  // A release renamed fields since the item was queued: its values move to the new names.
  function carryOver(item, data) {
    var renamed = data.renamed || {};
    item.fields = item.fields.map(function (pair) { return renamed[pair[0]] ? [renamed[pair[0]], pair[1]] : pair; });
    item.changed = data.changed || null;
  }

  function settle(item, response, data, token, retried) {
    var status = response.status;
    item.message = "";
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
      carryOver(item, data);
      return keep(item, "needs_correction", "invalid");
    }
    if (status === 409) {
      item.message = data.message || T.conflict;
      return keep(item, "conflict", "conflict");
    }
    if (status === 423 || data.status === "closed") {  // a closed quarter: stays until the user acts
      item.message = data.message || "";
      item.errors = data.field ? {} : null;
      if (data.field) {
        item.errors[data.field] = [item.message];  // shown beside its field (the date) when reopened
      }
      return keep(item, "refused", "refused");
    }
    if (status >= 400 && status < 500 && status !== 408 && status !== 429 && status !== 400) {
      item.errors = { _form: [data.message || String(status)] };
      return keep(item, "needs_correction", "invalid");
    }
    item.message = data.message || "";
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

  function sendable(item) {
    return visible(item) && !inFlight[item.id] &&
      (item.state === "waiting" || item.state === "sending" || item.state === "needs_login");
  }

  // Sends what waits, oldest first, one at a time; stops at the first network failure.
  function flush() {
    if (running) {
      return running;
    }
    running = withLock(function () {
      return allItems().then(function (items) {
        var queue = items.filter(sendable);
        if (!queue.length) {
          return { sent: 0 };
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
        var mine = items.filter(visible);
        var waiting = mine.some(function (i) { return i.state === "waiting" || i.state === "sending"; });
        var forLogin = items.some(function (i) { return i.state === "needs_login" || (i.owner && !T.user); });
        if (forLogin && !T.user && !document.getElementById("outbox-banner")) {
          // Signed out with forms waiting for an account: say so, on the login page too.
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

  // ---- the page: banner, header indicator ---------------------------------------------------------------

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function banner(message, kind, links, id) {
    var main = document.getElementById("main") || document.body;
    var old = document.getElementById(id || "outbox-banner");
    if (old) {
      old.remove();
    }
    var box = el("div", { id: id || "outbox-banner", class: "flash outbox-banner " + (kind || "info"), role: "status" });
    box.appendChild(el("p", {}, message));
    (links || []).forEach(function (link) {
      box.appendChild(el("a", { href: link[0] }, link[1]));
      box.appendChild(document.createTextNode(" "));
    });
    main.insertBefore(box, main.firstChild);
    box.scrollIntoView({ block: "nearest" });
    return box;
  }

  // The rarer moments (a form's errors, a reopened item, a draft's offer, the sign-out panels, a new version) live in
  // static/js/offline-more.js, fetched when one comes: every page carries less.
  var more = null;

  function extra() {
    if (!more) {
      more = new Promise(function (resolve, reject) {
        var script = el("script", { src: T.moreUrl });
        script.onload = function () { resolve(api.more); };
        script.onerror = function () {
          more = null;
          reject(new Error("offline-more.js"));
        };
        document.head.appendChild(script);
      });
    }
    return more;
  }

  function loginLink() {
    return T.loginUrl + "?next=" + encodeURIComponent(location.pathname + location.search);
  }

  function onOutboxPage() {
    return location.pathname === new URL(T.outboxUrl, location.href).pathname;
  }

  function render() {
    return allItems().then(function (items) {
      var mine = items.filter(function (i) { return visible(i) && !inFlight[i.id]; });
      var link = document.getElementById("outbox-link");
      var count = document.getElementById("outbox-count");
      if (link && count) {
        link.hidden = mine.length === 0;
        count.textContent = mine.length ? "(" + mine.length + ")" : "";
      }
      remindToExport(mine);
      if (api.onRender) {
        api.onRender(items);
      }
    }).catch(function () { return null; });
  }

  // Forms that wait for days may never get through from here: once a visit, ask to save them to a file.
  function remindToExport(items) {
    var days = +T.exportAfterDays || 0;
    var old = items.filter(function (i) { return i.created < Date.now() - days * DAY; });
    if (!days || !old.length || onOutboxPage() || document.getElementById("outbox-banner")) {
      return;
    }
    try {
      if (sessionStorage.getItem("kelisim-export-reminded")) {
        return;
      }
      sessionStorage.setItem("kelisim-export-reminded", "1");
    } catch (e) { /* private mode */ }
    banner(T.oldItems.replace("{n}", old.length), "warning", [[T.outboxUrl, T.openOutbox]], "outbox-reminder");
  }

  // ---- forms --------------------------------------------------------------------------------------------

  function fieldsOf(form, skip) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrf_token" && (!skip || skip.indexOf(name) < 0)) {
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
        } else {
          return;
        }
        // What depends on a value (the schools of a district, a question shown for one answer) follows it.
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
  }

  function uuidInput(form) {
    return form.querySelector("input[name=\"client_uuid\"]");
  }

  // One line that tells two items apart: the values of the form's summary fields as the reader saw them.
  function summaryOf(form) {
    return (form.dataset.summary || "").split(" ").filter(Boolean).map(function (name) {
      var input = form.elements[name];
      if (!input) {
        return "";
      }
      if (input.tagName === "SELECT") {
        return input.value ? input.options[input.selectedIndex].text.trim() : "";
      }
      if (!input.tagName) {  // radio buttons
        var checked = form.querySelector("[name=\"" + CSS.escape(name) + "\"]:checked");
        var label = checked && form.querySelector("label[for=\"" + CSS.escape(checked.id) + "\"]");
        return label ? label.textContent.trim() : "";
      }
      return input.type === "date" ? fmtDate(parseDay(input.value)) : (input.value || "").trim().slice(0, 60);
    }).filter(Boolean).join(" · ");
  }

  function titleOf() {
    var h1 = document.querySelector("main h1");
    return (h1 && h1.textContent.trim()) || document.title;
  }

  function buildItem(form, previous) {
    var input = uuidInput(form);
    var item = previous || { id: newUuid(), created: Date.now(), attempts: 0 };
    item.kind = form.dataset.offline;
    item.title = titleOf();
    item.summary = summaryOf(form);
    item.action = new URL(form.getAttribute("action") || location.pathname, location.href).href.split("#")[0];
    item.page = location.pathname + location.search;
    item.owner = T.user || "";
    item.fields = fieldsOf(form);
    item.client_uuid = (input && input.value) || newUuid();
    item.state = "waiting";
    item.errors = null;
    item.changed = null;
    item.message = "";
    return item;
  }

  function afterQueued(form) {
    // The phone keeps this one; the form is ready for the next with a new code.
    dropDraft(form);
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
    var reopened = !!form.dataset.outboxId;
    var previous = reopened ? getItem(form.dataset.outboxId) : Promise.resolve(null);
    var item;
    previous.then(function (old) {
      item = buildItem(form, old || null);
      inFlight[item.id] = true;
      return putItem(item);  // kept before it goes: a tab closed meanwhile loses nothing
    }).then(function () {
      form.dataset.outboxId = item.id;
      askForSync();
      return sendNow(form, item, reopened);
    }, function () {
      // No storage on this phone (private mode): a plain post, as without JavaScript.
      form.removeEventListener("submit", submitHandler);
      HTMLFormElement.prototype.submit.call(form);
    }).then(done, done).then(function () {
      if (item) {
        delete inFlight[item.id];
      }
      render();
    });
  }

  function sendNow(form, item, reopened) {
    return fetchToken().then(function (token) {
      return token ? sendItem(item, token) : { outcome: "network" };
    }).then(function (result) {
      if (result.outcome === "sent") {
        try {
          sessionStorage.setItem(FLASH_KEY, result.data.message || "");
        } catch (e) { /* private mode */ }
        return dropDraft(form).then(function () { location.assign(result.data.redirect || location.href); });
      }
      if (result.outcome === "invalid" && !reopened) {
        // Online and refused as it stands: the form shows why, and nothing waits in the outbox for it.
        return deleteItem(item.id).then(extra).then(function (m) {
          delete form.dataset.outboxId;
          m.showErrors(form, item.errors, item.changed);
          banner(T.invalid, "warning");
        });
      }
      delete inFlight[item.id];  // it waits in the outbox now: the header counts it before the page says so
      return render().then(function () { return kept(form, item, result.outcome); });
    });
  }

  function kept(form, item, outcome) {
    var outbox = [T.outboxUrl, T.openOutbox];
    if (outcome === "invalid") {
      return extra().then(function (m) {
        m.showErrors(form, item.errors, item.changed);
        banner(T.invalidKept, "warning", [outbox]);
      });
    }
    if (outcome === "login") {
      banner(T.needsLogin, "warning", [[loginLink(), T.signIn], outbox]);
    } else if (outcome === "conflict" || outcome === "refused") {
      banner((item.message || T.conflict) + " " + T.keptSeeOutbox, "warning", [outbox]);
    } else {
      banner(outcome === "network" ? T.saved : (item.message ? item.message + " " : "") + T.error, "info", [outbox]);
      if (api.more) {
        api.more.clearErrors(form);
      }
      scheduleRetry();
    }
    afterQueued(form);
    return null;
  }

  // ---- drafts: one per form page and account, kept while typing, offered when the form opens again -----------

  var DRAFT_SKIP = ["client_uuid", "form_version"];

  function draftKey(form) {
    return (T.user || "") + "|" + new URL(form.getAttribute("action") || location.pathname, location.href).pathname;
  }

  function dropDraft(form) {
    if (form.kelisimDraft) {
      form.kelisimDraft.cancel();
    }
    return drafts.remove(draftKey(form)).catch(function () { return null; });
  }

  function saveDraft(form) {
    return drafts.put({
      id: draftKey(form), kind: form.dataset.offline || form.dataset.draft, owner: T.user || "", title: titleOf(),
      page: location.pathname + location.search, fields: fieldsOf(form, DRAFT_SKIP), saved: Date.now(),
      version: form.dataset.formVersion || ""
    }).catch(function () { return null; });
  }

  function setupDraft(form, reopened) {
    var state = { offer: null, timer: null, stopped: !!reopened };
    var key = draftKey(form);
    var save = function () {
      clearTimeout(state.timer);
      state.timer = null;
      if (!state.stopped) {
        saveDraft(form);
      }
    };
    var typed = function () {
      state.typed = true;
      if (state.offer) {  // typing over the offer starts afresh
        state.offer.remove();
        state.offer = null;
      }
      clearTimeout(state.timer);
      state.timer = setTimeout(save, 300);
    };
    form.kelisimDraft = { cancel: function () { clearTimeout(state.timer); state.timer = null; } };
    if (reopened) {
      return;  // an outbox item being corrected is kept as that item, not as a draft
    }
    form.addEventListener("input", typed);
    form.addEventListener("change", typed);
    var leaving = function () {
      if (state.timer) {
        save();
      }
    };
    window.addEventListener("pagehide", leaving);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") {
        leaving();
      }
    });
    var shownAgain = form.querySelector(".error") !== null;  // a plain post shown again holds the typing itself
    drafts.get(key).then(function (draft) {
      if (draft && !draft.owner && draft.saved < Date.now() - DAY) {
        // A public form's draft (a registration: someone's name and phone) is not offered to the next person to
        // pick up a shared device a day later.
        drafts.remove(key);
        draft = null;
      }
      if (draft && draft.fields && draft.fields.length && !shownAgain && !state.stopped) {
        return extra().then(function (m) {
          if (!state.typed) {
            state.offer = m.offerDraft(form, draft, state);
          }
        });
      }
      return null;
    }).catch(function () { return null; });
    if (!form.dataset.offline) {
      // A draft-only form posts as a plain form: its draft goes once the service has taken it (the answer leads
      // elsewhere); without a connection the post is not tried at all, and the draft waits.
      form.addEventListener("submit", function (event) {
        if (form.dataset.checked) {
          return;
        }
        event.preventDefault();
        fetchToken().then(function (token) {
          if (!token) {
            save();
            banner(T.draftOffline, "warning");
            return;
          }
          try {
            sessionStorage.setItem(DRAFT_SENT_KEY, key + "\n" + location.pathname);
          } catch (e) { /* private mode */ }
          form.dataset.checked = "1";
          var csrf = form.querySelector("input[name=csrf_token]");
          if (csrf) {
            csrf.value = token.csrf_token;
          }
          HTMLFormElement.prototype.submit.call(form);
        });
      });
    }
  }

  function settleDraftSent() {
    var sent;
    try {
      sent = sessionStorage.getItem(DRAFT_SENT_KEY);
      sessionStorage.removeItem(DRAFT_SENT_KEY);
    } catch (e) {
      return;
    }
    if (sent) {
      var parts = sent.split("\n");
      if (parts[1] !== location.pathname) {  // the service took it and led elsewhere (PRG)
        drafts.remove(parts[0]).catch(function () { return null; });
      }
    }
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
      var reopening = /#outbox=/.test(location.hash) ? extra().then(function (m) { return m.reopen(form); }) : null;
      Promise.resolve(reopening).catch(function () { return false; }).then(function (reopened) {
        setupDraft(form, reopened);
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]:not([data-offline])"), function (form) {
      setupDraft(form, false);
    });
    return forms.length > 0;
  }

  // ---- sign-out: it needs a connection; with unsent forms it warns first ------------------------------------

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
      try {
        if (!T.shell) {
          localStorage.removeItem(LOGOUT_KEY);  // signed out meanwhile
        }
      } catch (e) { /* private mode */ }
      return;
    }
    var leave = function (token) {
      try {
        localStorage.removeItem(LOGOUT_KEY);
      } catch (e) { /* private mode */ }
      var input = form.querySelector("input[name=csrf_token]");
      if (input && token) {
        input.value = token.csrf_token;
      }
      // Pages kept for offline use carry this account's name: they go with the session.
      clearPages().then(function () { HTMLFormElement.prototype.submit.call(form); });
    };
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetchToken().then(function (token) {
        if (!token) {
          return extra().then(function (m) { m.offlinePanel(); }, function () { banner(T.logoutOffline, "warning"); });
        }
        return allItems().then(function (items) {
          var mine = items.filter(own);
          if (!mine.length) {
            leave(token);
          } else {
            extra().then(function (m) { m.logoutPanel(mine.length, function () { leave(token); }); });
          }
        }, function () { leave(token); });
      });
    });
    var pending = function () {
      var who;
      try {
        who = localStorage.getItem(LOGOUT_KEY);
      } catch (e) {
        return;
      }
      if (who && who === T.user) {
        // The sign-out asked for without a connection: what waits goes first, the rest stays on the device.
        flush().then(fetchToken).then(function (token) {
          if (token) {
            leave(token);
          }
        });
      }
    };
    window.addEventListener("online", pending);
    pending();
  }

  // ---- the service worker: offline pages, Background Sync, a new release when the user says so -------------

  function watchUpdates(reg) {
    var offer = function (worker) {
      extra().then(function (m) { m.offerUpdate(worker); }).catch(function () { return null; });
    };
    if (reg.waiting && navigator.serviceWorker.controller) {
      offer(reg.waiting);
    }
    reg.addEventListener("updatefound", function () {
      var worker = reg.installing;
      if (worker) {
        worker.addEventListener("statechange", function () {
          if (worker.state === "installed" && navigator.serviceWorker.controller) {
            offer(worker);
          }
        });
      }
    });
  }

  function registerWorker(hasForms) {
    if (!("serviceWorker" in navigator)) {
      return;
    }
    navigator.serviceWorker.register(T.swUrl, { scope: "/" }).then(watchUpdates).catch(function () { return null; });
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

  function start() {
    showFlash();
    settleDraftSent();
    var hasForms = enhanceForms();
    setupLogout();
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

  // The pieces static/js/outbox.js, tests and other scripts use.
  api.flush = flush;
  api.render = render;
  api.items = allItems;
  api.putItem = putItem;
  api.deleteItem = deleteItem;
  api.drafts = drafts;
  api.visible = visible;
  api.own = own;
  api.fmtDate = fmtDate;
  api.el = el;
  api.banner = banner;
  api.newUuid = newUuid;
  api.fetchToken = fetchToken;
  api.getItem = getItem;
  api.fill = fill;
  api.saveDraft = saveDraft;
  api.uuidInput = uuidInput;
  api.LOGOUT_KEY = LOGOUT_KEY;

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
