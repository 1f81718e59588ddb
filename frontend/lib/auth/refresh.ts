// Keeps a tab's idea of the signed-in user fresh: when the tab comes back into view or gets the focus, and
// when another tab says the account changed (BroadcastChannel, lib/auth/storage.ts), it reads
// GET /api/auth/me. So the "Confirm your email address" banner goes once the link was opened elsewhere, and
// a changed email shows without a reload. A 401 there ends the session like any other (lib/api.ts).
import { useEffect } from "react";
import { authApi } from "@/lib/api";
import { getSession, onRefreshRequest, saveUser } from "@/lib/auth/storage";
import type { User } from "@/lib/types";

function same(a: User, b: User): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function useRefreshUserOnFocus(): void {
  useEffect(() => {
    let running = false;
    let again = false;
    let stopped = false;

    async function refresh() {
      if (!getSession().user) return;
      // focus and visibilitychange come together: one request, and one more if asked while it ran
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          const before = getSession().user;
          let fresh: User;
          try {
            fresh = await authApi.me();
          } catch {
            return; // a 401 has ended the session (lib/api.ts); anything else: keep what we have
          }
          const now = getSession().user;
          // the same account, and nothing newer saved meanwhile (e.g. this tab turned two-factor on)
          if (!stopped && now && now.id === fresh.id && now === before && !same(now, fresh)) saveUser(fresh);
        } while (again && !stopped);
      } finally {
        running = false;
      }
    }

    const onVisible = () => {
      if (document.visibilityState === "visible") void refresh();
    };
    const onFocus = () => void refresh();
    window.addEventListener("focus", onFocus);
    document.addEventListener("visibilitychange", onVisible);
    const stopListening = onRefreshRequest(() => void refresh());
    return () => {
      stopped = true;
      window.removeEventListener("focus", onFocus);
      document.removeEventListener("visibilitychange", onVisible);
      stopListening();
    };
  }, []);
}
