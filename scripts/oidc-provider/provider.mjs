#!/usr/bin/env node
// A real OpenID Provider for tests and local development: panva's `oidc-provider` (OpenID Certified),
// configured entirely by environment variables or --flags. Loopback only; never for production.
//
//   node provider.mjs --port 9400 --clients '[{"client_id":"web","client_secret":"s3cret",
//        "redirect_uris":["http://127.0.0.1:3000/api/auth/oidc/local/callback"]}]'
//
// Prints one line `READY {"issuer":"http://127.0.0.1:9400","port":9400}` on stdout once it listens
// (with --port 0 it picks a free port). See README.md for every option and the test-control endpoints.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider from 'oidc-provider';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// A configuration mistake ends the process with one line and exit code 2 (no stack trace).
process.on('uncaughtException', (e) => {
  process.stderr.write(`oidc-provider: ${e.message}\n`);
  process.exit(2);
});

// ---------------------------------------------------------------------------------------------
// Options: --name value / --name=value, or the environment variable OP_<NAME> (flag wins).
// ---------------------------------------------------------------------------------------------
const OPTIONS = {
  port: 'OP_PORT', // default 9400; 0 = any free port
  host: 'OP_HOST', // default 127.0.0.1
  issuer: 'OP_ISSUER', // default http://<host>:<port> (no trailing slash)
  clients: 'OP_CLIENTS', // JSON array, or @path/to/file.json
  'client-id': 'OP_CLIENT_ID', // shorthand for a single client ...
  'client-secret': 'OP_CLIENT_SECRET',
  'redirect-uris': 'OP_REDIRECT_URIS', // ... comma list
  users: 'OP_USERS', // JSON array, or @path/to/file.json (default: users.json beside this file)
  'jwks-file': 'OP_JWKS_FILE', // private JWKS; created (fresh key) when the file does not exist
  'signing-alg': 'OP_SIGNING_ALG', // RS256 (default) or ES256, for the generated key
  'id-token-ttl': 'OP_ID_TOKEN_TTL', // seconds, default 600
  'conform-id-token-claims': 'OP_CONFORM_ID_TOKEN_CLAIMS', // 1 = email/name only from /me (userinfo)
  'test-control': 'OP_TEST_CONTROL', // 1 = enable the /__test/* endpoints
  misbehave: 'OP_MISBEHAVE', // a mode (see MODES) applied to every ID token
  quiet: 'OP_QUIET', // 1 = no request log on stderr
};

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`options (flag or env):\n${Object.entries(OPTIONS).map(([k, v]) => `  --${k}  ${v}`).join('\n')}\n`);
      process.exit(0);
    }
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!(name in OPTIONS)) throw new Error(`unknown option --${name} (try --help)`);
    if (eq > 0) {
      out[name] = arg.slice(eq + 1);
    } else {
      if (i + 1 >= argv.length) throw new Error(`--${name} needs a value`);
      out[name] = argv[i + 1];
      i += 1;
    }
  }
  return out;
}

const flags = parseArgs(process.argv.slice(2));
const opt = (name, dflt) => {
  if (flags[name] !== undefined) return flags[name];
  const env = process.env[OPTIONS[name]];
  return env !== undefined && env !== '' ? env : dflt;
};
const truthy = (v) => ['1', 'true', 'yes', 'on'].includes(String(v).toLowerCase());

function readJsonOption(value, what) {
  if (value === undefined) return undefined;
  const text = value.startsWith('@') ? fs.readFileSync(value.slice(1), 'utf8') : value;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what}: not valid JSON (${e.message})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Users and clients
// ---------------------------------------------------------------------------------------------
const users = readJsonOption(opt('users', `@${path.join(HERE, 'users.json')}`), 'users');
if (!Array.isArray(users) || users.length === 0) throw new Error('users: expected a non-empty JSON array');
for (const u of users) {
  if (typeof u.sub !== 'string' || !u.sub) throw new Error(`users: every user needs a "sub" (${JSON.stringify(u)})`);
}
const findUserByLogin = (login) => {
  const l = String(login || '').trim().toLowerCase();
  return users.find((u) => [u.login, u.email, u.sub].some((x) => typeof x === 'string' && x.toLowerCase() === l));
};
const findUserBySub = (sub) => users.find((u) => u.sub === sub);

