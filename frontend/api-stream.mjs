// `/api/...` of the web app's origin, streamed to the API at the socket level (`make run`; under `make cluster`
// nginx routes it by path instead). The API reads the session cookie itself (backend/src/web_session.rs), so
// this hop understands nothing: no cookie parsing, no body buffering — the request and the answer are piped
// through as they come, over kept-alive connections. Only the browser's address is added: X-Forwarded-For is
// replaced (never appended to) by this socket's peer, which the API believes from this server alone
// (TRUSTED_PROXIES), so the throttles key on the browser and no client can choose its own key.
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/** Headers of one connection, not of the request (RFC 9110 §7.6.1), never passed on. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

const UNAVAILABLE = JSON.stringify({ detail: "Service temporarily unavailable" });

/** True for the paths this stream serves: `/api` and everything under it. */
export function isApiPath(url) {
  return url === "/api" || url.startsWith("/api/") || url.startsWith("/api?");
}

/** The client's address as the socket saw it (an IPv4 peer of a dual-stack socket without its `::ffff:`). */
export function peerAddress(socket) {
  return (socket.remoteAddress || "").replace(/^::ffff:/, "");
}

function without(headers, drop) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !drop.has(name)) out[name] = value;
  }
  return out;
}

/**
 * A request handler `(req, res)` that streams to `apiUrl` (http or https). Idle upstream connections are
 * closed after `idleMs` (below the API's HEADER_READ_TIMEOUT_SECONDS, 10 s by default), so a kept-alive
 * connection is never reused just as the API closes it.
 */
export function createApiStream(apiUrl, { idleMs = 4000, maxSockets = 256 } = {}) {
  const target = new URL(apiUrl);
  const secure = target.protocol === "https:";
  const agent = new (secure ? HttpsAgent : HttpAgent)({ keepAlive: true, timeout: idleMs, maxSockets, scheduling: "lifo" });
  const send = secure ? httpsRequest : httpRequest;
  const port = target.port || (secure ? 443 : 80);

  function stream(req, res) {
    const headers = without(req.headers, HOP_BY_HOP);
    headers["x-forwarded-for"] = peerAddress(req.socket);
    const upstream = send({ hostname: target.hostname, port, method: req.method, path: req.url, headers, agent });

    upstream.on("response", (answer) => {
      res.writeHead(answer.statusCode ?? 502, without(answer.headers, HOP_BY_HOP));
      answer.pipe(res);
      // The API's answer broke off (a stream aborted on an error): so does the browser's.
      answer.on("close", () => {
        if (!answer.complete) res.destroy();
      });
    });
    upstream.on("error", () => {
      if (res.headersSent) {
        res.destroy(); // the answer had begun: the browser sees a broken response, never a shorter valid one
        return;
      }
      res.writeHead(503, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(UNAVAILABLE),
        "cache-control": "no-store",
        "retry-after": "1",
      });
      res.end(UNAVAILABLE);
    });
    // The browser went away before the answer was complete: so does the request to the API.
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  stream.close = () => agent.destroy();
  return stream;
}
