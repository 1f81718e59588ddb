"use client";

import { useState } from "react";
import { CurrentPasswordField, EmailField, FormError } from "@/components/FormField";
import { Panel } from "@/components/account/Settings";
import { accountApi } from "@/lib/api";
import { useFormSubmit } from "@/lib/forms";
import { notify } from "@/lib/notify";
import { validateEmail } from "@/lib/validation";

const FIELDS = ["new_email", "current_password"] as const;

/** Change of email: a link goes to the new address; the email changes only when it is opened. */
export function ChangeEmailForm({ onSent, onCancel }: { onSent: (email: string) => void; onCancel: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(FIELDS, {
    validate: () => ({
      new_email: validateEmail(email),
      current_password: password ? undefined : "Current password is required",
    }),
    send: async () => {
      await accountApi.changeEmail(password, email);
      notify.success("Check the new address for a link");
      onSent(email.trim());
    },
    failure: "Could not change the email",
    alsoOnField: [
      { pattern: /current password/i, field: "current_password" },
      { pattern: /already registered|same as your current/i, field: "new_email" },
    ],
    ids: { current_password: "change_email_password" },
  });

  return (
    <Panel id="change-email" title="Change email">
      <p className="muted">We mail a link to the new address; your email changes when you open it.</p>
      <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate>
        <FormError id="change-email-error" message={formError} throttle={throttle} />
        <EmailField id="new_email" label="New email" value={email} onChange={setEmail} error={errors.new_email} autoFocus />
        <CurrentPasswordField
          id="change_email_password"
          label="Current password"
          value={password}
          onChange={setPassword}
          error={errors.current_password}
        />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? "Sending…" : "Send confirmation link"}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onCancel} disabled={pending}>
            Cancel
          </button>
        </div>
      </form>
    </Panel>
  );
}
