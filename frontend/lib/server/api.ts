// The one way the web server calls the API: a GET with the visitor's token as the bearer (the browser's own
// calls never pass through here: /api/... is routed to the API by path).
import "server-only";
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/** Where the web server reaches the API (read at run time: one build serves any address). */
export function apiBase(): string {
  return (process.env.API_INTERNAL_URL || "http://localhost:8000").replace(/\/+$/, "");
}

export interface ApiAnswer<T> {
  status: number;
  /** The parsed JSON of a 2xx answer, else null. */
  body: T | null;
}

// Kept-alive connections (one render, one call: a handshake each would cost more than the call), closed when
// idle below the API's and nginx's own idle limits.
const agents = {
  http: new HttpAgent({ keepAlive: true, timeout: 4000, scheduling: "lifo" }),
  https: new HttpsAgent({ keepAlive: true, timeout: 4000, scheduling: "lifo" }),
};

/** One GET; `fresh`: on a new connection of its own rather than a kept-alive one. */
function get(url: URL, token: string, fresh = false): Promise<{ res: IncomingMessage; body: Buffer }> {
  const secure = url.protocol === "https:";
  const agent = fresh ? false : secure ? agents.https : agents.http;
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(
      url,
      { agent, headers: { authorization: `Bearer ${token}`, accept: "application/json" } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ res, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", (err: Error & { reusedSocket?: boolean }) => {
      err.reusedSocket = req.reusedSocket;
      reject(err);
    });
    req.end();
  });
}

/** GET `path` with `token`; throws when the API cannot be reached. */
export async function apiGet<T>(path: string, token: string): Promise<ApiAnswer<T>> {
  const url = new URL(`${apiBase()}${path}`);
  let answer;
  try {
    answer = await get(url, token);
  } catch (err) {
    // A kept-alive connection the other side closed just as it was reused (a reload of nginx closes every
    // idle one at once; a restart of the API): the GET is sent again, once, on a connection of its own.
    if (!(err as { reusedSocket?: boolean }).reusedSocket) throw err;
    answer = await get(url, token, true);
  }
  const status = answer.res.statusCode ?? 0;
  if (status < 200 || status >= 300) return { status, body: null };
  return { status, body: JSON.parse(answer.body.toString("utf8")) as T };
}
