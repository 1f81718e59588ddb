// The public pages (/, /login, /register, …) are built once (`next build` prerenders them, and
// scripts/csp-hashes.mjs writes their CSP into their headers): the same bytes for every visitor. Next.js
// still runs its whole request pipeline to send such a file (about 0.7 ms of CPU each, 15 times what the
// API spends on a task list). So server.mjs asks Next.js once, at start, for each of them and keeps the
// answer — status, headers and body exactly as Next.js sent them — and sends those bytes to every plain
// visit. Whatever Next.js must decide itself still goes to it: client-side navigations and prefetches (RSC
// requests), any method but GET/HEAD, and any request with a session cookie (proxy.ts may act on it).
import { request } from "node:http";
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

/** Request headers with which Next.js answers something else than the page's HTML. */
const NEXT_ROUTER_HEADERS = ["rsc", "next-router-prefetch", "next-router-state-tree", "next-router-segment-prefetch", "next-action"];
/** Response headers of one connection or one moment, never replayed. */
const NOT_KEPT = new Set(["date", "connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"]);

/** The prerendered pages of a build (`prerender-manifest.json`): paths whose HTML never changes. */
export function prerenderedPages(distDir) {
  const manifest = JSON.parse(readFileSync(path.join(distDir, "prerender-manifest.json"), "utf8"));
  return Object.entries(manifest.routes)
    .filter(([route, info]) => !route.startsWith("/_") && info.dataRoute && info.initialRevalidateSeconds === false)
    .map(([route]) => route);
}

/** Whether a request may be answered with the page's kept bytes (see the module's comment). */
export function isPlainVisit(req) {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  for (const name of NEXT_ROUTER_HEADERS) if (req.headers[name] !== undefined) return false;
  if ((req.headers.cookie ?? "").includes("todo_session=")) return false;
  const query = (req.url ?? "").indexOf("?");
  return query < 0 || !/(^|&)_rsc=/.test((req.url ?? "").slice(query + 1));
}

function ask(origin, route) {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}${route}`, { headers: { accept: "text/html" } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

export function createStaticPages() {
  /** path -> { headers, body, gzipped, etag } */
  const pages = new Map();

  return {
    /** Asks the running server (at `origin`) for each route once; keeps the 200 HTML answers. */
    async keep(origin, routes) {
      for (const route of routes) {
        const answer = await ask(origin, route);
        const type = String(answer.headers["content-type"] ?? "");
        if (answer.status !== 200 || !type.startsWith("text/html")) continue;
        const headers = {};
        for (const [name, value] of Object.entries(answer.headers)) if (!NOT_KEPT.has(name)) headers[name] = value;
        pages.set(route, { headers, body: answer.body, gzipped: gzipSync(answer.body), etag: headers.etag });
      }
      return [...pages.keys()];
    },

    /** Answers a plain visit of a kept page and returns true; false leaves the request to Next.js. */
    serve(req, res) {
      if (pages.size === 0 || !isPlainVisit(req)) return false;
      const url = req.url ?? "/";
      const query = url.indexOf("?");
      const page = pages.get(query < 0 ? url : url.slice(0, query));
      if (!page) return false;
      if (page.etag && req.headers["if-none-match"] === page.etag) {
        res.writeHead(304, page.headers);
        res.end();
        return true;
      }
      const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
      const body = gzip ? page.gzipped : page.body;
      res.writeHead(200, { ...page.headers, "content-length": body.length, ...(gzip ? { "content-encoding": "gzip" } : {}) });
      res.end(req.method === "HEAD" ? undefined : body);
      return true;
    },
  };
}
