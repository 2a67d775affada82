// The offline shell both browser apps (the wallet, the /apply/ page) install as their service
// worker: their own files cached at install under a name that changes with them, older caches
// of the same app dropped on activation, and nothing else cached — requests to the city's
// service always go to the network. `lazy` files are kept the first time they are fetched.
export function offlineShell({ prefix, version, files, lazy = [] }) {
  const cache = `${prefix}${version}`;

  self.addEventListener("install", (event) => {
    event.waitUntil(caches.open(cache).then((c) => c.addAll(files)).then(() => self.skipWaiting()));
  });

  self.addEventListener("activate", (event) => {
    event.waitUntil(
      caches.keys()
        .then((names) => Promise.all(names.filter((n) => n.startsWith(prefix) && n !== cache).map((n) => caches.delete(n))))
        .then(() => self.clients.claim()),
    );
  });

  self.addEventListener("fetch", (event) => {
    const url = new URL(event.request.url);
    const scope = new URL(self.registration.scope);
    if (event.request.method !== "GET" || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
    event.respondWith(
      caches.open(cache).then(async (c) => {
        const hit = await c.match(event.request, { ignoreSearch: true });
        if (hit) return hit;
        try {
          const response = await fetch(event.request);
          const name = url.pathname.slice(scope.pathname.length);
          if (response.ok && lazy.includes(name)) await c.put(event.request, response.clone());
          return response;
        } catch {
          return (await c.match("./")) || Response.error();
        }
      }),
    );
  });
}