const signingAlg = opt('signing-alg', 'RS256');
let clients = readJsonOption(opt('clients'), 'clients');
if (!clients && opt('client-id')) {
  clients = [{
    client_id: opt('client-id'),
    client_secret: opt('client-secret'),
    redirect_uris: String(opt('redirect-uris', '')).split(',').map((s) => s.trim()).filter(Boolean),
  }];
}
if (!Array.isArray(clients) || clients.length === 0) {
  throw new Error('no client configured: set OP_CLIENTS (JSON array) or OP_CLIENT_ID/OP_CLIENT_SECRET/OP_REDIRECT_URIS');
}
// Our own per-client settings (not oidc-provider client metadata): `consent: true` shows a consent
// page with Allow / Deny instead of granting automatically.
const LOCAL_CLIENT_KEYS = ['consent'];
const consentClients = new Set(clients.filter((c) => c.consent).map((c) => c.client_id));
const providerClients = clients.map((c) => {
  const copy = { ...c };
  for (const k of LOCAL_CLIENT_KEYS) delete copy[k];
  return {
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: signingAlg,
    ...copy,
  };
});
// oidc-provider 9 never signs with `none`; HS256 (keyed with the client secret) is allowed only when
// a client asks for it (`"id_token_signed_response_alg": "HS256"`), then it is also advertised.
const wantsHS256 = providerClients.some((c) => c.id_token_signed_response_alg === 'HS256');
const clientSecrets = new Map(clients.map((c) => [c.client_id, c.client_secret]));

// ---------------------------------------------------------------------------------------------
// Signing keys: a private JWKS from a file, or a fresh key on every start (a restart = a key rotation)
// ---------------------------------------------------------------------------------------------
function generateJwk(alg) {
  // Keys come back as PEM and are re-imported before the JWK export: exporting the KeyObject that
  // generateKeyPairSync returns can deadlock Node 20 (a GC during ExportJWK destroys the key-gen
  // job, which locks the same key data; seen as a provider that never prints READY).
  const encoding = { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } };
  let pair;
  if (alg === 'ES256') {
    pair = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256', ...encoding });
  } else if (alg === 'RS256') {
    pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, ...encoding });
  } else {
    throw new Error(`signing-alg: ${alg} is not supported here (RS256 or ES256)`);
  }
  const jwk = crypto.createPrivateKey(pair.privateKey).export({ format: 'jwk' });
  const pub = crypto.createPublicKey(pair.publicKey).export({ format: 'jwk' });
  const thumbInput = jwk.kty === 'RSA'
    ? JSON.stringify({ e: pub.e, kty: 'RSA', n: pub.n })
    : JSON.stringify({ crv: pub.crv, kty: 'EC', x: pub.x, y: pub.y });
  return { ...jwk, kid: crypto.createHash('sha256').update(thumbInput).digest('base64url'), alg, use: 'sig' };
}

const jwksFile = opt('jwks-file');
let jwks;
if (jwksFile && fs.existsSync(jwksFile)) {
  jwks = JSON.parse(fs.readFileSync(jwksFile, 'utf8'));
} else {
  jwks = { keys: [generateJwk(signingAlg)] };
  if (jwksFile) fs.writeFileSync(jwksFile, JSON.stringify(jwks), { mode: 0o600 });
}
const signingJwk = jwks.keys[0];

