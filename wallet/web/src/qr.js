// The QR transport for presentations: "CK1:" base45(raw-deflate(body, dictionary)).
// A line-for-line port of wallet_spec/qr.py (the format is documented there); both are
// held to wallet_spec/vectors/qr.json.
import { pack, unpack } from "./alphanumeric.js";
import { formatError, tooLarge } from "./errors.js";
import { b64urlDecode, b64urlEncode, concatBytes, dumpsJson, equalBytes, parseJson, utf8Decode, utf8Encode } from "./encoding.js";

export const PREFIX = "CK1:";
export const MAX_QR_CHARS = 4296;
export const MAX_BODY = 65536;
export const MAX_DISCLOSURES = 256;
const MAX_DEPTH = 16;

export const KNOWN = Object.freeze([
  "alg", "ES256", "typ", "dc+sd-jwt", "kb+jwt", "kid",
  "_sd", "...", "_sd_alg", "sha-256", "iss", "iat", "exp", "nbf", "vct",
  "status", "status_list", "idx", "uri", "cnf", "jwk", "kty", "EC", "crv", "P-256", "x", "y",
  "aud", "nonce", "sd_hash",
  "given_name", "family_name", "birthdate", "address", "street_address", "locality", "postal_code",
  "resident_of", "age_over_13", "age_over_16", "age_over_18", "age_over_21", "age_over_55",
  "age_over_62", "age_over_65",
  "urn:citykey:id:1", "urn:citykey:identity:1", "urn:citykey:residency:1",
]);
const KNOWN_INDEX = new Map(KNOWN.map((s, i) => [s, i]));
export const DICTIONARY = utf8Encode("https://https://id./statuslists/");

const HAS_KB = 0x01;
const [NULL, FALSE, TRUE, UINT, NINT, TEXT, B64, ARRAY, OBJECT, B64_32] = [0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89];
const [RAW, PROPERTY, ELEMENT] = [0x8a, 0x8b, 0x8c];
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

function valueBytes(value, depth = 0) {
  if (depth > MAX_DEPTH) throw new NotAValue();
  if (value === null) return one(NULL);
  if (value === true || value === false) return one(value ? TRUE : FALSE);
  if (typeof value === "bigint") {
    const magnitude = value >= 0n ? value : -1n - value;
    if (bitLength(magnitude) > MAX_INT_BITS) throw new NotAValue();
    return value >= 0n ? concatBytes(one(UINT), varint(value)) : concatBytes(one(NINT), varint(-1n - value));
  }
  if (typeof value === "string") {
    if (KNOWN_INDEX.has(value)) return one(KNOWN_INDEX.get(value));
    const raw = canonicalB64(value);
    if (raw !== null) return raw.length === 32 ? concatBytes(one(B64_32), raw) : concatBytes(one(B64), bytesField(raw));
    return concatBytes(one(TEXT), bytesField(utf8Encode(value)));
  }
  if (Array.isArray(value)) {
    return concatBytes(one(ARRAY), varint(value.length), ...value.map((v) => valueBytes(v, depth + 1)));
  }
  if (value instanceof Map) {
    const pairs = [...value].flatMap(([k, v]) => [valueBytes(k, depth + 1), valueBytes(v, depth + 1)]);
    return concatBytes(one(OBJECT), varint(value.size), ...pairs);
  }
  throw new NotAValue();
}

function shaped(value) {
  if (Array.isArray(value) && (value.length === 2 || value.length === 3) && typeof value[0] === "string") {
    const salt = canonicalB64(value[0]);
    if (salt !== null && salt.length === SALT && (value.length === 2 || typeof value[1] === "string")) {
      const rest = value.slice(1).map((v) => valueBytes(v, 1));
      return concatBytes(one(value.length === 3 ? PROPERTY : ELEMENT), salt, ...rest);
    }
  }
  return valueBytes(value);
}

/** A value when the bytes are exactly its compact JSON, else the raw bytes. */
function jsonPart(data) {
  try {
    const value = parseJson(data, { exact: true, what: "part" });
    if (equalBytes(utf8Encode(dumpsJson(value)), data)) return shaped(value);
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

/** Pack a compact SD-JWT(+KB) for a QR code; the inverse of `decode`. */
export function encode(presentation) {
  const pieces = presentation.trim().split("~");
  if (pieces.length < 2) throw formatError("not a compact SD-JWT");
  const [jwt, disclosures, kb] = [pieces[0], pieces.slice(1, -1), pieces[pieces.length - 1]];
  const [header, payload, signature] = jwsParts(jwt, "issuer-signed JWT");
  const body = [one(kb ? HAS_KB : 0), jsonPart(header), jsonPart(payload), bytesField(signature), varint(disclosures.length)];
  for (const d of disclosures) body.push(jsonPart(b64urlDecode(d, "disclosure")));
  if (kb) {
    const [kbHeader, kbPayload, kbSignature] = jwsParts(kb, "KB-JWT");
    body.push(jsonPart(kbHeader), jsonPart(kbPayload), bytesField(kbSignature));
  }
  return pack(PREFIX, concatBytes(...body), DICTIONARY);
}

class Reader {
  constructor(data) {
    this.data = data;
    this.pos = 0;
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
    if (!equalBytes(jsonPart(part), this.data.subarray(start, this.pos))) {
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

/** The compact presentation in a scanned QR text; plain compact SD-JWTs pass through. */
export function decode(input) {
  const text = input.trim();
  if (!text.startsWith(PREFIX)) {
    if (text.startsWith("ey") && text.includes("~")) return text;
    throw formatError("not a citykey QR code (no CK1: prefix) nor a compact SD-JWT");
  }
  const body = unpack(text, {
    prefix: PREFIX, dictionary: DICTIONARY, maxChars: MAX_QR_CHARS, maxBody: MAX_BODY, what: "QR",
    notOurs: "not a citykey QR code",
  });
  const reader = new Reader(body);
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
