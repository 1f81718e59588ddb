"use client";

import { useState } from "react";
import { EmailField, FormError } from "@/components/FormField";
import { OneTimeCodeField } from "@/components/OneTimeCodeField";
import { ApiError, authApi } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import { useFormSubmit } from "@/lib/forms";
import { notify } from "@/lib/notify";
import { validateEmail } from "@/lib/validation";

interface Props {
  /** The address typed on the password form, if any. */
  initialEmail: string;
  /** The code was right and the account has two-factor on: its step, with the token of the API's 403. */
  onSecondFactor: (mfaToken: string) => void;
  /** Back to the password form. */
  onPassword: () => void;
}

/**
 * "Email me a code": the address, then "Check your email" with the one-time-code input (the two-factor step's:
 * numeric keyboard, the system's code offer, paste, sent by itself at the sixth digit). The API answers the
 * same for any address, so the page says "if an account exists". A wrong or expired code is said at the field;
 * a wait (too many codes or guesses) in the banner with its countdown; "Send a new code" asks again (the older
 * code stops working).
 */
export function EmailCodeSignIn({ initialEmail, onSecondFactor, onPassword }: Props) {
  const { loginWithEmailCode } = useAuth();
  const [email, setEmail] = useState(initialEmail);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [code, setCode] = useState("");

  const {
    formRef: askFormRef,
    errors: askErrors,
    formError: askFormError,
    throttle: askThrottle,
    pending: askPending,
    onSubmit: askOnSubmit,
    onInput: askOnInput,
  } = useFormSubmit(["email"], {
    validate: () => ({ email: validateEmail(email) }),
    send: async () => {
      await authApi.requestEmailCode(email);
      setCode("");
      setSentTo(email.trim());
    },
    failure: "Could not send a code",
    idPrefix: "email-code-",
  });

  const {
    formRef: resendFormRef,
    formError: resendFormError,
    throttle: resendThrottle,
    pending: resendPending,
    onSubmit: resendOnSubmit,
  } = useFormSubmit([], {
    validate: () => ({}),
    send: async () => {
      await authApi.requestEmailCode(sentTo ?? email);
      setCode("");
      notify.success("A new code is on its way");
      document.getElementById("email-code")?.focus();
    },
    failure: "Could not send a new code",
  });

  const {
    formRef: verifyFormRef,
    errors: verifyErrors,
    formError: verifyFormError,
    throttle: verifyThrottle,
    pending: verifyPending,
    onSubmit: verifyOnSubmit,
    onInput: verifyOnInput,
  } = useFormSubmit(["code"], {
    validate: () => ({ code: /^\d{6}$/.test(code) ? undefined : "Enter the 6-digit code from the mail" }),
    send: async () => {
      try {
        await loginWithEmailCode(sentTo ?? email, code);
      } catch (err) {
        if (err instanceof ApiError && err.status === 403 && err.mfaToken) {
          onSecondFactor(err.mfaToken);
          return;
        }
        throw err;
      }
      notify.success("Signed in");
      // The (auth) layout now sends us on to ?next= or /tasks.
    },
    failure: "Could not sign in",
    alsoOnField: { pattern: /invalid or expired code/i, field: "code" },
    ids: { code: "email-code" },
  });

  if (!sentTo) {
    return (
      <section className="card auth-card" aria-labelledby="email-code-title">
        <h1 id="email-code-title">Sign in with an emailed code</h1>
        <p className="muted">Enter the email address of your account and we will mail you a 6-digit code. No password needed.</p>
        <form ref={askFormRef} onSubmit={askOnSubmit} onInput={askOnInput} noValidate aria-describedby="email-code-ask-error">
          <FormError id="email-code-ask-error" message={askFormError} throttle={askThrottle} />
          <EmailField id="email-code-email" label="Email" value={email} onChange={setEmail} error={askErrors.email} />
          <button type="submit" className="btn btn-primary btn-block" disabled={askPending}>
            {askPending ? "Sending…" : "Email me a code"}
          </button>
        </form>
        <p className="auth-switch">
          <button type="button" className="link-button" onClick={onPassword}>
            Sign in with your password instead
          </button>
        </p>
      </section>
    );
  }

  return (
    <section className="card auth-card" aria-labelledby="email-code-check-title">
      <h1 id="email-code-check-title">Check your email</h1>
      <p role="status">
        If an account exists for <strong>{sentTo}</strong>, we have sent it a 6-digit code. Enter it below: it works
        once, for 10 minutes.
      </p>
      <form
        ref={verifyFormRef}
        onSubmit={verifyOnSubmit}
        onInput={verifyOnInput}
        noValidate
        aria-describedby="email-code-verify-error"
      >
        <FormError id="email-code-verify-error" message={verifyFormError} throttle={verifyThrottle} />
        <OneTimeCodeField
          id="email-code"
          label="Code"
          value={code}
          onChange={setCode}
          error={verifyErrors.code}
          hint="Only the latest code works. No mail? Check your spam folder, or send a new code."
          autoFocus
        />
        <button type="submit" className="btn btn-primary btn-block" disabled={verifyPending}>
          {verifyPending ? "Checking…" : "Sign in"}
        </button>
      </form>
      <form ref={resendFormRef} onSubmit={resendOnSubmit} noValidate aria-describedby="email-code-resend-error">
        <FormError id="email-code-resend-error" message={resendFormError} throttle={resendThrottle} />
        <p className="auth-switch">
          <button type="submit" className="link-button" disabled={resendPending}>
            {resendPending ? "Sending…" : "Send a new code"}
          </button>
          {" · "}
          <button type="button" className="link-button" onClick={() => setSentTo(null)}>
            Use another email
          </button>
          {" · "}
          <button type="button" className="link-button" onClick={onPassword}>
            Use your password
          </button>
        </p>
      </form>
    </section>
  );
}
