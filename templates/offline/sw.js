/* Kelisim service worker: the app shell precached under a versioned name, visited form pages kept for
   offline use (network first; the kept copy when the network is slow), the offline page as a last resort,
   and Background Sync for the outbox.
   A new release waits until the page asks for it ("a new version is ready"), so that no page mixes old and new
   files; it then keeps the form pages of the old one, fetched afresh. The outbox and the drafts live in IndexedDB,
   which a release never touches.
   Never cached: POSTs, JSON, /csrf-token, other sites, pages not marked "X-Kelisim-Cache: form". */
"use strict";

const VERSION = {{ version|tojson }};
const SHELL_CACHE = "kelisim-shell-" + VERSION;
const PAGES_CACHE = "kelisim-pages-" + VERSION;
const SHELL = {{ shell|tojson }};
const OFFLINE_URL = {{ offline_url|tojson }};
const NEVER = ["/sw.js", "/csrf-token", "/healthz"];

self.addEventListener("install", (event) => {
  // The shell is fetched without cookies: no account's name or token is kept in it.
  event.waitUntil(
    caches.open(SHELL_CACHE)
      // Marked, so that the kept outbox and offline pages know they stand for whoever was signed in last.
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, {
        credentials: "omit", cache: "reload", headers: { "X-Kelisim-Shell": "1" } }))))
      // The first worker takes over at once; a later release waits for the page's "use it now".
      .then(() => (self.registration.active ? null : self.skipWaiting()))
  );
});

// The form pages the old release kept, fetched again for this one (the old copy when the network fails): a
// phone that goes offline right after a release still opens its forms, in the new version where it could.
async function carryPages() {
  const keys = (await caches.keys()).filter((key) => key.startsWith("kelisim-pages-") && key !== PAGES_CACHE);
  const fresh = keys.length ? await caches.open(PAGES_CACHE) : null;
  for (const key of keys) {
    const old = await caches.open(key);
    for (const request of await old.keys()) {
      let response = null;
      try {
        response = await fetch(request.url, { credentials: "same-origin", cache: "no-store" });
      } catch (err) {
        response = null;
      }
      await fresh.put(request.url, isFormPage(response) ? response : await old.match(request));
    }
  }
}

self.addEventListener("activate", (event) => {
  event.waitUntil(
    carryPages().catch(() => null)
      .then(() => caches.keys())
      .then((keys) => Promise.all(keys
        .filter((key) => key.startsWith("kelisim-") && key !== SHELL_CACHE && key !== PAGES_CACHE)
        .map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

function isFormPage(response) {
  return response && response.ok && response.type === "basic" && response.headers.get("X-Kelisim-Cache") === "form";
}

function keyOf(url) {
  const u = new URL(url);
  u.hash = "";
  return u.href;
}

async function keepPage(url, response) {
  if (isFormPage(response)) {
    const cache = await caches.open(PAGES_CACHE);
    await cache.put(keyOf(url), response);
  }
}

// On a slow line a form page kept from an earlier visit is shown once the network has taken this long; the
// network's answer still comes in and refreshes the kept copy for the next visit.
const SLOW_NETWORK_MS = 700;

function keptPage(url) {
  // caches.match, not caches.open: opening would make the cache again after signing out erased it.
  return caches.match(keyOf(url), { cacheName: PAGES_CACHE, ignoreVary: true });
}

async function networkFirst(event) {
  const request = event.request;
  const network = fetch(request).then((response) => {
    if (isFormPage(response)) {
      event.waitUntil(keepPage(request.url, response.clone()));
    }
    return response;
  });
  const kept = await keptPage(request.url);
  if (kept) {
    const slow = new Promise((resolve) => setTimeout(() => resolve(null), SLOW_NETWORK_MS));
    const answer = await Promise.race([network.catch(() => null), slow]);
    if (answer) {
      return answer;
    }
    event.waitUntil(network.catch(() => null));
    return kept;
  }
  try {
    return await network;
  } catch (err) {
    const cached = (await caches.match(keyOf(request.url), { cacheName: SHELL_CACHE, ignoreVary: true })) ||
      (await caches.match(OFFLINE_URL, { cacheName: SHELL_CACHE, ignoreVary: true }));
    return cached || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
}

async function cacheFirst(event) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(event.request, { ignoreVary: true });
  if (cached) {
    return cached;
  }
  const response = await fetch(event.request);
  if (response.ok && response.type === "basic") {
    // Static files outside the shell (a feature's script) are kept too: the version covers all of static/.
    event.waitUntil(cache.put(event.request, response.clone()));
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || NEVER.includes(url.pathname)) {
    return;
  }
  const accept = request.headers.get("Accept") || "";
  if (accept.includes("application/json") || request.headers.get("X-Kelisim-Outbox")) {
    return;
  }
  if (url.pathname.startsWith("/static/") || SHELL.includes(url.pathname) && request.mode !== "navigate") {
    event.respondWith(cacheFirst(event));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirst(event));
  }
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "cache-page" && typeof data.url === "string") {
    // A form page opened before this worker controlled it: fetch it once more to keep it.
    const url = new URL(data.url, self.location.origin);
    if (url.origin === self.location.origin) {
      event.waitUntil(fetch(url.href, { credentials: "same-origin" }).then((r) => keepPage(url.href, r)).catch(() => null));
    }
  } else if (data.type === "clear-pages") {
    event.waitUntil(caches.delete(PAGES_CACHE));
  } else if (data.type === "skip-waiting") {
    self.skipWaiting();
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === "kelisim-outbox") {
    event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true })
      .then((clients) => clients.forEach((client) => client.postMessage({ type: "kelisim-flush" }))));
  }
});
