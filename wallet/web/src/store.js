// The wallet on the phone: IndexedDB, one database. Holder keys are WebCrypto keys made
// non-extractable, stored as CryptoKey objects (the browser keeps the private half; the app
// can sign with it and never read it). Credentials, receipts and settings beside them.
// With a PIN (src/vault.js), every credential and every setting but the language and the PIN's
// own settings is kept sealed: `{sealed: {iv, data}}`; they are readable only once unlocked.
import { CitykeyError } from "./errors.js";
import * as vault from "./vault.js";

const NAME = "citykey-wallet";
const VERSION = 1;
const STORES = ["keys", "credentials", "meta"];
const CLEAR_META = new Set(["lang", "pin"]);

let opening = null;
let sealKey = null; // the PIN's AES key while unlocked

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

// --- sealing (IndexedDB transactions end at the first await on anything else: seal before, open after)

const pinSettings = () => run(["meta"], "readonly", (s) => done(s.meta.get("pin")));

async function sealed(value, purpose, key = sealKey) {
  if (!key) return value;
  return { sealed: await vault.seal(key, value, purpose) };
}

async function opened(stored, purpose) {
  if (!stored || !stored.sealed) return stored;
  if (!sealKey) throw new CitykeyError("locked", "the wallet is locked: enter the PIN");
  return vault.open(sealKey, stored.sealed, purpose);
}

async function sealCredential(c, key = sealKey) {
  const { id, ...rest } = c;
  const stored = await sealed(rest, "credential", key);
  return id === undefined ? stored : { ...stored, id };
}

async function openCredential(stored) {
  return stored.sealed ? { ...(await opened(stored, "credential")), id: stored.id } : stored;
}

/** Whether a PIN protects the wallet, and whether it is unlocked now. */
export const hasPin = async () => Boolean(await pinSettings());
export const isUnlocked = () => sealKey !== null;

/** Unlock with the PIN (`PinWrong` if it is not right); also used to confirm the PIN before a code. */
export async function unlock(pin) {
  const settings = await pinSettings();
  if (!settings) return;
  sealKey = await vault.unlock(pin, settings);
}

export const lock = () => {
  sealKey = null;
};

/** Set a PIN (none before): everything kept is sealed under it, in one transaction. */
export async function setPin(pin) {
  if (await pinSettings()) throw new CitykeyError("usage", "the wallet already has a PIN");
  const { settings, key } = await vault.newPin(pin);
  await rewrite(key, settings);
  sealKey = key;
}

/** Remove the PIN (unlocked first): everything is kept in clear again. */
export async function removePin() {
  if (!sealKey) throw new CitykeyError("locked", "the wallet is locked: enter the PIN");
  await rewrite(null, undefined);
  sealKey = null;
}

async function rewrite(key, settings) {
  const credentials = await allCredentials();
  const meta = await run(["meta"], "readonly", async (s) => {
    const keys = await done(s.meta.getAllKeys());
    return Promise.all(keys.map(async (k) => [k, await done(s.meta.get(k))]));
  });
  const plainMeta = [];
  for (const [k, v] of meta) if (!CLEAR_META.has(k)) plainMeta.push([k, await opened(v, `meta:${k}`)]);
  const newCredentials = await Promise.all(credentials.map((c) => sealCredential(c, key)));
  const newMeta = await Promise.all(plainMeta.map(async ([k, v]) => [k, await sealed(v, `meta:${k}`, key)]));
  await run(["credentials", "meta"], "readwrite", async (s) => {
    s.credentials.clear();
    for (const c of newCredentials) s.credentials.put(c);
    for (const [k, v] of newMeta) s.meta.put(v, k);
    if (settings) s.meta.put(settings, "pin");
    else s.meta.delete("pin");
  });
}

// --- records

export async function getMeta(key) {
  const stored = await run(["meta"], "readonly", (s) => done(s.meta.get(key)));
  return CLEAR_META.has(key) ? stored : opened(stored, `meta:${key}`);
}

export async function setMeta(key, value) {
  const stored = CLEAR_META.has(key) ? value : await sealed(value, `meta:${key}`);
  return run(["meta"], "readwrite", (s) => done(s.meta.put(stored, key)));
}

export async function allCredentials() {
  const stored = await run(["credentials"], "readonly", (s) => done(s.credentials.getAll()));
  return Promise.all(stored.map(openCredential));
}

export const getKey = (kid) => run(["keys"], "readonly", (s) => done(s.keys.get(kid)));
export const putKey = (entry) => run(["keys"], "readwrite", (s) => done(s.keys.put(entry)));
export const deleteKey = (kid) => run(["keys"], "readwrite", (s) => done(s.keys.delete(kid)));

export async function updateCredential(c) {
  const stored = await sealCredential(c);
  return run(["credentials"], "readwrite", (s) => done(s.credentials.put(stored)));
}

/** Keep a checked batch and its receipt in one transaction: all of it, or nothing. */
export async function keepBatch(credentials, receipt) {
  const receipts = [...((await getMeta("receipts")) || []), ...(receipt ? [receipt] : [])];
  const stored = await Promise.all(credentials.map((c) => sealCredential(c)));
  const storedReceipts = await sealed(receipts, "meta:receipts");
  return run(["credentials", "meta"], "readwrite", async (s) => {
    for (const c of stored) s.credentials.add(c);
    if (receipt) s.meta.put(storedReceipts, "receipts");
  });
}

/**
 * Replace a batch by its renewal in one transaction: the new credentials and receipt in, the
 * old credentials (by id), their keys and the receipts handed in out.
 */
export async function replaceBatch({ add, receipt, removeIds, removeKids, removeReceipts }) {
  const gone = new Set(removeReceipts);
  const receipts = [...((await getMeta("receipts")) || []).filter((r) => !gone.has(r)), ...(receipt ? [receipt] : [])];
  const stored = await Promise.all(add.map((c) => sealCredential(c)));
  const storedReceipts = await sealed(receipts, "meta:receipts");
  return run(["credentials", "keys", "meta"], "readwrite", async (s) => {
    for (const id of removeIds) s.credentials.delete(id);
    for (const kid of removeKids) s.keys.delete(kid);
    for (const c of stored) s.credentials.add(c);
    s.meta.put(storedReceipts, "receipts");
  });
}

/** Forget everything: keys, credentials, receipts, settings, the PIN. */
export async function wipe() {
  await run(STORES, "readwrite", async (s) => {
    for (const n of STORES) s[n].clear();
  });
  sealKey = null;
}
