// RFC 6238 codes computed in the test (SHA-1, 6 digits, 30 s steps), and two-factor turned on through the
// API, for the journeys that need a two-factor account (two_factor.test.mjs, ux.test.mjs, screenshots).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { api, PASSWORD } from "./helpers.mjs";

function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(c);
    assert.ok(v >= 0, `not base32: ${text}`);
    bits += v.toString(2).padStart(5, "0");
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The code of time step `step` for a base32 `secret`. */
export function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const o = h[19] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, "0");
}

export const stepNow = () => Math.floor(Date.now() / 1000 / 30);

/**
 * Turns two-factor on for the account of `token` through the API; returns its secret, the step its enabling
 * code used (a later sign-in needs a later step) and the recovery codes.
 */
export async function enableTwoFactorViaApi(token, password = PASSWORD) {
  const setup = await api("/api/auth/2fa/setup", { method: "POST", token, body: { current_password: password } });
  assert.equal(setup.status, 200, `2fa setup: ${JSON.stringify(setup.body)}`);
  const step = stepNow();
  const enabled = await api("/api/auth/2fa/enable", { method: "POST", token, body: { code: totp(setup.body.secret, step) } });
  assert.equal(enabled.status, 200, `2fa enable: ${JSON.stringify(enabled.body)}`);
  return { secret: setup.body.secret, step, recoveryCodes: enabled.body.recovery_codes };
}
