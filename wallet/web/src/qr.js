// The QR transport for presentations: "CK2:" base45(raw-deflate(body, dictionary)).
// A line-for-line port of wallet_spec/qr.py (the format is documented there); both are
// held to wallet_spec/vectors/qr.json, and read the older CK1: codes in qr_ck1.json.
// A holder key is compressed only once WebCrypto has taken its point (importing a JWK checks
// the point is on the curve), so `encode` is async. `decode` restores y with @noble/curves,
// which is synchronous; the app never decodes, so its bundle leaves @noble/curves out.
import { p256 } from "@noble/curves/nist.js";
import codec from "../../../wallet_spec/vectors/qr_codec.json" with { type: "json" };
import { pack, unpack } from "./alphanumeric.js";
import { formatError, tooLarge } from "./errors.js";
import { b64urlDecode, b64urlEncode, concatBytes, dumpsJson, equalBytes, parseJson, utf8Decode, utf8Encode } from "./encoding.js";

// The constants come from Python's codec through the generated qr_codec.json, so they are defined once.
export const PREFIX = codec.prefix;
export const LEGACY_PREFIX = codec.legacy_prefix;
const DAY = BigInt(codec.day);
export const MAX_QR_CHARS = codec.max_qr_chars;
export const MAX_BODY = codec.max_body;
export const MAX_DISCLOSURES = codec.max_disclosures;
const MAX_DEPTH = codec.max_depth;

export const KNOWN = Object.freeze([...codec.known]);
const KNOWN_INDEX = new Map(KNOWN.map((s, i) => [s, i]));
export const DICTIONARY = utf8Encode(codec.dictionary);

const HAS_KB = 0x01;
const [NULL, FALSE, TRUE, UINT, NINT, TEXT, B64, ARRAY, OBJECT, B64_32] = [0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89];
const [RAW, PROPERTY, ELEMENT, P256, DAYS] = [0x8a, 0x8b, 0x8c, 0x8d, 0x8e];
const JWK_MEMBERS = ["kty", "crv", "x", "y"];
const SALT = 16;
const MIN_B64 = 16;
const MAX_INT_BITS = 70;

class NotAValue extends Error {}

function varint(value) {
  let v = BigInt(value);
  const out = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    if (!v) {
      out.push(byte);
      return Uint8Array.from(out);
    }
    out.push(byte | 0x80);
  }
}

const bytesField = (data) => concatBytes(varint(data.length), data);
const one = (tag) => Uint8Array.of(tag);

function canonicalB64(text) {
  if (text.length < MIN_B64) return null;
  try {
    return b64urlDecode(text);
  } catch {
    return null;
  }
}

const bitLength = (n) => (n === 0n ? 0 : n.toString(2).length);

/** x and y's octets when `value` is a P-256 JWK spelled exactly as P256 restores it. */
function jwkCoordinates(value) {
  if (!(value instanceof Map)) return null;
  const names = [...value.keys()];
  if (names.length !== 4 || names.some((n, i) => n !== JWK_MEMBERS[i])) return null;
  if (value.get("kty") !== "EC" || value.get("crv") !== "P-256") return null;
  const [x, y] = [value.get("x"), value.get("y")].map((c) => (typeof c === "string" ? canonicalB64(c) : null));
  return x !== null && y !== null && x.length === 32 && y.length === 32 ? [x, y] : null;
}

/** The SEC1 compressed point of such a JWK if `onCurve(x, y)`. */
function compressedPoint(value, onCurve) {
  const xy = jwkCoordinates(value);
  return xy !== null && onCurve(...xy) ? concatBytes(one(2 | (xy[1][31] & 1)), xy[0]) : null;
}

function nobleOnCurve(x, y) {
  try {
    p256.Point.fromBytes(concatBytes(one(4), x, y)); // checks the point is on the curve
    return true;
  } catch {
    return false;
  }
}

/** A check for `compressedPoint` that knows every P-256 key in `values`, each imported by WebCrypto. */
async function webCryptoOnCurve(values) {
  const keys = [];
  const walk = (v) => {
    if (jwkCoordinates(v) !== null) keys.push(v);
    if (Array.isArray(v)) v.forEach(walk);
    else if (v instanceof Map) v.forEach(walk);
  };
  values.forEach(walk);
  const accepted = new Set();
  for (const key of keys) {
    const jwk = { kty: "EC", crv: "P-256", x: key.get("x"), y: key.get("y") };
    try {
      await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
      accepted.add(`${jwk.x}.${jwk.y}`);
    } catch {
      // not a point on the curve: carried as the object it is
    }
  }
  return (x, y) => accepted.has(`${b64urlEncode(x)}.${b64urlEncode(y)}`);
}

function jwkOfPoint(point) {
  let xy;
  try {
    if (point[0] !== 2 && point[0] !== 3) throw new Error("not a compressed point");
    xy = p256.Point.fromBytes(point).toBytes(false);
  } catch {
    throw formatError("QR payload has a holder key that is not a compressed point on P-256");
  }
  return new Map([["kty", "EC"], ["crv", "P-256"], ["x", b64urlEncode(xy.slice(1, 33))], ["y", b64urlEncode(xy.slice(33))]]);
}

