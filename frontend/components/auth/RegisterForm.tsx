"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";
import { EmailField, FormError, InputField } from "@/components/FormField";
import { ProviderSignIn } from "@/components/auth/ProviderSignIn";
import { useAuth } from "@/lib/auth/context";
import { useFormSubmit } from "@/lib/forms";
import { sanitizeNext } from "@/lib/navigation";
import { NewPasswordFields, validateNewPassword } from "@/components/password/NewPasswordFields";
import { charCount, NAME_MAX, validateEmail } from "@/lib/validation";
import { notify } from "@/lib/notify";

const FIELDS = ["name", "email", "password", "confirm_password"] as const;

export function RegisterForm() {
  const { register } = useAuth();
  const params = useSearchParams();
  const next = sanitizeNext(params.get("next"));
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(FIELDS, {
    validate: () => ({
      name: charCount(name.trim()) > NAME_MAX ? `Name must be at most ${NAME_MAX} characters` : undefined,
      email: validateEmail(email),
      ...validateNewPassword({ id: "password", confirmId: "confirm_password" }, password, confirm),
    }),
    send: async () => {
      await register(email, password, name);
      notify.success("Account created successfully");
    },
    failure: "Sign up failed",
    // "Email already registered" belongs next to the email field as well
    alsoOnField: { pattern: /already registered/i, field: "email" },
  });

  return (
    <section className="card auth-card" aria-labelledby="register-title">
      <h1 id="register-title">Create your account</h1>
      <p className="muted">It takes a few seconds. All you need is an email address.</p>
      <ProviderSignIn next={next} />
      <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate aria-describedby="register-form-error">
        <FormError id="register-form-error" message={formError} throttle={throttle} />
        <InputField
          id="name"
          label="Name"
          optional
          type="text"
          autoComplete="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errors.name}
        />
        <EmailField
          id="email"
          label="Email"
          value={email}
          onChange={setEmail}
          error={errors.email}
        />
        <NewPasswordFields
          id="password"
          confirmId="confirm_password"
          value={password}
          onChange={setPassword}
          confirm={confirm}
          onConfirmChange={setConfirm}
          errors={errors}
          userInputs={[email, email.split("@")[0] ?? "", name]}
        />
        <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
          {pending ? "Creating account…" : "Sign up"}
        </button>
      </form>
      <p className="auth-switch">
        Already have an account?{" "}
        <Link href={next ? `/login?next=${encodeURIComponent(next)}` : "/login"}>Sign in</Link>
      </p>
    </section>
  );
}
