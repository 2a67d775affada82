// What every script of tests/interop shares: one JSON verdict on standard output, who refused and by
// which rule, the versions of the libraries used, and fetching JSON from the city.
//
// A verdict is one JSON object on one line:
//   {"accepted": true, ...}                                    exit 0
//   {"accepted": false, "by": WHO, "rule": RULE, "error": MESSAGE[, "oauth_error": CODE]}   exit 1
//   {"accepted": false, "by": SCRIPT, "rule": "usage", ...}    exit 2 (the command itself is wrong)
// `by` is a library (name@version; `rule` is the class of the error it threw, `error` its message,
// unchanged, and `oauth_error` the OAuth error code it carries, if any) or the script, for a rule the
// library leaves to its caller (`rule` names it; each script lists its rules). When a library wrapped
// the script's refusal (thrown from a callback it called), `wrapped_by` names that library.

import { readFileSync } from "node:fs";

export const ACCEPTED = 0;
export const REFUSED = 1;
export const USAGE = 2;
export const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const FETCH_TIMEOUT_MS = 10_000;

/** `name@version` of an installed package, read from its own package.json. */
export function library(name) {
  const url = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  return `${name}@${JSON.parse(readFileSync(url, "utf8")).version}`;
}

/** The OpenID4VP scripts' libraries, as they report them, and the one client id prefix both trust. */
export const OID4VP = library("@openid4vc/openid4vp");
export const DCQL = library("dcql");
export const PREFIX = "verifier_attestation";

/** A rule a script enforces on top of its libraries. */
export class Refusal extends Error {
  constructor(rule, message) {
    super(message);
    this.rule = rule;
  }
}

/** A wrong command line: exit 2, not a refusal. */
export class Usage extends Error {}

/**
 * Run `work` under `library`: an error it throws that is not a `Refusal` is that library's refusal.
 * Nested calls keep the innermost library, so an sd-jwt-js error inside an oid4vc-ts callback is
 * reported as sd-jwt-js's.
 */
export async function by(library, work) {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Error && !(error instanceof Refusal) && error.library === undefined) {
      error.library = library;
    }
    throw error;
  }
}

/** The verdict of `error`, as documented at the top of this file. */
export function refusal(script, error) {
  // A library that calls back into a script wraps what the callback threw (oid4vc-ts: "Error during
  // verification of jwt."): the refusal is still the script's rule, and the wrapper is named.
  for (let cause = error, outer; cause instanceof Error; outer = cause, cause = cause.cause) {
    if (cause instanceof Refusal) {
      const found = { accepted: false, by: script, rule: cause.rule, error: cause.message };
      if (outer !== undefined) found.wrapped_by = error.library ?? error.constructor?.name;
      return found;
    }
  }
  if (error instanceof Usage) return { accepted: false, by: script, rule: "usage", error: error.message };
  const named = error?.name && error.name !== "Error" ? error.name : error?.constructor?.name;
  const found = { accepted: false, by: error?.library ?? "node", rule: named ?? "Error",
    error: String(error?.message ?? error) };
  const oauth = error?.errorResponse?.error;
  if (typeof oauth === "string") found.oauth_error = oauth;
  return found;
}

export function finish(code, result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = code;
}

/** Run a script's `main`: its result is the acceptance, anything thrown the refusal. */
export async function main(script, work) {
  try {
    finish(ACCEPTED, { accepted: true, ...(await work()) });
  } catch (error) {
    const verdict = refusal(script, error);
    finish(verdict.rule === "usage" ? USAGE : REFUSED, verdict);
  }
}

/** `--name value` options, each at most once, from the names `allowed`. */
export function options(argv, allowed) {
  const found = {};
  for (let i = 0; i < argv.length; i += 1) {
    const name = argv[i].replace(/^--/, "");
    if (!argv[i].startsWith("--") || !allowed.includes(name) || argv[i + 1] === undefined || name in found) {
      throw new Usage(`unknown, repeated or valueless argument: ${argv[i]}`);
    }
    found[name] = argv[i + 1];
    i += 1;
  }
  return found;
}

/** A URL this machine may fetch over plain http: only a loopback host (the tests serve the city there). */
export function isLoopbackHttp(url) {
  const parsed = new URL(url);
  return parsed.protocol === "http:" && LOOPBACK.has(parsed.hostname);
}

/** fetch for the libraries' callbacks: https, or http on loopback; no redirects; a timeout. */
export function safeFetch(input, init = {}) {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.protocol !== "https:" && !isLoopbackHttp(url)) {
    throw new Refusal("https", `refusing to fetch ${url} over ${url.protocol} (https, or http on loopback only)`);
  }
  return fetch(input, { ...init, redirect: "error", signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
}

export async function getJson(url, what, rule) {
  let response;
  try {
    response = await safeFetch(url);
  } catch (error) {
    if (error instanceof Refusal) throw error;
    throw new Refusal(rule, `cannot fetch ${what} at ${url}: ${error.cause?.message ?? error.message}`);
  }
  if (!response.ok) throw new Refusal(rule, `${what} at ${url} answered HTTP ${response.status}`);
  try {
    return await response.json();
  } catch {
    throw new Refusal(rule, `${what} at ${url} is not JSON`);
  }
}

export function decodePart(part) {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}
