// The web app's HTTP server: Next.js's own request handler behind a Node server that records the browser's
// address. X-Forwarded-For from the client is never believed: it is replaced by the socket's peer address,
// which the API-forwarding route (app/api/[...path]/route.ts) passes on to the API (a TRUSTED_PROXIES peer
// there), so the API's per-client throttling keys on the browser, and nothing else can set it.
// env: WEB_PORT (3000), WEB_HOST (all interfaces), NEXT_DIST_DIR (.next).
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import next from "next";

const port = Number(process.env.WEB_PORT || 3000);
const hostname = process.env.WEB_HOST || undefined;
const app = next({ dev: false, dir: fileURLToPath(new URL(".", import.meta.url)), hostname, port });
const handle = app.getRequestHandler();
await app.prepare();

createServer((req, res) => {
  const peer = (req.socket.remoteAddress || "").replace(/^::ffff:/, "");
  req.headers["x-forwarded-for"] = peer;
  handle(req, res);
}).listen(port, hostname, () => {
  console.log(`web app listening on http://${hostname ?? "0.0.0.0"}:${port}`);
});
