"use client";

import { useState } from "react";
import toast from "react-hot-toast";
import { accountApi, errorMessage } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";

/** For a signed-in user whose address is not confirmed yet: says so, and sends the link again on request. */
export function VerifyEmailNotice() {
  const { user } = useAuth();
  const [pending, setPending] = useState(false);
  const [sent, setSent] = useState(false);
  if (!user || user.email_verified !== false) return null;

  async function resend() {
    setPending(true);
    try {
      await accountApi.resendVerification();
      setSent(true);
      toast.success("A new link is on its way");
    } catch (err) {
      toast.error(errorMessage(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <aside className="card verify-notice" aria-labelledby="verify-notice-title">
      <h2 id="verify-notice-title">Confirm your email address</h2>
      <p>
        We sent a link to <strong>{user.email}</strong>. Open it to confirm that the address is yours.
        {sent ? " A new link has been sent; the earlier one no longer works." : ""}
      </p>
      <button type="button" className="btn btn-secondary" onClick={resend} disabled={pending}>
        {pending ? "Sending…" : "Resend the link"}
      </button>
    </aside>
  );
}
