"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { FormError } from "@/components/FormField";
import { PageLoader } from "@/components/PageLoader";
import { NewPasswordFields, validateNewPassword } from "@/components/password/NewPasswordFields";
import { accountApi, ApiError } from "@/lib/api";
import { useFormSubmit } from "@/lib/forms";
import { useLinkToken } from "@/lib/linkToken";
import { notify } from "@/lib/notify";
import { handOnEmail } from "@/lib/prefill";

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

/** What the check of the link on opening said: live (for this address, when the API says), or dead. */
type LinkState = { kind: "checking" } | { kind: "live"; email: string | null } | { kind: "dead"; message: string };

/**
 * Checks the link as the page opens (POST /api/auth/reset-password/check, which spends nothing), so a used
 * or expired link is refused before anyone types a password. An API without that route (404/405) or one
 * that cannot answer now leaves the check to the reset itself, as before.
 */
function useLinkCheck(token: string | null | undefined): LinkState {
  const [state, setState] = useState<LinkState>({ kind: "checking" });
  useEffect(() => {
    if (!token) return;
    let live = true;
    accountApi
      .checkResetToken(token)
      .then((res) => live && setState({ kind: "live", email: res?.email ?? null }))
      .catch((err: unknown) => {
        if (!live) return;
        if (err instanceof ApiError && err.status === 400) setState({ kind: "dead", message: err.message });
        else setState({ kind: "live", email: null });
      });
    return () => {
      live = false;
    };
  }, [token]);
  return state;
}

export function ResetPasswordForm() {
  const token = useLinkToken();
  const check = useLinkCheck(token);
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [done, setDone] = useState(false);
  const [badLink, setBadLink] = useState<string | null>(null);
  const email = check.kind === "live" ? check.email : null;
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(FIELDS, {
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
      // The sign-in page of this tab opens with the address filled in.
      if (email) handOnEmail(email);
      notify.success("Password changed");
    },
    failure: "Could not change the password",
  });

  if (token === undefined) return <PageLoader />;
  if (token === null) return <BadLink message="This page needs the link from the mail we sent you." />;
  if (check.kind === "checking") return <PageLoader label="Checking your link…" />;
  if (check.kind === "dead") return <BadLink message={check.message} />;
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
      <p className="muted">
        {email ? (
          <>
            For <strong>{email}</strong>.{" "}
          </>
        ) : null}
        Every device signed in to your account will be signed out.
      </p>
      <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate aria-describedby="reset-form-error">
        <FormError id="reset-form-error" message={formError} throttle={throttle} />
        <input type="hidden" name="username" autoComplete="username" value={email ?? ""} readOnly />
        <NewPasswordFields
          {...IDS}
          label="New password"
          confirmLabel="Confirm new password"
          value={password}
          onChange={setPassword}
          confirm={confirm}
          onConfirmChange={setConfirm}
          errors={errors}
          userInputs={email ? [email, email.split("@")[0] ?? ""] : []}
        />
        <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
          {pending ? "Saving…" : "Set new password"}
        </button>
      </form>
    </section>
  );
}
