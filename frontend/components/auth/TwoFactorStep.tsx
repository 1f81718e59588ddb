"use client";

import { useState } from "react";
import { FormError, InputField } from "@/components/FormField";
import { OneTimeCodeField } from "@/components/OneTimeCodeField";
import { useAuth } from "@/lib/auth/context";
import { useFormSubmit } from "@/lib/forms";
import { notify } from "@/lib/notify";

/**
 * The second step of signing in for a two-factor user: the 6-digit code from the authenticator app (the
 * one-time-code input: numeric keyboard, the system's code offer, paste, sent by itself at the sixth digit),
 * or one of the recovery codes. A wrong code is said once, at the field.
 */
export function TwoFactorStep({ mfaToken, onRestart }: { mfaToken: string; onRestart: () => void }) {
  const { loginWithCode } = useAuth();
  const [recovery, setRecovery] = useState(false);
  const [code, setCode] = useState("");
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(["code"], {
    validate: () => ({
      code: recovery
        ? code.trim()
          ? undefined
          : "Enter one of your recovery codes"
        : /^\d{6}$/.test(code)
          ? undefined
          : "Enter the 6-digit code from your app",
    }),
    send: async () => {
      await loginWithCode(mfaToken, code.trim());
      notify.success("Signed in");
      // The (auth) layout now sends us on to ?next= or /tasks.
    },
    failure: "Could not sign in",
    alsoOnField: { pattern: /two-factor code|recovery code/i, field: "code" },
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
      <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate aria-describedby="two-factor-step-error">
        <FormError id="two-factor-step-error" message={formError} throttle={throttle} />
        {recovery ? (
          <InputField
            key="recovery"
            id="code"
            label="Recovery code"
            type="text"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            required
            autoFocus
            className="recovery-input"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            error={errors.code}
          />
        ) : (
          <OneTimeCodeField key="totp" id="code" label="Code" value={code} onChange={setCode} error={errors.code} autoFocus />
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
