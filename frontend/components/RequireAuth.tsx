"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { PageLoader } from "@/components/PageLoader";
import { useAuth } from "@/lib/auth/context";
import { currentPath, loginUrl } from "@/lib/navigation";

/**
 * Renders its children only for a signed-in user whose token the API has accepted. Until then (and on
 * the server, which cannot see localStorage) it renders a neutral loader, so nothing protected is ever
 * painted for a signed-out visitor.
 */
export function RequireAuth({ children }: { children: React.ReactNode }) {
  const { isAuthenticated, isLoading, endReason } = useAuth();
  const router = useRouter();

  useEffect(() => {
    if (isLoading || isAuthenticated) return;
    // After "Sign out" there is nothing to come back to; otherwise return here after signing in.
    router.replace(endReason === "logout" ? "/login" : loginUrl(currentPath()));
  }, [isLoading, isAuthenticated, endReason, router]);

  if (isLoading) return <PageLoader label="Checking your session…" />;
  if (!isAuthenticated) return <PageLoader label="Redirecting to sign in…" />;
  return <>{children}</>;
}
