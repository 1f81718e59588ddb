"use client";

import Link from "next/link";
import { useState } from "react";
import { EmailField, FormError } from "@/components/FormField";
import { accountApi } from "@/lib/api";
import { useFormSubmit } from "@/lib/forms";
import { validateEmail } from "@/lib/validation";
import { notify } from "@/lib/notify";

const FIELDS = ["email"] as const;

export function ForgotPasswordForm() {
  const [email, setEmail] = useState("");
  const [sentTo, setSentTo] = useState<string | null>(null);
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(FIELDS, {
    validate: () => ({ email: validateEmail(email) }),
    send: async () => {
      await accountApi.forgotPassword(email);
      setSentTo(email.trim());
      notify.success("Check your mailbox");
    },
    failure: "Could not send the link",
  });

  return (
    <section className="card auth-card" aria-labelledby="forgot-title">
      <h1 id="forgot-title">Forgot your password?</h1>
      {sentTo ? (
        <div role="status">
          <p>
            If an account exists for <strong>{sentTo}</strong>, we have sent it a link to choose a new password. The
            link works once, for a limited time.
          </p>
          <p className="muted">No mail? Check your spam folder, or ask for a new link in a few minutes.</p>
          <button type="button" className="btn btn-secondary" onClick={() => setSentTo(null)}>
            Send another link
          </button>
        </div>
      ) : (
        <>
          <p className="muted">Enter the email address of your account and we will mail you a link to set a new password.</p>
          <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate aria-describedby="forgot-form-error">
            <FormError id="forgot-form-error" message={formError} throttle={throttle} />
            <EmailField
              id="email"
              label="Email"
              value={email}
              onChange={setEmail}
              error={errors.email}
            />
            <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
              {pending ? "Sending…" : "Send me a link"}
            </button>
          </form>
        </>
      )}
      <p className="auth-switch">
        Remembered it? <Link href="/login">Sign in</Link>
      </p>
    </section>
  );
}
