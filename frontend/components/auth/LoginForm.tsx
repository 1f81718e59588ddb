"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";
import toast from "react-hot-toast";
import { CurrentPasswordField, EmailField, FormError } from "@/components/FormField";
import { TwoFactorStep } from "@/components/auth/TwoFactorStep";
import { ApiError } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import { useFormSubmit } from "@/lib/forms";
import { sanitizeNext } from "@/lib/navigation";
import { validateEmail } from "@/lib/validation";

const FIELDS = ["email", "password"] as const;

export function LoginForm() {
  const { login } = useAuth();
  const params = useSearchParams();
  const next = sanitizeNext(params.get("next"));
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  // Set when the password was right and the account asks for a second factor (the login's 403).
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const { formRef, errors, formError, pending, onSubmit } = useFormSubmit(FIELDS, {
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
      toast.success("Logged in successfully");
      // The (auth) layout now sends us on to ?next= or /tasks.
    },
    failure: "Sign in failed",
  });

  if (mfaToken) return <TwoFactorStep mfaToken={mfaToken} onRestart={() => setMfaToken(null)} />;

  return (
    <section className="card auth-card" aria-labelledby="login-title">
      <h1 id="login-title">Sign in</h1>
      <p className="muted">{next ? "Sign in to continue where you were." : "Welcome back. Sign in to see your tasks."}</p>
      <form ref={formRef} onSubmit={onSubmit} noValidate aria-describedby="login-form-error">
        <FormError id="login-form-error" message={formError} />
        <EmailField
          id="email"
          label="Email"
          value={email}
          onChange={setEmail}
          error={errors.email}
        />
        <CurrentPasswordField
          id="password"
          label="Password"
          value={password}
          onChange={setPassword}
          error={errors.password}
        />
        <p className="forgot-link">
          <Link href="/forgot-password">Forgot password?</Link>
        </p>
        <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
          {pending ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p className="auth-switch">
        No account yet?{" "}
        <Link href={next ? `/register?next=${encodeURIComponent(next)}` : "/register"}>Create one</Link>
      </p>
    </section>
  );
}
