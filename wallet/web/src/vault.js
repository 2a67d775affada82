// The optional PIN: it encrypts what the wallet keeps (credentials, receipts, the trust bundle) with
// AES-256-GCM under a key derived from the PIN by PBKDF2-HMAC-SHA-256 (WebCrypto has no memory-hard
// KDF). The derived key is a non-extractable CryptoKey held in memory while the app is open; the
// holder keys stay non-extractable CryptoKeys in IndexedDB (the browser never lets them out anyway).
// There is no recovery: a forgotten PIN means deleting everything and visiting a desk again.
import { CitykeyError } from "./errors.js";
import { utf8Encode } from "./encoding.js";

/** PBKDF2 iterations for a new PIN: OWASP's 2023 figure for PBKDF2-HMAC-SHA-256 is 600,000. */
export const ITERATIONS = 600_000;
const MAX_ITERATIONS = 10_000_000;
export const MIN_PIN = 4;
export const MAX_PIN = 32;
const CHECK = "citykey-wallet-pin-check-v1";

export class PinWrong extends CitykeyError {
  constructor() {
    super("pin_wrong", "the PIN is not right");
  }
}

/** A PIN as typed: 4 to 32 characters, kept as typed (digits on a phone's number pad). */
export function checkPinText(pin) {
  if (typeof pin !== "string" || [...pin].length < MIN_PIN || [...pin].length > MAX_PIN) {
    throw new CitykeyError("pin_invalid", `a PIN has ${MIN_PIN} to ${MAX_PIN} characters`);
  }
  return pin;
}

async function derive(pin, salt, iterations) {
  if (!Number.isSafeInteger(iterations) || iterations < ITERATIONS || iterations > MAX_ITERATIONS) {
    throw new CitykeyError("pin_invalid", "the wallet's PIN settings are damaged");
  }
  const material = await crypto.subtle.importKey("raw", utf8Encode(pin.normalize("NFC")), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** Seal a structured value (JSON) under `key`; `purpose` is authenticated, so a box cannot move between kinds. */
export async function seal(key, value, purpose) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8Encode(purpose) }, key, utf8Encode(JSON.stringify(value)));
  return { iv, data: new Uint8Array(data) };
}

export async function open(key, box, purpose) {
  let plain;
  try {
    plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: box.iv, additionalData: utf8Encode(purpose) }, key, box.data);
  } catch {
    throw new CitykeyError("vault_damaged", "what the wallet keeps cannot be decrypted");
  }
  return JSON.parse(new TextDecoder().decode(plain));
}

/** A new PIN: its settings (salt, iterations, a check box) to keep, and the key to seal with. */
export async function newPin(pin) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await derive(checkPinText(pin), salt, ITERATIONS);
  return { settings: { salt, iterations: ITERATIONS, check: await seal(key, CHECK, "pin") }, key };
}

/** The key of a PIN typed again, or `PinWrong`. */
export async function unlock(pin, settings) {
  if (typeof pin !== "string" || !pin) throw new PinWrong();
  const key = await derive(pin, settings.salt, settings.iterations);
  try {
    if ((await open(key, settings.check, "pin")) !== CHECK) throw new PinWrong();
  } catch {
    throw new PinWrong();
  }
  return key;
}
