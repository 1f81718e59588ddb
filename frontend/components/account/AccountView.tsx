"use client";

import { useState } from "react";
import toast from "react-hot-toast";
import { ChangeEmailForm } from "@/components/account/ChangeEmailForm";
import { VerifyEmailNotice } from "@/components/account/VerifyEmailNotice";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { LocalTime } from "@/components/LocalTime";
import { CurrentPasswordField, FormError } from "@/components/FormField";
import { SessionsList } from "@/components/account/SessionsList";
import { TwoFactorSection } from "@/components/account/TwoFactorSection";
import { errorMessage } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import { useFormSubmit } from "@/lib/forms";
import { NewPasswordFields, validateNewPassword } from "@/components/password/NewPasswordFields";

const FIELDS = ["current_password", "new_password", "confirm_new_password"] as const;

export function AccountView() {
  const { user } = useAuth();
  if (!user) return null;
  return (
    <div className="account-page">
      <header className="page-header">
        <div>
          <h1>Account</h1>
          <p className="muted">Manage your password and where you are signed in.</p>
        </div>
      </header>
      <div className="account-grid">
        <section className="card" aria-labelledby="profile-title">
          <h2 id="profile-title">Profile</h2>
          <dl className="profile">
            <dt>Name</dt>
            <dd>{user.name || <span className="muted">Not set</span>}</dd>
            <dt>Email</dt>
            <dd>{user.email}</dd>
            <dt>Member since</dt>
            <dd>
              <LocalTime value={user.created_at} dateOnly />
            </dd>
          </dl>
        </section>
        <VerifyEmailNotice />
        <ChangeEmailForm />
        <ChangePasswordForm />
        <TwoFactorSection />
        <SessionsList />
        <SignOutEverywhere />
      </div>
    </div>
  );
}

function ChangePasswordForm() {
  const { changePassword, user } = useAuth();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const { formRef, errors, formError, pending, onSubmit } = useFormSubmit(FIELDS, {
    validate: () => ({
      current_password: current ? undefined : "Current password is required",
      ...validateNewPassword({ id: "new_password", confirmId: "confirm_new_password" }, next, confirm, "New password"),
    }),
    send: async () => {
      await changePassword(current, next);
      setCurrent("");
      setNext("");
      setConfirm("");
      toast.success("Password changed. Other sessions have been signed out.");
    },
    failure: "Could not change the password",
    alsoOnField: { pattern: /current password/i, field: "current_password" },
  });

  return (
    <section className="card" aria-labelledby="change-password-title">
      <h2 id="change-password-title">Change password</h2>
      <p className="muted">Your other sessions are signed out; this one stays signed in.</p>
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <FormError id="change-password-error" message={formError} />
        {/* lets password managers pair the new password with the account */}
        <input type="hidden" name="username" autoComplete="username" value="" readOnly />
        <CurrentPasswordField
          id="current_password"
          label="Current password"
          value={current}
          onChange={setCurrent}
          error={errors.current_password}
        />
        <NewPasswordFields
          id="new_password"
          confirmId="confirm_new_password"
          label="New password"
          confirmLabel="Confirm new password"
          value={next}
          onChange={setNext}
          confirm={confirm}
          onConfirmChange={setConfirm}
          errors={errors}
          userInputs={[user?.email ?? "", user?.email.split("@")[0] ?? "", user?.name ?? ""]}
        />
        <button type="submit" className="btn btn-primary" disabled={pending}>
          {pending ? "Changing password…" : "Change password"}
        </button>
      </form>
    </section>
  );
}

function SignOutEverywhere() {
  const { logoutAll } = useAuth();
  const [open, setOpen] = useState(false);
  const [pending, setPending] = useState(false);

  async function onConfirm() {
    setPending(true);
    try {
      await logoutAll();
      toast.success("Signed out everywhere. Please sign in again.");
    } catch (err) {
      toast.error(errorMessage(err));
      setOpen(false);
    } finally {
      setPending(false);
    }
  }

  return (
    <section className="card" aria-labelledby="sign-out-everywhere-title">
      <h2 id="sign-out-everywhere-title">Sign out everywhere</h2>
      <p className="muted">
        Ends every session of your account, on every device and browser — this one included. Use it if you signed
        in on a computer you do not trust or lost a device.
      </p>
      <button type="button" className="btn btn-danger" onClick={() => setOpen(true)}>
        Sign out everywhere
      </button>
      <ConfirmDialog
        open={open}
        title="Sign out everywhere?"
        message={<p>Every session of your account will end, including this one. You will need to sign in again.</p>}
        confirmLabel="Sign out everywhere"
        pendingLabel="Signing out…"
        pending={pending}
        danger
        onConfirm={onConfirm}
        onCancel={() => setOpen(false)}
      />
    </section>
  );
}
