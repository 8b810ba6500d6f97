// Kelisim outbox pages (loaded only there; static/js/offline.js does the sending on every page): the list of what
// waits on this device with each item's state, the drafts, the storage's protection, saving everything to a file
// for another device, the import form and its report, and the offline page's list of kept forms.
(function () {
  "use strict";

  var api = window.KelisimOutbox;
  if (!api) {
    return;
  }
  var page = document.getElementById("outbox-page-strings");  // not on the import form, which needs none
  var T = api.T;
  var P = page ? page.dataset : {};
  var el = api.el;
  var STASH = "kelisim-import";
  var FILE_VERSION = 1;

  function byId(id) { return document.getElementById(id); }

  function say(id, text) {
    var node = byId(id);
    if (node) {
      node.textContent = text || "";
      node.hidden = !text;
    }
  }

  // ---- the list -----------------------------------------------------------------------------------------

  function stateLabel(state) {
    // data-state-needs_login is read as dataset.stateNeeds_login.
    return P["state" + state.charAt(0).toUpperCase() + state.slice(1)] || state;
  }

  function messagesOf(item) {
    var messages = [];
    Object.keys(item.state === "refused" ? {} : item.errors || {}).forEach(function (k) {
      messages = messages.concat(item.errors[k]);
    });
    if ((item.state === "conflict" || item.state === "refused" || item.state === "waiting") && item.message) {
      messages.push(item.message);
    }
    return messages;
  }

  function actionsOf(item) {
    var actions = el("p", { class: "actions" });
    if (item.state === "needs_correction" || item.state === "refused") {
      actions.appendChild(el("a", { href: item.page + "#outbox=" + item.id, class: "button" }, P.correct));
    }
    if (item.state === "needs_login") {
      actions.appendChild(el("a", { href: T.loginUrl + "?next=" + encodeURIComponent(T.outboxUrl), class: "button" },
                             T.signIn));
    }
    if (item.state === "conflict") {
      var again = el("button", { type: "button" }, P.sendAsNew);
      again.addEventListener("click", function () {
        item.client_uuid = api.newUuid();
        item.state = "waiting";
        item.message = "";
        api.putItem(item).then(api.flush);
      });
      actions.appendChild(again);
    }
    var drop = el("button", { type: "button", class: "link" }, P.delete);
    drop.addEventListener("click", function () {
      if (window.confirm(P.deleteConfirm)) {
        api.deleteItem(item.id).then(api.render);
      }
    });
    actions.appendChild(drop);
    return actions;
  }

  function renderOutbox(items) {
    var list = byId("outbox-items");
    if (!list) {
      return;
    }
    var mine = items.filter(api.visible);
    var others = items.length - mine.length;
    byId("outbox-send").disabled = mine.length === 0;
    say("outbox-others", others ? (T.user ? P.others : P.othersSignedOut).replace("{n}", others) : "");
    var status = byId("outbox-status");
    if (!mine.length && !status.dataset.busy) {
      status.textContent = P.empty;
    }
    list.textContent = "";
    mine.forEach(function (item) {
      var li = el("li", { class: "outbox-item state-" + item.state, "data-state": item.state });
      li.appendChild(el("strong", {}, item.title || item.kind));
      li.appendChild(el("span", { class: "tag" }, stateLabel(item.state)));
      if (item.summary) {
        li.appendChild(el("span", { class: "summary" }, item.summary));
      }
      li.appendChild(el("span", { class: "muted" }, P.savedAt + " " + api.fmtDate(item.created, true)));
      messagesOf(item).forEach(function (m) { li.appendChild(el("p", { class: "error" }, m)); });
      li.appendChild(actionsOf(item));
      list.appendChild(li);
    });
    var days = +T.exportAfterDays || 0;
    var old = mine.filter(function (i) { return days && i.created < Date.now() - days * 24 * 3600 * 1000; });
    say("outbox-old", old.length ? T.oldItems.replace("{n}", old.length) : "");
    renderDrafts();
  }

  function renderDrafts() {
    var list = byId("outbox-drafts");
    if (!list) {
      return;
    }
    api.drafts.all().then(function (rows) {
      var mine = rows.filter(function (d) { return (d.owner || "") === (T.user || ""); });
      list.textContent = "";
      byId("outbox-drafts-part").hidden = mine.length === 0;
      mine.forEach(function (draft) {
        var li = el("li", {});
        li.appendChild(el("a", { href: draft.page }, draft.title || draft.kind));
        li.appendChild(el("span", { class: "muted" }, " · " + P.draftSaved + " " + api.fmtDate(draft.saved, true)));
        list.appendChild(li);
      });
    }).catch(function () { return null; });
  }

  function setupSendNow() {
    var button = byId("outbox-send");
    if (!button) {
      return;
    }
    button.addEventListener("click", function () {
      var status = byId("outbox-status");
      status.dataset.busy = "1";
      status.textContent = T.sending;
      api.items().then(function (items) {
        // "Send now" also tries again what waits for a login (the user may have signed in elsewhere).
        return Promise.all(items.filter(function (i) { return api.visible(i) && i.state === "needs_login"; })
          .map(function (i) {
            i.state = "waiting";
            return api.putItem(i);
          }));
      }).then(api.flush).then(function (result) {
        return api.items().then(function (items) {
          var left = items.filter(api.visible).length;
          delete status.dataset.busy;
          status.textContent = !left ? P.allSent : (result && result.offline ? P.noConnection : P.someLeft);
        });
      });
    });
  }

  // ---- storage: asked to persist; says whether it is protected, private or nearly full -------------------------

  function storageStatus() {
    if (!byId("outbox-storage") || !navigator.storage || !navigator.storage.persisted) {
      return;
    }
    navigator.storage.persisted().then(function (done) {
      return done || navigator.storage.persist();
    }).then(function (done) {
      say("outbox-storage", done ? P.storageProtected : P.storageUnprotected);
      byId("outbox-storage").className = "notice" + (done ? "" : " warning");
    }).catch(function () { return null; });
    if (navigator.storage.estimate) {
      navigator.storage.estimate().then(function (e) {
        // A private window gets a small quota (and loses everything when it closes).
        if (e.quota && e.quota < 120 * 1024 * 1024) {
          say("outbox-private", P.storagePrivate);
        } else if (e.quota && e.usage / e.quota > 0.8) {
          say("outbox-full", P.storageFull.replace("{percent}", Math.round(100 * e.usage / e.quota)));
        }
      }).catch(function () { return null; });
    }
  }

  // ---- saving to a file ---------------------------------------------------------------------------------

  // The checksum's text, as services/handover.py canonical(): keys sorted, no spaces.
  function canonical(value) {
    if (Array.isArray(value)) {
      return "[" + value.map(function (v) { return v === undefined ? "null" : canonical(v); }).join(",") + "]";
    }
    if (value && typeof value === "object") {
      return "{" + Object.keys(value).sort().filter(function (k) { return value[k] !== undefined; })
        .map(function (k) { return JSON.stringify(k) + ":" + canonical(value[k]); }).join(",") + "}";
    }
    return JSON.stringify(value);
  }

  function sha256(text) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buffer) {
      return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return (b + 256).toString(16).slice(1); })
        .join("");
    });
  }

  function pathOf(url) {
    var u = new URL(url, location.href);
    return u.pathname + u.search;
  }

  function exportFile() {
    var withDrafts = byId("export_drafts") && byId("export_drafts").checked;
    return Promise.all([api.items(), withDrafts ? api.drafts.all() : []]).then(function (found) {
      var items = found[0].filter(api.visible);
      var drafts = found[1].filter(function (d) { return (d.owner || "") === (T.user || ""); });
      if (!items.length && !drafts.length) {
        say("export-status", P.exportNone);
        return null;
      }
      var payload = {
        format: "kelisim-outbox", version: FILE_VERSION, account: T.user || "", origin: location.origin,
        exported_at: new Date().toISOString(),
        items: items.map(function (i) {
          return { kind: i.kind, action: pathOf(i.action), page: i.page || "", client_uuid: i.client_uuid,
                   fields: i.fields, created: i.created, title: i.title || "", summary: i.summary || "",
                   state: i.state };
        }),
        drafts: drafts.map(function (d) {
          return { kind: d.kind || "", page: d.page || "", fields: d.fields, saved: d.saved, title: d.title || "",
                   version: d.version || "" };
        })
      };
      return sha256(canonical(payload)).then(function (hex) {
        payload.checksum = "sha256:" + hex;
        var name = "kelisim-outbox-" + (T.user || "device") + "-" + new Date().toISOString().slice(0, 10) + ".json";
        var link = el("a", { href: URL.createObjectURL(new Blob([JSON.stringify(payload, null, 1)],
                                                               { type: "application/json" })), download: name });
        document.body.appendChild(link);
        link.click();
        link.remove();
        say("export-status", P.exportDone.replace("{name}", name).replace("{n}", items.length));
      });
    }).catch(function () { say("export-status", P.exportFailed); });
  }

  function setupExport() {
    var button = byId("outbox-export");
    if (button) {
      button.hidden = !(window.crypto && crypto.subtle);
      button.addEventListener("click", exportFile);
    }
  }

  // ---- importing: the file's items are kept for this tab, so that those refused as invalid can be reopened ----

  function setupImportForm() {
    var form = byId("import-form");
    var input = form && form.querySelector("input[type=file]");
    if (!input || !window.FileReader) {
      return;
    }
    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (!file || form.dataset.read) {
        return;
      }
      event.preventDefault();
      file.text().then(function (text) {
        var data = JSON.parse(text);
        sessionStorage.setItem(STASH, JSON.stringify({ account: data.account || "", items: data.items || [],
                                                       drafts: data.drafts || [] }));
      }).catch(function () {
        try {
          sessionStorage.removeItem(STASH);
        } catch (e) { /* private mode */ }
      }).then(function () {
        form.dataset.read = "1";
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  }

  function reopenImported() {
    var report = byId("import-report");
    var stash;
    try {
      stash = JSON.parse(sessionStorage.getItem(STASH) || "null");
      sessionStorage.removeItem(STASH);
    } catch (e) {
      stash = null;
    }
    if (!report || !stash) {
      return;
    }
    var items = {};
    (stash.items || []).forEach(function (i) { items[i.client_uuid] = i; });
    api.items().then(function (present) {
      var here = {};
      present.forEach(function (i) { here[i.client_uuid] = true; });
      var rows = report.dataset.canReopen ? report.querySelectorAll("[data-outcome=invalid]") : [];
      return Promise.all(Array.prototype.map.call(rows, function (row) {
        var item = items[row.dataset.clientUuid];
        if (!item || here[item.client_uuid]) {
          return null;
        }
        return api.putItem({
          id: api.newUuid(), kind: item.kind, title: item.title, summary: item.summary, page: item.page,
          action: new URL(item.action, location.href).href, owner: T.user, fields: item.fields,
          client_uuid: item.client_uuid, created: item.created || Date.now(), attempts: 0,
          state: "needs_correction", errors: JSON.parse(row.dataset.errors || "{}"), message: ""
        }).then(function () { row.appendChild(el("p", { class: "muted" }, P.reopened)); });
      }));
    }).then(function () {
      if (stash.account !== T.user) {
        return null;
      }
      // The drafts of the same account come along, unless this device has its own draft of that form.
      return Promise.all((stash.drafts || []).map(function (d) {
        var id = (T.user || "") + "|" + new URL(d.page || "/", location.href).pathname;
        return api.drafts.get(id).then(function (mine) {
          return mine ? null : api.drafts.put({ id: id, kind: d.kind, owner: T.user, title: d.title, page: d.page,
                                                fields: d.fields || [], saved: d.saved || Date.now(),
                                                version: d.version || "" });
        });
      }));
    }).then(api.render).catch(function () { return null; });
  }

  // ---- the offline page: the forms kept on this device, by their names ----------------------------------

  function listKeptPages() {
    var list = byId("offline-pages");
    if (!list || !window.caches) {
      return;
    }
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("kelisim-pages-") === 0; }).map(function (k) {
        return caches.open(k).then(function (cache) {
          return cache.keys().then(function (requests) {
            return Promise.all(requests.map(function (request) {
              return cache.match(request).then(function (r) { return r.text(); }).then(function (html) {
                var title = /<title>([^<]*)<\/title>/.exec(html);
                var div = el("div", {});
                div.innerHTML = title ? title[1] : "";  // the title's entities, decoded; the text alone is used
                return [request.url, div.textContent.replace(/\s*·\s*Kelisim\s*$/, "").trim()];
              });
            }));
          });
        });
      }));
    }).then(function (groups) {
      [].concat.apply([], groups).forEach(function (found) {
        var url = new URL(found[0]);
        var li = el("li");
        li.appendChild(el("a", { href: url.pathname + url.search }, found[1] || url.pathname));
        list.appendChild(li);
      });
    }).catch(function () { return null; });
  }

  api.onRender = renderOutbox;
  setupSendNow();
  setupExport();
  storageStatus();
  setupImportForm();
  reopenImported();
  listKeptPages();
  api.render();
})();
