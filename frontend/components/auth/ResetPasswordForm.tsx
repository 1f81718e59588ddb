"use client";

import Link from "next/link";
import { useState } from "react";
import toast from "react-hot-toast";
import { FormError } from "@/components/FormField";
import { PageLoader } from "@/components/PageLoader";
import { NewPasswordFields, validateNewPassword } from "@/components/password/NewPasswordFields";
import { accountApi, ApiError } from "@/lib/api";
import { useFormSubmit } from "@/lib/forms";
import { useLinkToken } from "@/lib/linkToken";

const FIELDS = ["new_password", "confirm_new_password"] as const;
const IDS = { id: "new_password", confirmId: "confirm_new_password" };

function BadLink({ message }: { message: string }) {
  return (
    <section className="card auth-card" aria-labelledby="reset-title">
      <h1 id="reset-title">This link does not work</h1>
      <p role="alert">{message}</p>
      <p className="muted">Reset links work once, for a limited time, and only the newest one you asked for.</p>
      <Link href="/forgot-password" className="btn btn-primary btn-block">
        Send me a new link
      </Link>
    </section>
  );
}

export function ResetPasswordForm() {
  const token = useLinkToken();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [done, setDone] = useState(false);
  const [badLink, setBadLink] = useState<string | null>(null);
  const { formRef, errors, formError, pending, onSubmit } = useFormSubmit(FIELDS, {
    validate: () => validateNewPassword(IDS, password, confirm, "New password"),
    send: async () => {
      try {
        await accountApi.resetPassword(token ?? "", password);
      } catch (err) {
        if (err instanceof ApiError && err.status === 400) {
          setBadLink(err.message);
          return;
        }
        throw err;
      }
      setPassword("");
      setConfirm("");
      setDone(true);
      toast.success("Password changed");
    },
    failure: "Could not change the password",
  });

  if (token === undefined) return <PageLoader />;
  if (token === null) return <BadLink message="This page needs the link from the mail we sent you." />;
  if (badLink) return <BadLink message={badLink} />;
  if (done) {
    return (
      <section className="card auth-card" aria-labelledby="reset-title">
        <h1 id="reset-title">Password changed</h1>
        <p role="status">Your password has been changed, and every device signed in to your account was signed out.</p>
        <Link href="/login" className="btn btn-primary btn-block">
          Sign in
        </Link>
      </section>
    );
  }
  return (
    <section className="card auth-card" aria-labelledby="reset-title">
      <h1 id="reset-title">Choose a new password</h1>
      <p className="muted">Every device signed in to your account will be signed out.</p>
      <form ref={formRef} onSubmit={onSubmit} noValidate aria-describedby="reset-form-error">
        <FormError id="reset-form-error" message={formError} />
        <input type="hidden" name="username" autoComplete="username" value="" readOnly />
        <NewPasswordFields
          {...IDS}
          label="New password"
          confirmLabel="Confirm new password"
          value={password}
          onChange={setPassword}
          confirm={confirm}
          onConfirmChange={setConfirm}
          errors={errors}
        />
        <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
          {pending ? "Saving…" : "Set new password"}
        </button>
      </form>
    </section>
  );
}
