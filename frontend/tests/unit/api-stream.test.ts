// @vitest-environment node
// The web server's /api/... stream (api-stream.mjs) between a real HTTP client and a stand-in API, both on
// loopback: what passes, what is replaced, that nothing waits for a whole body, and what a dead API gives.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createApiStream, isApiPath } from "../../api-stream.mjs";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];
const streams: { close: () => void }[] = [];

afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(handler: Handler): Promise<{ server: Server; url: string; port: number }> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, port };
}

/** The stand-in API behind the web server's stream; returns the web server's port. */
async function webServerFor(api: Handler): Promise<{ port: number; apiServer: Server }> {
  const { server: apiServer, url } = await listen(api);
  const stream = createApiStream(url);
  streams.push(stream);
  const { port } = await listen((req, res) => stream(req, res));
  return { port, apiServer };
}

interface Answer {
  status: number;
  headers: IncomingMessage["headers"];
  body: string;
}

/** One request to the web server; `onFirstBytes` is called when the first body bytes arrive. */
function call(
  port: number,
  { method = "GET", path = "/api/tasks", headers = {}, body }: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
  onFirstBytes?: () => void,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let text = "";
      let first = true;
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
        if (first) onFirstBytes?.();
        first = false;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("the /api/... stream to the API", () => {
  it("passes the request and the answer through, with the browser's address in place of any X-Forwarded-For", async () => {
    let seen: IncomingMessage | undefined;
    const { port } = await webServerFor((req, res) => {
      seen = req;
      res.writeHead(201, [
        ["Content-Type", "application/json"],
        ["Set-Cookie", "todo_session=abc; Path=/; HttpOnly"],
        ["Set-Cookie", "other=1; Path=/"],
        ["Retry-After", "3"],
      ]);
      res.end('{"ok":true}');
    });
    const answer = await call(port, {
      method: "POST",
      path: "/api/tasks?status=pending",
      headers: {
        cookie: "todo_session=t0k",
        "x-session": "cookie",
        origin: "http://web.test",
        "x-forwarded-for": "198.51.100.7",
        "content-type": "application/json",
      },
      body: '{"title":"x"}',
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toBe('{"ok":true}');
    expect(answer.headers["set-cookie"]).toEqual(["todo_session=abc; Path=/; HttpOnly", "other=1; Path=/"]);
    expect(answer.headers["retry-after"]).toBe("3");
    expect(seen!.method).toBe("POST");
    expect(seen!.url).toBe("/api/tasks?status=pending");
    expect(seen!.headers.cookie).toBe("todo_session=t0k");
    expect(seen!.headers["x-session"]).toBe("cookie");
    expect(seen!.headers.origin).toBe("http://web.test");
    expect(seen!.headers["x-forwarded-for"]).toBe("127.0.0.1");
  });

  it("streams: the browser has the first bytes before the API has written the rest, and a body goes up as it comes", async () => {
    let release!: () => void;
    const firstBytesSeen = new Promise<void>((resolve) => (release = resolve));
    let received = "";
    const { port } = await webServerFor((req, res) => {
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (received += chunk));
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"tasks":[');
        // The rest only once the browser has shown it got the beginning: a buffering hop would wait forever.
        void firstBytesSeen.then(() => res.end('],"total":0}'));
      });
    });
    const answer = await call(port, { method: "POST", path: "/api/tasks", body: "x".repeat(100_000) }, release);
    expect(answer.body).toBe('{"tasks":[],"total":0}');
    expect(answer.headers["transfer-encoding"]).toBe("chunked");
    expect(received.length).toBe(100_000);
  });

  it("keeps its connections to the API open between requests", async () => {
    let connections = 0;
    const { port, apiServer } = await webServerFor((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "2" });
      res.end("{}");
    });
    apiServer.on("connection", () => (connections += 1));
    for (let i = 0; i < 5; i += 1) expect((await call(port, {})).status).toBe(200);
    expect(connections).toBe(1);
  });

  it("passes on a broken answer as broken, never as a shorter valid one", async () => {
    const { port } = await webServerFor((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      // The API aborts the list after its first bytes have left (a database error mid-stream).
      res.write('{"tasks":[{"id":"1"}', () => res.socket?.destroy());
    });
    await expect(call(port, {})).rejects.toThrow();
  });

  it("answers 503 in the API's shape when the API cannot be reached", async () => {
    const { url: deadApi, server } = await listen(() => undefined);
    servers.splice(servers.indexOf(server), 1);
    server.close();
    await new Promise((resolve) => server.once("close", resolve));
    const stream = createApiStream(deadApi);
    streams.push(stream);
    const { port } = await listen((req, res) => stream(req, res));
    const answer = await call(port, {});
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toEqual({ detail: "Service temporarily unavailable" });
    expect(answer.headers["retry-after"]).toBe("1");
  });

  it("serves /api and everything under it, nothing else", () => {
    for (const path of ["/api", "/api/tasks", "/api/auth/login?x=1", "/api?x=1"]) expect(isApiPath(path)).toBe(true);
    for (const path of ["/", "/apiary", "/tasks", "/_next/static/x.js", "/login?next=/api/tasks"]) expect(isApiPath(path)).toBe(false);
  });
});
