// `{WEB_URL}/api/...`: the API's own paths, forwarded by the web server with the session cookie turned into
// a bearer token (lib/server/bff.ts). The only way the browser reaches the API.
import type { NextRequest } from "next/server";
import { forward } from "@/lib/server/bff";

export const dynamic = "force-dynamic";

async function handle(request: NextRequest): Promise<Response> {
  const url = new URL(request.url);
  const method = request.method.toUpperCase();
  const body = method === "GET" || method === "HEAD" ? null : await request.arrayBuffer();
  const host = request.headers.get("host");
  return forward({
    method,
    pathAndQuery: `${url.pathname}${url.search}`,
    headers: request.headers,
    body,
    // server.mjs replaces whatever X-Forwarded-For the client sent with its socket's address.
    clientIp: request.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || null,
    requestOrigin: host ? `${url.protocol}//${host}` : null,
  });
}

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE };
