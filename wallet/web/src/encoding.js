// Strict base64url and JSON, with the same spelling rules as wallet_spec/encoding.py.
//
// `parseJson(text, {exact: true})` keeps what compact JSON needs to re-serialize byte for
// byte: member order (objects are Maps), integers of any size (BigInt); floats are refused
// there. `dumpsJson` writes what Python's `json.dumps(v, separators=(",", ":"),
// ensure_ascii=False)` writes. Duplicate member names are refused in both modes.
import { formatError } from "./errors.js";

const B64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function utf8Encode(text) {
  return utf8.encode(text);
}

export function utf8Decode(bytes, what = "text") {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw formatError(`${what} is not UTF-8`);
  }
}

export function b64urlEncode(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64urlDecode(text, what = "value") {
  if (typeof text !== "string" || !B64URL.test(text) || text.length % 4 === 1) throw formatError(`${what} is not base64url`);
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  if (b64urlEncode(bytes) !== text) throw formatError(`${what} is not canonical base64url`);
  return bytes;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

// --- JSON -----------------------------------------------------------------------------------

const MAX_NESTING = 512;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;

class Parser {
  constructor(text, exact) {
    this.text = text;
    this.pos = 0;
    this.exact = exact;
  }

  fail(why = "is not valid JSON") {
    throw formatError(`JSON ${why}`);
  }

  ws() {
    while (this.pos < this.text.length && " \t\n\r".includes(this.text[this.pos])) this.pos++;
  }

  value(depth) {
    if (depth > MAX_NESTING) this.fail("nests too deeply");
    this.ws();
    const c = this.text[this.pos];
    if (c === "{") return this.object(depth);
    if (c === "[") return this.array(depth);
    if (c === '"') return this.string();
    if (c === "-" || (c >= "0" && c <= "9")) return this.number();
    for (const [word, value] of [["true", true], ["false", false], ["null", null]]) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    return this.fail();
  }

  object(depth) {
    this.pos++;
    const map = new Map();
    this.ws();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return this.finish(map);
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail();
      const name = this.string();
      if (map.has(name)) this.fail("has a duplicate member name");
      this.ws();
      if (this.text[this.pos++] !== ":") this.fail();
      map.set(name, this.value(depth + 1));
      this.ws();
      const c = this.text[this.pos++];
      if (c === "}") return this.finish(map);
      if (c !== ",") this.fail();
    }
  }

  finish(map) {
    if (this.exact) return map;
    const obj = Object.create(null);
    for (const [k, v] of map) obj[k] = v;
    return obj;
  }

  array(depth) {
    this.pos++;
    const out = [];
    this.ws();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.text[this.pos++];
      if (c === "]") return out;
      if (c !== ",") this.fail();
    }
  }

  string() {
    STRING.lastIndex = this.pos;
    const match = STRING.exec(this.text);
    if (!match) this.fail();
    this.pos += match[0].length;
    return JSON.parse(match[0]);
  }

  number() {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail();
    this.pos += match[0].length;
    const isFloat = match[1] !== undefined || match[2] !== undefined;
    if (this.exact) {
      if (isFloat) this.fail("has a float, which is carried as it is");
      return BigInt(match[0]);
    }
    const n = Number(match[0]);
    if (!Number.isFinite(n)) this.fail("number is out of range");
    if (!isFloat && !Number.isSafeInteger(n)) this.fail("integer is too large");
    return n;
  }
}

export function parseJson(input, { exact = false, what = "value" } = {}) {
  const text = typeof input === "string" ? input : utf8Decode(input, what);
  try {
    const parser = new Parser(text, exact);
    const value = parser.value(0);
    parser.ws();
    if (parser.pos !== text.length) parser.fail();
    return value;
  } catch (err) {
    throw formatError(`${what}: ${err.message}`);
  }
}

function dumpString(s) {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += s[i] + s[i + 1];
        i++;
        continue;
      }
      throw formatError("JSON text holds a lone surrogate");
    }
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    else if (c < 0x20) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += s[i];
  }
  return out + '"';
}

/** Compact JSON as Python's json_dumps writes it (objects: Map or plain; integers: BigInt or safe Number). */
export function dumpsJson(value) {
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw formatError("only integers are written as JSON numbers here");
    return String(value);
  }
  if (typeof value === "string") return dumpString(value);
  if (Array.isArray(value)) return "[" + value.map(dumpsJson).join(",") + "]";
  const entries = value instanceof Map ? [...value] : Object.entries(value);
  return "{" + entries.map(([k, v]) => dumpString(k) + ":" + dumpsJson(v)).join(",") + "}";
}

export function b64urlJson(text, what) {
  return parseJson(b64urlDecode(text, what), { what });
}

export function jsonB64url(value) {
  return b64urlEncode(utf8Encode(dumpsJson(value)));
}