// ---------------------------------------------------------------------------------------------
// Misbehaviour: rewrite the ID token in a /token response (for negative tests of the relying party)
// ---------------------------------------------------------------------------------------------
const b64u = (buf) => Buffer.from(buf).toString('base64url');
const decodeJwt = (jwt) => {
  const [h, p, s] = jwt.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), payload: JSON.parse(Buffer.from(p, 'base64url')), sig: s };
};
function signJwt(header, payload, keyJwk, secret) {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  let sig;
  if (header.alg === 'none') {
    sig = '';
  } else if (header.alg === 'HS256') {
    sig = b64u(crypto.createHmac('sha256', secret).update(input).digest());
  } else if (header.alg === 'RS256') {
    sig = b64u(crypto.sign('sha256', Buffer.from(input), crypto.createPrivateKey({ key: keyJwk, format: 'jwk' })));
  } else if (header.alg === 'ES256') {
    sig = b64u(crypto.sign('sha256', Buffer.from(input), { key: crypto.createPrivateKey({ key: keyJwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }));
  } else {
    throw new Error(`cannot sign ${header.alg}`);
  }
  return `${input}.${sig}`;
}
const now = () => Math.floor(Date.now() / 1000);

// Each mode takes the genuine ID token the provider just issued and returns what is sent instead.
// Unless said otherwise, the result is re-signed with the provider's own published key, so exactly
// one check of the relying party is meant to fail.
const MODES = {
  'alg-none': (t) => signJwt({ alg: 'none', typ: 'JWT' }, t.payload),
  'unknown-key': (t) => { const k = generateJwk(t.header.alg === 'ES256' ? 'ES256' : 'RS256'); return signJwt({ ...t.header, kid: k.kid }, t.payload, k); },
  'unknown-key-same-kid': (t) => signJwt(t.header, t.payload, generateJwk(t.header.alg === 'ES256' ? 'ES256' : 'RS256')),
  'hs256-client-secret': (t, c) => signJwt({ alg: 'HS256', typ: 'JWT' }, t.payload, null, clientSecrets.get(c.clientId) || ''),
  'bad-signature': (t) => { const p = { ...t.payload, email: 'mallory@example.com' }; return `${b64u(JSON.stringify(t.header))}.${b64u(JSON.stringify(p))}.${t.sig}`; },
  'wrong-aud': (t) => signJwt(t.header, { ...t.payload, aud: 'some-other-client' }, signingJwk),
  'extra-aud': (t) => signJwt(t.header, { ...t.payload, aud: [t.payload.aud, 'some-other-client'], azp: t.payload.aud }, signingJwk),
  'wrong-iss': (t) => signJwt(t.header, { ...t.payload, iss: `${t.payload.iss}/evil` }, signingJwk),
  expired: (t) => signJwt(t.header, { ...t.payload, iat: now() - 7200, exp: now() - 3600 }, signingJwk),
  'iat-future': (t) => signJwt(t.header, { ...t.payload, iat: now() + 3600, exp: now() + 7200 }, signingJwk),
  'wrong-nonce': (t) => signJwt(t.header, { ...t.payload, nonce: b64u(crypto.randomBytes(16)) }, signingJwk),
  'no-nonce': (t) => { const { nonce, ...p } = t.payload; return signJwt(t.header, p, signingJwk); },
  'bad-at-hash': (t) => signJwt(t.header, { ...t.payload, at_hash: b64u(crypto.randomBytes(16)) }, signingJwk),
  'good-at-hash': (t, c, body) => {
    const h = crypto.createHash('sha256').update(body.access_token).digest();
    return signJwt(t.header, { ...t.payload, at_hash: b64u(h.subarray(0, 16)) }, signingJwk);
  },
  'no-id-token': () => undefined,
};
const rules = []; // { mode, client_id?, code?, persist, delay_ms? }
const startupMode = opt('misbehave');
if (startupMode) {
  if (!(startupMode in MODES)) throw new Error(`misbehave: unknown mode ${startupMode} (${Object.keys(MODES).join(', ')})`);
  rules.push({ mode: startupMode, persist: true });
}

async function misbehaveMiddleware(ctx, next) {
  await next();
  if (ctx.oidc?.route !== 'token' || ctx.status !== 200 || !ctx.body?.id_token || rules.length === 0) return;
  const clientId = ctx.oidc.client?.clientId;
  const code = ctx.oidc.params?.code;
  const i = rules.findIndex((r) => (!r.client_id || r.client_id === clientId) && (!r.code || r.code === code));
  if (i < 0) return;
  const rule = rules[i];
  if (!rule.persist) rules.splice(i, 1);
  if (rule.delay_ms) await new Promise((r) => { setTimeout(r, rule.delay_ms); });
  if (!rule.mode) return;
  const body = { ...ctx.body };
  const replaced = MODES[rule.mode](decodeJwt(body.id_token), ctx.oidc.client, body);
  if (replaced === undefined) delete body.id_token; else body.id_token = replaced;
  ctx.body = body;
  log(`misbehave: ${rule.mode} applied to the ID token for ${clientId}`);
}

// ---------------------------------------------------------------------------------------------
// Pages (no external resources: tests stay on loopback)
// ---------------------------------------------------------------------------------------------
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const page = (title, body) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1rem}.error{color:#b00020}.hint{color:#555;font-size:.85rem}
form.inline{display:inline}</style></head><body>${body}</body></html>`;

function loginPage(uid, client, { error, login } = {}) {
  const list = users.map((u) => `<li><code>${esc(u.login || u.email || u.sub)}</code>${
    typeof u.password === 'string' ? ` / <code>${esc(u.password)}</code>` : ' (any password)'}${
    u.email === undefined ? ', no email' : u.email_verified === true ? '' : ', email not verified'}</li>`).join('');
  return page('Sign in – test OpenID provider', `
<h1>Test OpenID provider</h1>
<p>Sign in to continue to <strong>${esc(client?.clientName || client?.clientId)}</strong>.</p>
${error ? `<p class="error" role="alert" id="error">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" id="login-form">
  <label for="login">Login or email</label>
  <input id="login" name="login" autocomplete="off" autofocus required value="${esc(login)}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="off">
  <button type="submit" id="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${esc(uid)}/abort" class="inline">
  <button type="submit" id="cancel">Cancel</button>
</form>
<p class="hint">Test users (login / password):</p><ul class="hint">${list}</ul>`);
}

function consentPage(uid, client, details) {
  const scopes = (details.missingOIDCScope || []).filter((s) => s !== 'openid');
  return page('Allow access – test OpenID provider', `
<h1>Allow access?</h1>
<p><strong>${esc(client?.clientName || client?.clientId)}</strong> asks for: ${esc(scopes.join(', ') || 'sign-in')}</p>
<form method="post" action="/interaction/${esc(uid)}/consent" class="inline"><button type="submit" id="allow">Allow</button></form>
<form method="post" action="/interaction/${esc(uid)}/abort" class="inline"><button type="submit" id="deny">Deny</button></form>`);
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  ctx.body = page('Error – test OpenID provider', `<h1>Something went wrong</h1>${
    Object.entries(out).map(([k, v]) => `<p><strong>${esc(k)}</strong>: <span class="${esc(k)}">${esc(v)}</span></p>`).join('')}`);
}

// ---------------------------------------------------------------------------------------------
// The provider
// ---------------------------------------------------------------------------------------------
const quiet = truthy(opt('quiet', '0'));
const log = (msg) => { if (!quiet) process.stderr.write(`[oidc-provider ${process.pid}] ${msg}\n`); };

function buildProvider(issuer) {
  const idTokenTtl = Number(opt('id-token-ttl', '600'));
  const provider = new Provider(issuer, {
    clients: providerClients,
    jwks,
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256', 'Ed25519', 'EdDSA', ...(wantsHS256 ? ['HS256'] : [])],
    },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    scopes: ['openid', 'email', 'profile'],
    conformIdTokenClaims: truthy(opt('conform-id-token-claims', '0')),
    pkce: { required: () => true }, // S256 is the only method oidc-provider 9 supports
    responseTypes: ['code'],
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: true },
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: idTokenTtl,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    renderError,
    async findAccount(ctx, sub) {
      const user = findUserBySub(sub);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        async claims() {
          const c = { sub: user.sub };
          if (user.email !== undefined) c.email = user.email;
          if (user.email_verified !== undefined) c.email_verified = user.email_verified;
          if (user.name !== undefined) c.name = user.name;
          return c;
        },
      };
    },
    // Consent is granted automatically (first-party client), unless the client says `consent: true`.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      if (consentClients.has(ctx.oidc.client.clientId)) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  provider.use(misbehaveMiddleware);
  provider.on('server_error', (ctx, err) => log(`server_error: ${err.stack || err}`));
  provider.on('grant.error', (ctx, err) => log(`grant.error: ${err.message} ${err.error_description || ''}`));
  provider.on('authorization.error', (ctx, err) => log(`authorization.error: ${err.message} ${err.error_description || ''}`));
  return provider;
}

