"use client";

import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { PageLoader } from "@/components/PageLoader";
import { accountApi, errorMessage } from "@/lib/api";
import { askOtherTabsToRefresh, getSession, saveUser } from "@/lib/auth/storage";
import { useLinkToken } from "@/lib/linkToken";

type State = { kind: "pending" } | { kind: "done"; email: string } | { kind: "failed"; message: string };

/** Uses the link of a verification (or email change) mail once, as soon as the page opens. */
export function VerifyEmail() {
  const token = useLinkToken();
  const [state, setState] = useState<State>({ kind: "pending" });
  const sent = useRef(false);

  useEffect(() => {
    if (token === undefined || sent.current) return;
    sent.current = true;
    if (token === null) {
      // eslint-disable-next-line react-hooks/set-state-in-effect -- decided once the URL has been read
      setState({ kind: "failed", message: "This page needs the link from the mail we sent you." });
      return;
    }
    accountApi
      .verifyEmail(token)
      .then((user) => {
        // This browser's other tabs drop the "Confirm your email address" banner (or show the new address)
        // now: this tab's session takes the account as the API answered it, and tells them.
        if (getSession().user?.id === user.id) saveUser(user);
        askOtherTabsToRefresh();
        setState({ kind: "done", email: user.email });
      })
      .catch((err: unknown) => setState({ kind: "failed", message: errorMessage(err) }));
  }, [token]);

  if (state.kind === "pending") return <PageLoader label="Confirming your email address…" />;
  if (state.kind === "failed") {
    return (
      <section className="card auth-card" aria-labelledby="verify-title">
        <h1 id="verify-title">This link does not work</h1>
        <p role="alert">{state.message}</p>
        <p className="muted">
          Links work once, for a limited time. Signed in, you can ask for a new one on your{" "}
          <Link href="/account">account page</Link>.
        </p>
      </section>
    );
  }
  return (
    <section className="card auth-card" aria-labelledby="verify-title">
      <h1 id="verify-title">Email address confirmed</h1>
      <p role="status">
        <strong>{state.email}</strong> is confirmed as the address of your account.
      </p>
      {/* A full page load, so a signed-in session re-reads the account with its new state. */}
      <a href="/tasks" className="btn btn-primary btn-block">
        Continue
      </a>
    </section>
  );
}