// `rules`: { legacy, onCurve }. Legacy: the CK1: rules, which had neither the day nor the point tag.
function valueBytes(value, depth, rules) {
  if (depth > MAX_DEPTH) throw new NotAValue();
  if (value === null) return one(NULL);
  if (value === true || value === false) return one(value ? TRUE : FALSE);
  if (typeof value === "bigint") {
    const magnitude = value >= 0n ? value : -1n - value;
    if (bitLength(magnitude) > MAX_INT_BITS) throw new NotAValue();
    if (!rules.legacy && value > 0n && value % DAY === 0n) return concatBytes(one(DAYS), varint(value / DAY));
    return value >= 0n ? concatBytes(one(UINT), varint(value)) : concatBytes(one(NINT), varint(-1n - value));
  }
  if (typeof value === "string") {
    if (KNOWN_INDEX.has(value)) return one(KNOWN_INDEX.get(value));
    const raw = canonicalB64(value);
    if (raw !== null) return raw.length === 32 ? concatBytes(one(B64_32), raw) : concatBytes(one(B64), bytesField(raw));
    return concatBytes(one(TEXT), bytesField(utf8Encode(value)));
  }
  if (Array.isArray(value)) {
    return concatBytes(one(ARRAY), varint(value.length), ...value.map((v) => valueBytes(v, depth + 1, rules)));
  }
  if (value instanceof Map) {
    const point = rules.legacy ? null : compressedPoint(value, rules.onCurve);
    if (point !== null) return concatBytes(one(P256), point);
    const pairs = [...value].flatMap(([k, v]) => [valueBytes(k, depth + 1, rules), valueBytes(v, depth + 1, rules)]);
    return concatBytes(one(OBJECT), varint(value.size), ...pairs);
  }
  throw new NotAValue();
}

function shaped(value, rules) {
  if (Array.isArray(value) && (value.length === 2 || value.length === 3) && typeof value[0] === "string") {
    const salt = canonicalB64(value[0]);
    if (salt !== null && salt.length === SALT && (value.length === 2 || typeof value[1] === "string")) {
      const rest = value.slice(1).map((v) => valueBytes(v, 1, rules));
      return concatBytes(one(value.length === 3 ? PROPERTY : ELEMENT), salt, ...rest);
    }
  }
  return valueBytes(value, 0, rules);
}

/** A value when the bytes are exactly its compact JSON, else the raw bytes. */
function jsonPart(data, rules) {
  try {
    const value = parseJson(data, { exact: true, what: "part" });
    if (equalBytes(utf8Encode(dumpsJson(value)), data)) return shaped(value, rules);
  } catch (err) {
    if (!(err instanceof NotAValue) && err.code !== "malformed") throw err;
  }
  return concatBytes(one(RAW), bytesField(data));
}

function jwsParts(token, what) {
  const parts = token.split(".");
  if (parts.length !== 3) throw formatError(`${what} is not a compact JWS`);
  return parts.map((p) => b64urlDecode(p, what));
}

function parsedOrNull(data) {
  try {
    return parseJson(data, { exact: true, what: "part" });
  } catch {
    return null;
  }
}

/** Pack a compact SD-JWT(+KB) for a QR code; the inverse of `decode`. */
export async function encode(presentation) {
  const pieces = presentation.trim().split("~");
  if (pieces.length < 2) throw formatError("not a compact SD-JWT");
  const [jwt, disclosures, kb] = [pieces[0], pieces.slice(1, -1), pieces[pieces.length - 1]];
  const [header, payload, signature] = jwsParts(jwt, "issuer-signed JWT");
  const shown = disclosures.map((d) => b64urlDecode(d, "disclosure"));
  const kbParts = kb ? jwsParts(kb, "KB-JWT") : [];
  const parts = [header, payload, ...shown, ...kbParts.slice(0, 2)];
  const rules = { legacy: false, onCurve: await webCryptoOnCurve(parts.map(parsedOrNull)) };
  const body = [one(kb ? HAS_KB : 0), jsonPart(header, rules), jsonPart(payload, rules), bytesField(signature), varint(shown.length)];
  for (const d of shown) body.push(jsonPart(d, rules));
  if (kb) body.push(jsonPart(kbParts[0], rules), jsonPart(kbParts[1], rules), bytesField(kbParts[2]));
  return pack(PREFIX, concatBytes(...body), DICTIONARY);
}

class Reader {
  constructor(data, legacy) {
    this.data = data;
    this.pos = 0;
    this.legacy = legacy;
    this.rules = { legacy, onCurve: nobleOnCurve };
  }

  byte() {
    if (this.pos >= this.data.length) throw formatError("QR payload is truncated");
    return this.data[this.pos++];
  }

