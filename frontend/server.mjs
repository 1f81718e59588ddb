// The web app's HTTP server (`make run`, `make cluster`, the browser tests). Three ways in:
// - `/api/...` is streamed to the API (api-stream.mjs): the browser's calls never enter Next.js, and the API
//   reads the session cookie itself;
// - a plain visit of a public page (built once, with a hash-based CSP written into its headers at build time
//   by scripts/csp-hashes.mjs) gets the bytes Next.js answered for it at start (static-pages.mjs);
// - everything else is Next.js: the protected pages render per request, client-side navigations, assets.
// WEB_WORKERS processes (default: one per CPU) share the port (node:cluster); each answers SIGTERM by
// finishing what it has in hand and exiting.
// env: WEB_PORT (3000), WEB_HOST (all interfaces), NEXT_DIST_DIR (.next), API_INTERNAL_URL (where the API is;
//      http://localhost:8000), WEB_URL (the public origins: the cookie's name), WEB_WORKERS (one per CPU),
//      WEB_SHUTDOWN_GRACE_SECONDS (10).
import cluster from "node:cluster";
import { createServer } from "node:http";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createApiStream, isApiPath } from "./api-stream.mjs";
import { createStaticPages, prerenderedPages } from "./static-pages.mjs";

// The production build of React and Next.js (as `next start` sets it), before either is loaded.
process.env.NODE_ENV ||= "production";
const { default: next } = await import("next");

const port = Number(process.env.WEB_PORT || 3000);
const hostname = process.env.WEB_HOST || undefined;
const workers = Math.max(1, Number(process.env.WEB_WORKERS || availableParallelism()));
const grace = 1000 * Number(process.env.WEB_SHUTDOWN_GRACE_SECONDS || 10);
const apiUrl = process.env.API_INTERNAL_URL || "http://localhost:8000";

if (cluster.isPrimary && workers > 1) {
  let stopping = false;
  for (let i = 0; i < workers; i += 1) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    console.error(`web worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    cluster.fork();
  });
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  console.log(`web app: ${workers} workers on http://${hostname ?? "0.0.0.0"}:${port} (API ${apiUrl})`);
} else {
  const dir = fileURLToPath(new URL(".", import.meta.url));
  const app = next({ dev: false, dir, hostname, port });
  const handle = app.getRequestHandler();
  await app.prepare();
  const api = createApiStream(apiUrl);
  const pages = createStaticPages();

  const server = createServer((req, res) => {
    if (isApiPath(req.url ?? "")) api(req, res);
    else if (!pages.serve(req, res)) handle(req, res);
  });
  server.listen(port, hostname, async () => {
    if (cluster.isPrimary) console.log(`web app listening on http://${hostname ?? "0.0.0.0"}:${port} (API ${apiUrl})`);
    const self = !hostname || hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
    const distDir = path.join(dir, process.env.NEXT_DIST_DIR || ".next");
    try {
      await pages.keep(`http://${self.includes(":") ? `[${self}]` : self}:${port}`, prerenderedPages(distDir));
    } catch (err) {
      console.error(`web app: public pages stay with Next.js (${err instanceof Error ? err.message : err})`);
    }
  });

  // Stop taking connections, let the requests in hand finish (idle kept-alive connections close now), exit.
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), grace).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
