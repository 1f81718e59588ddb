"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useEffect, useState } from "react";
import { PageLoader } from "@/components/PageLoader";
import { SESSION_ENDED_MESSAGES } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import { getSession } from "@/lib/auth/storage";
import { postLoginPath } from "@/lib/navigation";

/**
 * /login and /register: a signed-in user is sent on to `?next=` (same-origin only) or /tasks. A session this
 * tab believed in before arriving here (a protected page sent it back: the session ended elsewhere) is
 * confirmed with the API first, so a dead one ends here — with the reason said — instead of bouncing.
 */
function AuthGate({ children }: { children: React.ReactNode }) {
  const { isAuthenticated, endReason, refresh } = useAuth();
  const router = useRouter();
  const params = useSearchParams();
  const next = params.get("next");
  // A page load learns the session from the API itself; a session already in this tab's store may be stale.
  const [confirmed, setConfirmed] = useState(() => getSession().user === null);

  useEffect(() => {
    if (!isAuthenticated) return;
    if (!confirmed) {
      let live = true;
      refresh()
        .catch(() => undefined)
        .finally(() => live && setConfirmed(true));
      return () => {
        live = false;
      };
    }
    router.replace(postLoginPath(next));
  }, [isAuthenticated, confirmed, next, router, refresh]);

  if (isAuthenticated) {
    return <PageLoader label={confirmed ? "Signed in. Taking you to your tasks…" : "Checking your session…"} />;
  }
  const ended = endReason === "unauthorized" || endReason === "expired" ? SESSION_ENDED_MESSAGES[endReason] : null;
  return (
    <>
      {ended ? (
        <p className="session-notice" role="status">
          {ended}
        </p>
      ) : null}
      <div className="auth-shell">{children}</div>
    </>
  );
}

export default function AuthLayout({ children }: { children: React.ReactNode }) {
  return (
    <Suspense fallback={<PageLoader />}>
      <AuthGate>{children}</AuthGate>
    </Suspense>
  );
}
