// The `CKA1:` pre-application code (wallet_spec/preapplication.py): the fields in a fixed order, an
// optional appointment token, a 4-octet SHA-256 check, packed by the project's alphanumeric
// transport (raw deflate with a preset dictionary, Base45). Only encoding: the desk decodes.
import { pack } from "../../../../wallet/web/src/alphanumeric.js";

export const PREFIX = "CKA1:";
export const VERSION = 1;
export const FIELDS = ["given_name", "family_name", "birthdate", "street_address", "locality", "postal_code"];
export const DICTIONARY = new TextEncoder().encode("Street Avenue Road Boulevard Drive Apt Calle Avenida ");
export const TOKEN_BYTES = 16;
const HAS_TOKEN = 0x01;

function varint(value) {
  const out = [];
  for (;;) {
    const byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (!value) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function text(value) {
  if (/[\ud800-\udfff]/u.test(value)) throw new Error("a field holds a lone surrogate, which is not text");
  const raw = new TextEncoder().encode(value);
  return [...varint(raw.length), ...raw];
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// values: {field: text} ("" for blank), extra: {name: text}, token: Uint8Array(16) or null.
export async function encodeBody({ values, extra = {}, token = null }) {
  if (token !== null && token.length !== TOKEN_BYTES) throw new Error(`an appointment token is ${TOKEN_BYTES} octets`);
  const out = [VERSION, token !== null ? HAS_TOKEN : 0];
  for (const name of FIELDS) out.push(...text(values[name] ?? ""));
  const names = Object.keys(extra).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  out.push(...varint(names.length));
  for (const name of names) out.push(...text(name), ...text(extra[name]));
  if (token !== null) out.push(...token);
  const content = Uint8Array.from(out);
  const check = (await sha256(content)).slice(0, 4);
  const body = new Uint8Array(content.length + 4);
  body.set(content);
  body.set(check, content.length);
  return body;
}

export async function encode(application) {
  return pack(PREFIX, await encodeBody(application), DICTIONARY);
}
