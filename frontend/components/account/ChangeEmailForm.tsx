"use client";

import { useState } from "react";
import toast from "react-hot-toast";
import { CurrentPasswordField, EmailField, FormError } from "@/components/FormField";
import { accountApi } from "@/lib/api";
import { useFormSubmit } from "@/lib/forms";
import { validateEmail } from "@/lib/validation";

const FIELDS = ["new_email", "current_password"] as const;

/** Change of email: a link goes to the new address; the email changes only when it is opened. */
export function ChangeEmailForm() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [sentTo, setSentTo] = useState<string | null>(null);
  const { formRef, errors, formError, pending, onSubmit } = useFormSubmit(FIELDS, {
    validate: () => ({
      new_email: validateEmail(email),
      current_password: password ? undefined : "Current password is required",
    }),
    send: async () => {
      await accountApi.changeEmail(password, email);
      setSentTo(email.trim());
      setEmail("");
      setPassword("");
      toast.success("Check the new address for a link");
    },
    failure: "Could not change the email",
    alsoOnField: { pattern: /current password|already registered/i, field: "current_password" },
  });

  return (
    <section className="card" aria-labelledby="change-email-title">
      <h2 id="change-email-title">Change email</h2>
      <p className="muted">We mail a link to the new address; your email changes when you open it.</p>
      {sentTo ? (
        <p role="status">
          A link is on its way to <strong>{sentTo}</strong>. Until you open it, you keep signing in with your current
          address.
        </p>
      ) : null}
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <FormError id="change-email-error" message={formError} />
        <EmailField
          id="new_email"
          label="New email"
          value={email}
          onChange={setEmail}
          error={errors.new_email}
        />
        <CurrentPasswordField
          id="change_email_password"
          label="Current password"
          value={password}
          onChange={setPassword}
          error={errors.current_password}
        />
        <button type="submit" className="btn btn-primary" disabled={pending}>
          {pending ? "Sending…" : "Send confirmation link"}
        </button>
      </form>
    </section>
  );
}
