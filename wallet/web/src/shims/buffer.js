// base45-js returns `Buffer.from(array)`; in the browser a Uint8Array is the same thing
// (values taken modulo 256, as Buffer does), so the app carries no Buffer polyfill.
export const Buffer = { from: (array) => Uint8Array.from(array) };
