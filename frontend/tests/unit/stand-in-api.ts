// A stand-in for the API on loopback (port 0), for the web server's own calls (lib/server/api.ts): each test
// says what it answers and sees what it was asked.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface StandIn {
  url: string;
  calls: { method: string; url: string; headers: IncomingHttpHeaders }[];
  /** What the next requests get: a status and a JSON body. */
  answer(status: number, body: unknown): void;
  close(): Promise<void>;
}

export async function standInApi(): Promise<StandIn> {
  let reply = { status: 200, body: {} as unknown };
  const calls: StandIn["calls"] = [];
  const server: Server = createServer((req, res) => {
    calls.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    res.writeHead(reply.status, { "content-type": "application/json" });
    res.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    answer(status, body) {
      reply = { status, body };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
