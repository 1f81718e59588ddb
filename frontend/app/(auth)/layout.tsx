"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useEffect } from "react";
import { PageLoader } from "@/components/PageLoader";
import { useAuth } from "@/lib/auth/context";
import { postLoginPath } from "@/lib/navigation";

/** /login and /register: a signed-in user is sent on to `?next=` (same-origin only) or /tasks. */
function AuthGate({ children }: { children: React.ReactNode }) {
  const { isAuthenticated } = useAuth();
  const router = useRouter();
  const params = useSearchParams();
  const next = params.get("next");

  useEffect(() => {
    if (isAuthenticated) router.replace(postLoginPath(next));
  }, [isAuthenticated, next, router]);

  if (isAuthenticated) return <PageLoader label="Signed in. Taking you to your tasks…" />;
  return <div className="auth-shell">{children}</div>;
}

export default function AuthLayout({ children }: { children: React.ReactNode }) {
  return (
    <Suspense fallback={<PageLoader />}>
      <AuthGate>{children}</AuthGate>
    </Suspense>
  );
}
