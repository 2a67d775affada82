// What the wallet recognises as an OpenID4VP request before it loads the code that reads one
// (src/openid4vp.js is loaded only then): the QR code's or link's scheme, and the wallet's own
// address with the request's parameters in the fragment (the same-device link, docs/decisions.md).
export const SCHEME = "openid4vp://";

/** Whether pasted or scanned text is meant as an OpenID4VP request (then `parseInvocation` says what is wrong with it). */
export const isInvocation = (text) => /^\s*openid4vp:/i.test(text) || (/^\s*https?:/i.test(text) && /[?#&]request_uri=/.test(text));
