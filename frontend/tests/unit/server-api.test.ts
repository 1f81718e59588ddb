// @vitest-environment node
// The web server's one way to the API (lib/server/api.ts): kept-alive connections, and a GET sent again when
// the connection it was put on had been closed by the other side (a reload of nginx, a restart of the API).
import { createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { apiGet } from "@/lib/server/api";

const cleanups: (() => void)[] = [];
afterEach(() => {
  vi.unstubAllEnvs();
  for (const c of cleanups.splice(0)) c();
});

/**
 * A raw HTTP/1.1 server: on each connection, answers its first request (kept alive) and drops the
 * connection without an answer at the second, as a peer closing an idle connection just as it is reused.
 */
async function droppingServer() {
  let connections = 0;
  let answered = 0;
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    connections += 1;
    sockets.push(socket);
    let requests = 0;
    socket.on("data", () => {
      requests += 1;
      if (requests > 1) return socket.destroy();
      answered += 1;
      const body = JSON.stringify({ n: answered });
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

describe("apiGet", () => {
  it("sends a GET again on a connection of its own when its kept-alive one was closed under it", async () => {
    const api = await droppingServer();
    vi.stubEnv("API_INTERNAL_URL", api.url);
    // Two kept-alive connections, both of which the server will drop at their next request (as a reload of
    // nginx closes every idle one at once).
    const first = await Promise.all([apiGet("/api/auth/me", "t"), apiGet("/api/auth/me", "t")]);
    expect(first.map((a) => a.status)).toEqual([200, 200]);
    // The next call goes out on one of them and is dropped: it is answered on a new connection, not on the
    // other dead one.
    expect(await apiGet("/api/auth/me", "t")).toEqual({ status: 200, body: { n: 3 } });
    expect(api.connections()).toBe(3);
  });

  it("does not hide an API that cannot be reached at all", async () => {
    vi.stubEnv("API_INTERNAL_URL", "http://127.0.0.1:9");
    await expect(apiGet("/api/auth/me", "t")).rejects.toThrow();
  });
});