  varint() {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.byte();
      value |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) {
        if (byte === 0 && shift) throw formatError("QR payload has a non-canonical length");
        return value;
      }
      shift += 7n;
      if (shift > 63n) throw formatError("QR payload has an impossible number");
    }
  }

  octets(length) {
    if (length > BigInt(this.data.length - this.pos)) throw formatError("QR payload is truncated");
    const n = Number(length);
    this.pos += n;
    return this.data.slice(this.pos - n, this.pos);
  }

  blob() {
    return this.octets(this.varint());
  }

  count() {
    const n = this.varint();
    if (n > BigInt(this.data.length - this.pos)) throw formatError("QR payload is truncated");
    return Number(n);
  }

  value(depth = 0) {
    if (depth > MAX_DEPTH) throw formatError("QR payload nests too deeply");
    const tag = this.byte();
    if (tag < 0x80) {
      if (tag >= KNOWN.length) throw formatError("QR payload names an unknown string");
      return KNOWN[tag];
    }
    if (tag === NULL) return null;
    if (tag === FALSE) return false;
    if (tag === TRUE) return true;
    if (tag === UINT) return this.varint();
    if (tag === NINT) return -1n - this.varint();
    if (tag === TEXT) {
      const text = utf8Decode(this.blob(), "QR payload text");
      if (KNOWN_INDEX.has(text) || canonicalB64(text) !== null) throw formatError("QR payload spells a string the long way");
      return text;
    }
    if (tag === B64) {
      const raw = this.blob();
      if (b64urlEncode(raw).length < MIN_B64 || raw.length === 32) {
        throw formatError("QR payload spells a base64url string the long way");
      }
      return b64urlEncode(raw);
    }
    if (tag === B64_32) return b64urlEncode(this.octets(32n));
    if (tag === DAYS && !this.legacy) return this.varint() * DAY; // zero or too many: refused by jsonPart's check
    if (tag === P256 && !this.legacy) return jwkOfPoint(this.octets(33n));
    if (tag === ARRAY) {
      const n = this.count();
      const out = [];
      for (let i = 0; i < n; i++) out.push(this.value(depth + 1));
      return out;
    }
    if (tag === OBJECT) {
      const n = this.count();
      const obj = new Map();
      for (let i = 0; i < n; i++) {
        const name = this.value(depth + 1);
        if (typeof name !== "string" || obj.has(name)) throw formatError("QR payload has a bad or repeated member name");
        obj.set(name, this.value(depth + 1));
      }
      return obj;
    }
    throw formatError("QR payload has an unknown tag");
  }

  jsonPart() {
    const start = this.pos;
    const part = this.innerJsonPart();
    if (!equalBytes(jsonPart(part, this.rules), this.data.subarray(start, this.pos))) {
      throw formatError("QR payload spells a part other than the one way it is encoded");
    }
    return part;
  }

  innerJsonPart() {
    const mode = this.pos < this.data.length ? this.data[this.pos] : null;
    if (mode === RAW) {
      this.pos++;
      return this.blob();
    }
    let value;
    if (mode === PROPERTY || mode === ELEMENT) {
      this.pos++;
      const salt = b64urlEncode(this.octets(BigInt(SALT)));
      value = [salt, this.value(1)];
      if (mode === PROPERTY) value.push(this.value(1));
      if (mode === PROPERTY && typeof value[1] !== "string") {
        throw formatError("QR payload has a disclosure whose claim name is not a string");
      }
    } else {
      value = this.value();
    }
    return utf8Encode(dumpsJson(value));
  }

  jws() {
    const header = this.jsonPart();
    const payload = this.jsonPart();
    return [header, payload, this.blob()].map(b64urlEncode).join(".");
  }
}

/** The compact presentation in a scanned QR text (CK2: or CK1:); plain compact SD-JWTs pass through. */
export function decode(input) {
  const text = input.trim();
  const legacy = text.startsWith(LEGACY_PREFIX);
  if (!legacy && !text.startsWith(PREFIX)) {
    if (text.startsWith("ey") && text.includes("~")) return text;
    throw formatError(`not a citykey QR code (no ${PREFIX} prefix) nor a compact SD-JWT`);
  }
  const body = unpack(text, {
    prefix: legacy ? LEGACY_PREFIX : PREFIX, dictionary: DICTIONARY, maxChars: MAX_QR_CHARS, maxBody: MAX_BODY, what: "QR",
    notOurs: "not a citykey QR code",
  });
  const reader = new Reader(body, legacy);
  const flags = reader.byte();
  if (flags & ~HAS_KB) throw formatError("QR payload has unknown flags");
  const jwt = reader.jws();
  const count = reader.count();
  if (count > MAX_DISCLOSURES) throw tooLarge("QR payload has too many disclosures");
  const disclosures = [];
  for (let i = 0; i < count; i++) disclosures.push(b64urlEncode(reader.jsonPart()));
  const kb = flags & HAS_KB ? reader.jws() : "";
  if (reader.pos !== body.length) throw formatError("QR payload has trailing bytes");
  return [jwt, ...disclosures, kb].join("~");
}
