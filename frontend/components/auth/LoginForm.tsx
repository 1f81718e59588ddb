"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useId, useRef, useState } from "react";
import { CurrentPasswordField, EmailField, FormError, ShowPassword } from "@/components/FormField";
import { EmailCodeSignIn } from "@/components/auth/EmailCodeSignIn";
import { ProviderSignIn } from "@/components/auth/ProviderSignIn";
import { TwoFactorStep } from "@/components/auth/TwoFactorStep";
import { ApiError } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import { useFormSubmit } from "@/lib/forms";
import { sanitizeNext } from "@/lib/navigation";
import { notify } from "@/lib/notify";
import {
  cancelPasskeyCeremony,
  passkeyAutofillSupported,
  passkeyErrorMessage,
  passkeysSupported,
} from "@/lib/passkeys";
import { takeHandedEmail } from "@/lib/prefill";
import { takeProviderMfaToken } from "@/lib/providers";
import { validateEmail } from "@/lib/validation";

const FIELDS = ["email", "password"] as const;

export function LoginForm() {
  const { login, loginWithPasskey } = useAuth();
  const params = useSearchParams();
  const next = sanitizeNext(params.get("next"));
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [shown, setShown] = useState(false);
  const showId = useId();
  // Set when the password was right and the account asks for a second factor (the login's 403).
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  // "Email me a code" instead of the password.
  const [byCode, setByCode] = useState(false);
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(FIELDS, {
    // Any password may be tried at sign-in (the API accepts any): only an empty one is refused here. The
    // registration rules would block a user whose older password is shorter, or pasted with spaces.
    validate: () => ({ email: validateEmail(email), password: password ? undefined : "Password is required" }),
    send: async () => {
      try {
        await login(email, password);
      } catch (err) {
        if (err instanceof ApiError && err.status === 403 && err.mfaToken) {
          setPassword("");
          setMfaToken(err.mfaToken);
          return;
        }
        throw err;
      }
      notify.success("Signed in");
      // The (auth) layout now sends us on to ?next= or /tasks.
    },
    failure: "Could not sign in",
  });

  // After a password reset in this tab: the address is filled in, the password field has the focus.
  useEffect(() => {
    const handed = takeHandedEmail();
    if (!handed) return;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- sessionStorage is only readable in the browser
    setEmail(handed);
    document.getElementById("password")?.focus();
  }, []);

  // After a provider sign-in of a two-factor account: its code step, with the token the API put in the fragment.
  useEffect(() => {
    const handed = takeProviderMfaToken();
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the fragment is only readable in the browser
    if (handed) setMfaToken(handed);
  }, []);

  // Passkeys: a button (the browser's dialog) and, where the browser can, autofill on the email field
  // (conditional mediation: a ceremony waits in the background until a passkey is picked from the suggestions).
  const [passkeyError, setPasskeyError] = useState<string | null>(null);
  const [passkeyPending, setPasskeyPending] = useState(false);
  const [canPasskey, setCanPasskey] = useState(false);
  const mounted = useRef(true);
  async function passkeySignIn(autofill: boolean) {
    if (!autofill) {
      setPasskeyPending(true);
      setPasskeyError(null);
    }
    try {
      await loginWithPasskey(autofill);
      notify.success("Signed in");
    } catch (err) {
      // Autofill waits in the background: a failure there (no passkey picked, a site that cannot use passkeys)
      // is no news to the person, who may be typing a password. The button's failures are said.
      const message = autofill ? null : passkeyErrorMessage(err, "sign-in");
      if (message && mounted.current) setPasskeyError(message);
    } finally {
      if (!autofill && mounted.current) setPasskeyPending(false);
    }
  }
  useEffect(() => {
    mounted.current = true;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- what the browser supports is only known here
    setCanPasskey(passkeysSupported());
    let cancelled = false;
    void passkeyAutofillSupported().then((yes) => {
      if (yes && !cancelled) void passkeySignIn(true);
    });
    return () => {
      cancelled = true;
      mounted.current = false;
      cancelPasskeyCeremony();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- one autofill ceremony per visit of the page
  }, []);

  if (mfaToken) return <TwoFactorStep mfaToken={mfaToken} onRestart={() => setMfaToken(null)} />;
  if (byCode) {
    return <EmailCodeSignIn initialEmail={email} onSecondFactor={setMfaToken} onPassword={() => setByCode(false)} />;
  }

  return (
    <section className="card auth-card" aria-labelledby="login-title">
      <h1 id="login-title">Sign in</h1>
      <p className="muted">{next ? "Sign in to continue where you were." : "Welcome back. Sign in to see your tasks."}</p>
      {/* The ways in without an email (providers, a passkey), then "or with your email" and the form. */}
      <ProviderSignIn next={next}>
        {canPasskey ? (
          <>
            {passkeyError ? (
              <p role="alert" className="form-error" data-testid="passkey-error">
                {passkeyError}
              </p>
            ) : null}
            <button
              type="button"
              className="btn btn-secondary btn-block"
              onClick={() => void passkeySignIn(false)}
              disabled={passkeyPending}
            >
              {passkeyPending ? "Waiting for your passkey…" : "Sign in with a passkey"}
            </button>
          </>
        ) : null}
      </ProviderSignIn>
      <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate aria-describedby="login-form-error">
        <FormError id="login-form-error" message={formError} throttle={throttle}>
          {throttle ? (
            <>
              Forgotten your password? <Link href="/forgot-password">Reset it</Link> instead of waiting.
            </>
          ) : null}
        </FormError>
        <EmailField
          id="email"
          label="Email"
          value={email}
          onChange={setEmail}
          error={errors.email}
          autoComplete="username webauthn"
        />
        <CurrentPasswordField
          id="password"
          label="Password"
          value={password}
          onChange={setPassword}
          shown={shown}
          error={errors.password}
        />
        <div className="login-options">
          <ShowPassword id={showId} shown={shown} onChange={setShown} />
          <Link href="/forgot-password" className="forgot-link">
            Forgot password?
          </Link>
        </div>
        <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
          {pending ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p className="auth-divider">
        <span>or without a password</span>
      </p>
      <button type="button" className="btn btn-secondary btn-block" onClick={() => setByCode(true)}>
        Email me a code
      </button>
      <p className="auth-switch">
        No account yet?{" "}
        <Link href={next ? `/register?next=${encodeURIComponent(next)}` : "/register"}>Create one</Link>
      </p>
    </section>
  );
}
