"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { PageLoader } from "@/components/PageLoader";
import { useAuth } from "@/lib/auth/context";
import { currentPath, loginUrl } from "@/lib/navigation";

/**
 * The one place that sends a visitor whose session ends to /login (the API client only reports a 401 to
 * the session store; another tab's sign-out and the expiry timer end it there too). The web server has
 * already refused a signed-out visitor before rendering (proxy.ts, lib/server/page-data.ts); this covers a
 * session that ends while the page is open.
 */
export function RequireAuth({ children }: { children: React.ReactNode }) {
  const { isAuthenticated, isLoading, endReason } = useAuth();
  const router = useRouter();
  const signedOut = !isLoading && !isAuthenticated;

  useEffect(() => {
    if (!signedOut) return;
    // After "Sign out" there is nothing to come back to; otherwise return here after signing in.
    router.replace(endReason === "logout" ? "/login" : loginUrl(currentPath()));
  }, [signedOut, endReason, router]);

  if (signedOut) return <PageLoader label="Redirecting to sign in…" />;
  return <>{children}</>;
}
