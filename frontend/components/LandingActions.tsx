"use client";

import Link from "next/link";
import { useAuth } from "@/lib/auth/context";

export function LandingActions() {
  const { isAuthenticated, isLoading, user } = useAuth();
  // Until the page knows who is signed in (it asks after loading), nothing that may turn out wrong.
  if (isLoading) return <div className="hero-actions hero-actions-pending" aria-hidden="true" />;
  if (isAuthenticated) {
    return (
      <div className="hero-actions">
        <Link href="/tasks" className="btn btn-primary btn-lg">
          Go to your tasks
        </Link>
        <p className="muted">Signed in as {user?.name || user?.email}</p>
      </div>
    );
  }
  return (
    <div className="hero-actions">
      <Link href="/register" className="btn btn-primary btn-lg">
        Sign up — it&apos;s free
      </Link>
      <Link href="/login" className="btn btn-secondary btn-lg">
        Sign in
      </Link>
    </div>
  );
}
