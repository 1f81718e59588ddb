"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { PageLoader } from "@/components/PageLoader";
import { useAuth } from "@/lib/auth/context";
import { currentPath, loginUrl } from "@/lib/navigation";

/**
 * The one place that sends a visitor whose session ends to /login (the API client only reports a 401 to
 * the session store; another tab's sign-out and the expiry timer end it there too). The server has already
 * refused a signed-out visitor before rendering (lib/server/session.ts); this covers a session that ends
 * while the page is open.
 */
export function RequireAuth({ children }: { children: React.ReactNode }) {
  const { isAuthenticated, endReason } = useAuth();
  const router = useRouter();

  useEffect(() => {
    if (isAuthenticated) return;
    // After "Sign out" there is nothing to come back to; otherwise return here after signing in.
    router.replace(endReason === "logout" ? "/login" : loginUrl(currentPath()));
  }, [isAuthenticated, endReason, router]);

  if (!isAuthenticated) return <PageLoader label="Redirecting to sign in…" />;
  return <>{children}</>;
}
