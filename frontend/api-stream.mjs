// `/api/...` of the web app's origin, streamed to the API (`make run`; under `make cluster` nginx routes it by
// path instead). The API reads the session cookie itself (backend/src/web_session.rs), so this hop understands
// nothing: no cookie parsing, no body buffering — the request and the answer are piped through as they come,
// over kept-alive connections. Only the browser's address is added: X-Forwarded-For is replaced (never
// appended to) by this socket's peer, which the API believes from this server alone (TRUSTED_PROXIES), so the
// throttles key on the browser and no client can choose its own key.
// The client side is undici's connection pool: measured against node:http's client on this path it spends
// about 0.6x the CPU per request (bench/notes.md, "The browser's path").
import { Pool } from "undici";

/** Headers of one connection, not of the request (RFC 9110 §7.6.1), never passed on; `host` is the API's own
 * and `expect` (100-continue) is answered by this server, not forwarded. */
const NOT_FORWARDED = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "expect",
]);
const HOP_BY_HOP = new Set([...NOT_FORWARDED].filter((h) => h !== "host" && h !== "expect"));

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

function unavailable(res) {
  res.writeHead(503, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(UNAVAILABLE),
    "cache-control": "no-store",
    "retry-after": "1",
  });
  res.end(UNAVAILABLE);
}

/**
 * A request handler `(req, res)` that streams to `apiUrl` (http or https). Idle connections to the API are
 * closed after `idleMs` (below the API's HEADER_READ_TIMEOUT_SECONDS, 10 s by default), so a kept-alive
 * connection is never reused just as the API closes it.
 */
export function createApiStream(apiUrl, { idleMs = 4000, connections = 256 } = {}) {
  const pool = new Pool(new URL(apiUrl).origin, { connections, pipelining: 1, keepAliveTimeout: idleMs });

  function stream(req, res) {
    const headers = without(req.headers, NOT_FORWARDED);
    headers["x-forwarded-for"] = peerAddress(req.socket);
    // The browser went away before the answer was complete: so does the request to the API.
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    const body = req.method === "GET" || req.method === "HEAD" ? null : req;
    let answered = false;
    pool.stream(
      { method: req.method, path: req.url, headers, body, signal: abort.signal },
      ({ statusCode, headers: answer }) => {
        answered = true;
        res.writeHead(statusCode, without(answer, HOP_BY_HOP));
        return res; // the answer's body is written into the browser's response as it comes
      },
      (err) => {
        if (!err || abort.signal.aborted) return;
        // Once the API has answered, its answer breaking off breaks the browser's too: never a shorter valid one.
        if (answered) res.destroy();
        else unavailable(res);
      },
    );
  }

  stream.close = () => pool.destroy();
  return stream;
}
