"use client";

import { useState } from "react";
import toast from "react-hot-toast";
import { FormError, InputField } from "@/components/FormField";
import { useAuth } from "@/lib/auth/context";
import { useFormSubmit } from "@/lib/forms";

/**
 * The second step of signing in for a two-factor user: the 6-digit code from the authenticator app (numeric
 * keyboard on phones, filled from the OS where it offers one-time codes), or one of the recovery codes.
 */
export function TwoFactorStep({ mfaToken, onRestart }: { mfaToken: string; onRestart: () => void }) {
  const { loginWithCode } = useAuth();
  const [recovery, setRecovery] = useState(false);
  const [code, setCode] = useState("");
  const { formRef, errors, formError, pending, onSubmit } = useFormSubmit(["code"], {
    validate: () => ({
      code: recovery
        ? code.trim()
          ? undefined
          : "Enter one of your recovery codes"
        : /^\d{6}$/.test(code.replace(/\s/g, ""))
          ? undefined
          : "Enter the 6-digit code from your app",
    }),
    send: async () => {
      await loginWithCode(mfaToken, recovery ? code.trim() : code.replace(/\s/g, ""));
      toast.success("Logged in successfully");
      // The (auth) layout now sends us on to ?next= or /tasks.
    },
    failure: "Sign in failed",
    alsoOnField: { pattern: /two-factor code/i, field: "code" },
  });

  function switchMode() {
    setRecovery((r) => !r);
    setCode("");
  }

  return (
    <section className="card auth-card" aria-labelledby="two-factor-step-title">
      <h1 id="two-factor-step-title">Two-factor authentication</h1>
      <p className="muted">
        {recovery
          ? "Enter one of the recovery codes you saved when you turned on two-factor authentication. Each works once."
          : "Enter the 6-digit code from your authenticator app."}
      </p>
      <form ref={formRef} onSubmit={onSubmit} noValidate aria-describedby="two-factor-step-error">
        <FormError id="two-factor-step-error" message={formError} />
        {recovery ? (
          <InputField
            key="recovery"
            id="code"
            label="Recovery code"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            required
            autoFocus
            value={code}
            onChange={(e) => setCode(e.target.value)}
            error={errors.code}
          />
        ) : (
          <InputField
            key="totp"
            id="code"
            label="Code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]*"
            maxLength={7}
            required
            autoFocus
            value={code}
            onChange={(e) => setCode(e.target.value)}
            error={errors.code}
          />
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
          {pending ? "Checking…" : "Verify and sign in"}
        </button>
      </form>
      <p className="auth-switch">
        <button type="button" className="link-button" onClick={switchMode}>
          {recovery ? "Use a code from your app instead" : "Use a recovery code instead"}
        </button>
        {" · "}
        <button type="button" className="link-button" onClick={onRestart}>
          Start over
        </button>
      </p>
    </section>
  );
}
