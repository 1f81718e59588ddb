// After `next build`: the Content-Security-Policy of every page built once (the public pages), written into
// the headers Next.js serves with it (the `.meta` file beside each prerendered `.html`). The policy allows
// this origin's script files and, by their SHA-256, exactly the inline scripts of that page (the theme
// script, Next.js's own bootstrapping and its serialized page data) — no nonce, so the page stays a file
// served as it is, and an injected inline script does not run. Protected pages are rendered per request
// and get a nonce instead (proxy.ts). Next.js (16) cannot do this itself: its `experimental.sri` covers
// script files only, not the inline ones (vercel/next.js#95354).
// env: NEXT_DIST_DIR (.next). Fails when a prerendered page has no headers file (a changed build layout).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { contentSecurityPolicy, sha256Source } from "../lib/csp.mjs";

const dist = process.env.NEXT_DIST_DIR || ".next";
const root = path.join(dist, "server", "app");

/** Every `.html` under `dir`. */
function htmlFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return htmlFiles(full);
    return entry.name.endsWith(".html") ? [full] : [];
  });
}

/** The text of every inline <script> (no `src`) of a page, exactly as the browser will hash it. */
function inlineScripts(html) {
  const out = [];
  for (const match of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)) {
    const attributes = match[1] ?? "";
    if (/\ssrc\s*=/i.test(attributes)) continue;
    out.push(match[2] ?? "");
  }
  return out;
}

const pages = htmlFiles(root);
if (pages.length === 0) {
  console.error(`csp-hashes: no prerendered page under ${root}`);
  process.exit(1);
}
let scripts = 0;
for (const file of pages) {
  const metaFile = file.replace(/\.html$/, ".meta");
  let meta;
  try {
    meta = JSON.parse(readFileSync(metaFile, "utf8"));
  } catch (err) {
    console.error(`csp-hashes: ${metaFile} cannot be read (${err.message}): the build's layout has changed`);
    process.exit(1);
  }
  const hashes = [...new Set(inlineScripts(readFileSync(file, "utf8")).map(sha256Source))];
  scripts += hashes.length;
  meta.headers = { ...meta.headers, "content-security-policy": contentSecurityPolicy(hashes) };
  writeFileSync(metaFile, JSON.stringify(meta, null, 2));
}
console.log(`csp-hashes: ${pages.length} prerendered pages, ${scripts} inline scripts allowed by hash`);