// ---------------------------------------------------------------------------------------------
// HTTP: our interaction pages and test-control endpoints, everything else to oidc-provider
// ---------------------------------------------------------------------------------------------
const readBody = (req) => new Promise((resolve, reject) => {
  let data = '';
  req.setEncoding('utf8');
  req.on('data', (c) => { data += c; if (data.length > 65536) reject(new Error('body too large')); });
  req.on('end', () => resolve(data));
  req.on('error', reject);
});
const send = (res, status, body, type = 'text/html; charset=utf-8') => {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
};

async function handleInteraction(provider, req, res, url) {
  const m = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login|abort|consent))?$/);
  if (!m) return send(res, 404, page('Not found', '<h1>Not found</h1>'));
  const [, uid, action] = m;
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (e) {
    return send(res, 400, page('Sign-in expired', `<h1>This sign-in has expired or is unknown</h1><p>${esc(e.message)}</p>`));
  }
  if (details.uid !== uid) return send(res, 400, page('Sign-in mismatch', '<h1>Sign-in mismatch</h1>'));
  const client = await provider.Client.find(details.params.client_id);
  const { prompt } = details;

  if (!action && req.method === 'GET') {
    if (prompt.name === 'login') return send(res, 200, loginPage(uid, client, { login: details.params.login_hint }));
    if (prompt.name === 'consent') return send(res, 200, consentPage(uid, client, prompt.details));
    return send(res, 501, page('Not implemented', `<h1>prompt ${esc(prompt.name)} not implemented</h1>`));
  }
  if (req.method !== 'POST') return send(res, 405, page('Method not allowed', '<h1>Method not allowed</h1>'));
  const form = new URLSearchParams(await readBody(req));

  if (action === 'abort') {
    log(`interaction ${uid}: the user cancelled`);
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
  }
  if (action === 'login') {
    if (prompt.name !== 'login') return send(res, 400, page('Unexpected', '<h1>Not at the login step</h1>'));
    const user = findUserByLogin(form.get('login'));
    if (!user || (typeof user.password === 'string' && user.password !== form.get('password'))) {
      return send(res, 200, loginPage(uid, client, { error: 'Unknown login or wrong password.', login: form.get('login') }));
    }
    log(`interaction ${uid}: signed in as ${user.sub}`);
    return provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
  }
  if (action === 'consent') {
    if (prompt.name !== 'consent') return send(res, 400, page('Unexpected', '<h1>Not at the consent step</h1>'));
    const { grantId, session, params } = details;
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }
  return send(res, 404, page('Not found', '<h1>Not found</h1>'));
}

