"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState } from "react";
import { ThemeToggle } from "@/components/ThemeToggle";
import { useAuth } from "@/lib/auth/context";
import { notify } from "@/lib/notify";

function NavLink({ href, children }: { href: string; children: React.ReactNode }) {
  const pathname = usePathname();
  const active = pathname === href;
  return (
    <Link href={href} className={`nav-link${active ? " nav-link-active" : ""}`} aria-current={active ? "page" : undefined}>
      {children}
    </Link>
  );
}

export function Navigation() {
  const { user, isAuthenticated, logout } = useAuth();
  const [signingOut, setSigningOut] = useState(false);

  async function onSignOut() {
    setSigningOut(true);
    try {
      await logout();
      notify.success("Signed out");
    } finally {
      setSigningOut(false);
    }
  }

  return (
    <header className="site-header">
      <nav className="container nav" aria-label="Main">
        <Link href="/" className="brand" aria-label="Todo home">
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <rect x="2" y="2" width="20" height="20" rx="6" fill="currentColor" />
            <path d="M7 12.5l3.2 3.2L17 9" fill="none" stroke="var(--brand-contrast)" strokeWidth="2.4" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          <span>Todo</span>
        </Link>
        {isAuthenticated && user ? (
          <div className="nav-links">
            <NavLink href="/tasks">Tasks</NavLink>
            <NavLink href="/account">Account</NavLink>
          </div>
        ) : null}
        <div className="nav-right">
          {isAuthenticated && user ? (
            <>
              <span className="user-label" title={user.email} data-testid="nav-user">
                {user.name || user.email}
              </span>
              <button type="button" className="btn btn-secondary btn-sm" onClick={onSignOut} disabled={signingOut}>
                {signingOut ? "Signing out…" : "Sign out"}
              </button>
            </>
          ) : (
            <>
              <Link href="/login" className="btn btn-ghost btn-sm">
                Sign in
              </Link>
              <Link href="/register" className="btn btn-primary btn-sm">
                Sign up
              </Link>
            </>
          )}
          <ThemeToggle />
        </div>
      </nav>
    </header>
  );
}
