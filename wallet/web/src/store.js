// The wallet on the phone: IndexedDB, one database. Holder keys are WebCrypto keys made
// non-extractable, stored as CryptoKey objects (the browser keeps the private half; the app
// can sign with it and never read it). Credentials, receipts and settings beside them.
const NAME = "citykey-wallet";
const VERSION = 1;
const STORES = ["keys", "credentials", "meta"];

let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(NAME, VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains("keys")) db.createObjectStore("keys", { keyPath: "kid" });
        if (!db.objectStoreNames.contains("credentials")) db.createObjectStore("credentials", { keyPath: "id", autoIncrement: true });
        if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return opening;
}

const done = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});

async function run(names, mode, work) {
  const db = await open();
  const tx = db.transaction(names, mode);
  const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
  const result = await work(stores);
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
  return result;
}

export const getMeta = (key) => run(["meta"], "readonly", (s) => done(s.meta.get(key)));
export const setMeta = (key, value) => run(["meta"], "readwrite", (s) => done(s.meta.put(value, key)));
export const allCredentials = () => run(["credentials"], "readonly", (s) => done(s.credentials.getAll()));
export const getKey = (kid) => run(["keys"], "readonly", (s) => done(s.keys.get(kid)));
export const putKey = (entry) => run(["keys"], "readwrite", (s) => done(s.keys.put(entry)));
export const deleteKey = (kid) => run(["keys"], "readwrite", (s) => done(s.keys.delete(kid)));
export const updateCredential = (c) => run(["credentials"], "readwrite", (s) => done(s.credentials.put(c)));

/** Keep a checked batch and its receipt in one transaction: all of it, or nothing. */
export function keepBatch(credentials, receipt) {
  return run(["credentials", "meta"], "readwrite", async (s) => {
    for (const c of credentials) s.credentials.add(c);
    if (receipt) {
      const receipts = (await done(s.meta.get("receipts"))) || [];
      receipts.push(receipt);
      s.meta.put(receipts, "receipts");
    }
  });
}

/** Forget everything: keys, credentials, receipts, settings. */
export function wipe() {
  return run(STORES, "readwrite", async (s) => {
    for (const n of STORES) s[n].clear();
  });
}