async function handleTestControl(req, res, url) {
  const json = (status, obj) => send(res, status, JSON.stringify(obj), 'application/json');
  if (url.pathname === '/__test/misbehave' && req.method === 'POST') {
    let rule;
    try { rule = JSON.parse(await readBody(req) || '{}'); } catch { return json(400, { error: 'body must be JSON' }); }
    if (rule.mode !== undefined && !(rule.mode in MODES)) return json(400, { error: `unknown mode ${rule.mode}`, modes: Object.keys(MODES) });
    if (rule.mode === undefined && !rule.delay_ms) return json(400, { error: 'give a mode and/or delay_ms', modes: Object.keys(MODES) });
    rules.push({ mode: rule.mode, client_id: rule.client_id, code: rule.code, persist: !!rule.persist, delay_ms: Number(rule.delay_ms) || 0 });
    return json(200, { rules });
  }
  if (url.pathname === '/__test/misbehave' && req.method === 'DELETE') {
    rules.length = 0;
    return json(200, { rules });
  }
  if (url.pathname === '/__test/misbehave' && req.method === 'GET') return json(200, { rules, modes: Object.keys(MODES) });
  return json(404, { error: 'not found' });
}

const host = opt('host', '127.0.0.1');
const wantedPort = Number(opt('port', '9400'));
const testControl = truthy(opt('test-control', '0'));
let provider;
let providerCallback;

const server = http.createServer((req, res) => {
  if (!provider) return send(res, 503, 'starting', 'text/plain');
  const url = new URL(req.url, 'http://localhost');
  // A browser asks every site for its icon; an empty answer keeps a 404 out of the browser tests' console.
  if (url.pathname === '/favicon.ico') { res.writeHead(204, { 'Cache-Control': 'max-age=86400' }); return res.end(); }
  if (!quiet && !url.pathname.startsWith('/interaction/')) log(`${req.method} ${url.pathname}`);
  const done = (p) => p.catch((e) => {
    log(`error: ${e.stack || e}`);
    if (!res.headersSent) send(res, 500, page('Error', '<h1>Internal error</h1>'));
  });
  if (url.pathname.startsWith('/interaction/')) return done(handleInteraction(provider, req, res, url));
  if (url.pathname.startsWith('/__test/')) {
    if (!testControl) return send(res, 404, 'not found', 'text/plain');
    return done(handleTestControl(req, res, url));
  }
  return providerCallback(req, res);
});

server.listen(wantedPort, host, () => {
  const { port } = server.address();
  const issuer = opt('issuer', `http://${host}:${port}`);
  provider = buildProvider(issuer);
  providerCallback = provider.callback();
  process.stdout.write(`READY ${JSON.stringify({ issuer, port, pid: process.pid })}\n`);
});
server.on('error', (e) => {
  process.stderr.write(`oidc-provider: cannot listen on ${host}:${wantedPort}: ${e.message}\n`);
  process.exit(1);
});

const stop = () => { server.close(); server.closeAllConnections(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
