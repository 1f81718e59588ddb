"use client";

import { useEffect, useState } from "react";
import { EmailAddress } from "@/components/account/Settings";
import { ApiError, accountApi, errorMessage } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import { formatCountdown } from "@/lib/format";
import { notify } from "@/lib/notify";

/** How long "Resend the link" rests after a link was sent (the API's own wait, when it names one, wins). */
const COOLDOWN_SECONDS = 60;

// Kept outside the component: the notice is on /tasks and /account, and moving between them must not
// reset the wait.
let resendableAt = 0;
let sentOnce = false;

/** For a signed-in user whose address is not confirmed yet: says so, and sends the link again on request. */
export function VerifyEmailNotice() {
  const { user } = useAuth();
  const [pending, setPending] = useState(false);
  const [sent, setSent] = useState(sentOnce);
  const [now, setNow] = useState(() => Date.now());
  const waitLeft = Math.max(0, Math.ceil((resendableAt - now) / 1000));

  useEffect(() => {
    if (waitLeft <= 0) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [waitLeft]);

  if (!user || user.email_verified !== false) return null;

  async function resend() {
    setPending(true);
    try {
      await accountApi.resendVerification();
      resendableAt = Date.now() + COOLDOWN_SECONDS * 1000;
      sentOnce = true;
      setSent(true);
      notify.success("A new link is on its way");
    } catch (err) {
      if (err instanceof ApiError && err.retryAfter !== null) resendableAt = Date.now() + err.retryAfter * 1000;
      notify.error(errorMessage(err));
    } finally {
      setNow(Date.now());
      setPending(false);
    }
  }

  return (
    <aside className="card verify-notice" aria-labelledby="verify-notice-title">
      <h2 id="verify-notice-title">Confirm your email address</h2>
      <p>
        We sent a link to <EmailAddress email={user.email} />. Open it to confirm that the address is yours.
        {sent ? " A new link has been sent; the earlier one no longer works." : ""}
      </p>
      <div className="form-actions verify-actions">
        <button type="button" className="btn btn-secondary" onClick={resend} disabled={pending || waitLeft > 0}>
          {pending ? "Sending…" : "Resend the link"}
        </button>
        {waitLeft > 0 ? (
          <span className="muted" role="timer" aria-live="off" data-testid="resend-wait">
            You can ask for another in {formatCountdown(waitLeft)}
          </span>
        ) : null}
      </div>
    </aside>
  );
}
