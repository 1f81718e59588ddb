// What a protected page is rendered with: one call to the API with the visitor's cookie. proxy.ts has
// already turned away a visitor without a live cookie; a cookie the API refuses (ended on another device,
// signed with another key) is the same HTTP redirect to /login?next=<page>, before any byte of the page.
import "server-only";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { loginUrl } from "@/lib/navigation";
import { apiGet } from "@/lib/server/api";
import { liveUntil, sessionCookieName } from "@/lib/server/cookie";

export interface PageData<T> {
  /** The API's answer, or null when the API failed (not a refusal): the page loads it in the browser. */
  data: T | null;
  /** When the visitor's session ends (ms since the epoch). */
  expiresAt: number;
}

export async function pageData<T>(path: string, page: string): Promise<PageData<T>> {
  const token = (await cookies()).get(sessionCookieName())?.value;
  const expiresAt = liveUntil(token);
  if (!token || expiresAt === null) redirect(loginUrl(page));
  let answer;
  try {
    answer = await apiGet<T>(path, token);
  } catch (err) {
    console.error(`${page}: the API could not be reached for ${path} (${err instanceof Error ? err.message : err})`);
    return { data: null, expiresAt };
  }
  if (answer.status === 401) redirect(loginUrl(page));
  if (answer.body === null) console.error(`${page}: the API answered ${answer.status} for ${path}`);
  return { data: answer.body, expiresAt };
}
