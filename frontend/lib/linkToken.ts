import { useEffect, useState } from "react";

/**
 * The `?token=` of a mailed link, read once and then removed from the address bar and the history entry
 * (history.replaceState), so it is neither kept in the browser history nor shown again after use.
 * `undefined` until read; `null` when the page was opened without one.
 */
export function useLinkToken(): string | null | undefined {
  const [token, setToken] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    // Read at most once: React's strict mode runs effects twice, and the second run finds the URL cleaned.
    if (token !== undefined) return;
    const found = new URLSearchParams(window.location.search).get("token");
    if (found) window.history.replaceState(window.history.state, "", window.location.pathname);
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the URL is only readable in the browser
    setToken(found || null);
  }, [token]);
  return token;
}
