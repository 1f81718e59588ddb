// The one way the web server calls the API: a GET with the visitor's token as the bearer (the browser's own
// calls never pass through here: /api/... is routed to the API by path).
import "server-only";

/** Where the web server reaches the API (read at run time: one build serves any address). */
export function apiBase(): string {
  return (process.env.API_INTERNAL_URL || "http://localhost:8000").replace(/\/+$/, "");
}

export interface ApiAnswer<T> {
  status: number;
  /** The parsed JSON of a 2xx answer, else null. */
  body: T | null;
}

/** GET `path` with `token`; throws when the API cannot be reached. */
export async function apiGet<T>(path: string, token: string): Promise<ApiAnswer<T>> {
  const res = await fetch(`${apiBase()}${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: "application/json" },
    cache: "no-store",
  });
  if (!res.ok) {
    await res.arrayBuffer(); // read to the end: the kept-alive connection goes back to the pool
    return { status: res.status, body: null };
  }
  return { status: res.status, body: (await res.json()) as T };
}
