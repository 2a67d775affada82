// QR alphanumeric text for binary bodies: a prefix, then Base45 (RFC 9285) of raw deflate
// with a preset dictionary, as wallet_spec/alphanumeric.py. Bounded the same way: the text's
// length before Base45, the inflated size while inflating, no truncated or trailing data.
import base45 from "base45-js";
import { deflateRaw, Inflate } from "pako";
import { concatBytes } from "./encoding.js";
import { formatError, tooLarge } from "./errors.js";

export function pack(prefix, body, dictionary) {
  const packed = deflateRaw(body, { level: 9, windowBits: 15, memLevel: 9, dictionary });
  return prefix + base45.encode(packed);
}

function b45decode(text, what) {
  let bytes;
  try {
    bytes = Uint8Array.from(base45.decode(text));
  } catch {
    throw formatError(`${what} text is not Base45`);
  }
  // The decoder wraps out-of-range triples and reads a dangling character as a pair:
  // only a text that is exactly the encoding of what came out is Base45.
  if (base45.encode(bytes) !== text) throw formatError(`${what} text is not Base45`);
  return bytes;
}

export function unpack(text, { prefix, dictionary, maxChars, maxBody, what, notOurs }) {
  if (text.length > maxChars) throw tooLarge(`${what} text is longer than ${maxChars} characters`);
  if (!text.startsWith(prefix)) throw formatError(notOurs);
  const packed = b45decode(text.slice(prefix.length), what);
  const inflater = new Inflate({ raw: true, windowBits: 15, dictionary, chunkSize: 4096 });
  const chunks = [];
  let size = 0;
  inflater.onData = (chunk) => {
    size += chunk.length;
    if (size > maxBody) throw tooLarge(`${what} payload inflates beyond ${maxBody} bytes`);
    chunks.push(chunk.slice());
  };
  inflater.onEnd = () => {};
  inflater.push(packed, true);
  if (inflater.err === 2 || inflater.err < 0 && inflater.err !== -5) throw formatError(`${what} payload is not deflate data`);
  if (inflater.err !== 0 || inflater.strm.avail_in !== 0) throw formatError(`${what} payload is truncated or has trailing data`);
  return concatBytes(...chunks);
}
