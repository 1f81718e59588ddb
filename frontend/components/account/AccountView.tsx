"use client";

import { useEffect, useRef, useState } from "react";
import { ChangeEmailForm } from "@/components/account/ChangeEmailForm";
import { NameForm } from "@/components/account/NameForm";
import { LinkedProvidersSection } from "@/components/account/LinkedProvidersSection";
import { PasskeysSection } from "@/components/account/PasskeysSection";
import { RecentActivitySection } from "@/components/account/RecentActivitySection";
import { EmailAddress, Panel, SettingsRow, SettingsSection } from "@/components/account/Settings";
import { SessionsList } from "@/components/account/SessionsList";
import { RecoveryCodesRow, TwoFactorRow } from "@/components/account/TwoFactorSection";
import { VerifyEmailNotice } from "@/components/account/VerifyEmailNotice";
import { YourDataSection } from "@/components/account/YourDataSection";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { CurrentPasswordField, FormError } from "@/components/FormField";
import { LocalTime } from "@/components/LocalTime";
import { NewPasswordFields, validateNewPassword } from "@/components/password/NewPasswordFields";
import { errorMessage, providersApi } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import { useFormSubmit } from "@/lib/forms";
import { notify } from "@/lib/notify";
import { useReloadable } from "@/lib/reloadable";

const FIELDS = ["current_password", "new_password", "confirm_new_password"] as const;

/** Which row's form is open: one at a time, so the page asks for the current password once. */
type Open =
  | "name"
  | "email"
  | "password"
  | "two-factor"
  | "recovery-codes"
  | "passkey"
  | "activity"
  | "delete-account"
  | null;

/**
 * /account: sections of summary rows, one form open at a time (after Clerk's user profile and GitHub's
 * settings). Round 3 adds its sections in this order: Profile, Sign-in and security (+ Passkeys),
 * Linked providers, Where you're signed in, Recent activity, Your data (download, delete), Sign out
 * everywhere.
 */
export function AccountView() {
  const { user } = useAuth();
  const [open, setOpen] = useState<Open>(null);
  const [emailSentTo, setEmailSentTo] = useState<string | null>(null);
  // "This was not me" ends the other sessions: the sessions list reads them again, and the password form opens
  // with the focus in it (given after the rows' own focus handling, which parents' effects follow).
  const [sessionsVersion, setSessionsVersion] = useState(0);
  const focusPassword = useRef(false);
  useEffect(() => {
    if (open !== "password" || !focusPassword.current) return;
    focusPassword.current = false;
    document.getElementById("current_password")?.focus();
  }, [open]);
  if (!user) return null;
  const toggle = (which: Exclude<Open, null>) => () => setOpen((now) => (now === which ? null : which));
  const close = () => setOpen(null);

  return (
    <div className="account-page">
      <header className="page-header">
        <div>
          <h1>Account</h1>
          <p className="muted">Your profile, how you sign in, and where you are signed in.</p>
        </div>
      </header>
      <VerifyEmailNotice />

      <SettingsSection id="profile" title="Profile">
        <SettingsRow
          id="name"
          label="Name"
          action={
            user.name
              ? { text: "Edit", label: "Edit name", onClick: toggle("name") }
              : { text: "Add your name", label: "Add your name", onClick: toggle("name") }
          }
          open={open === "name"}
          panel={<NameForm onDone={close} />}
        >
          {user.name ? (
            <span className="name-value" data-testid="account-name">
              {user.name}
            </span>
          ) : (
            <span className="muted">Not set</span>
          )}
        </SettingsRow>
        <SettingsRow
          id="email"
          label="Email"
          action={{ text: "Change", label: "Change email", onClick: toggle("email") }}
          open={open === "email"}
          panel={
            <ChangeEmailForm
              onCancel={close}
              onSent={(to) => {
                setEmailSentTo(to);
                close();
              }}
            />
          }
        >
          <span data-testid="account-email">
            <EmailAddress email={user.email} />
          </span>{" "}
          {user.email_verified ? null : <span className="badge badge-warning">Not confirmed</span>}
          {emailSentTo ? (
            <p role="status" className="row-note">
              A link is on its way to <EmailAddress email={emailSentTo} />. Until you open it, you keep signing in
              with your current address.
            </p>
          ) : null}
        </SettingsRow>
        <SettingsRow id="member-since" label="Member since">
          <LocalTime value={user.created_at} dateOnly />
        </SettingsRow>
      </SettingsSection>

      <SettingsSection id="security" title="Sign-in and security">
        <SettingsRow
          id="password"
          label="Password"
          action={{ text: "Change", label: "Change password", onClick: toggle("password") }}
          open={open === "password"}
          panel={<ChangePasswordForm onDone={close} />}
        >
          <span aria-hidden="true" className="password-dots">
            ••••••••••
          </span>
          <span className="sr-only">Set</span>
        </SettingsRow>
        <TwoFactorRow open={open === "two-factor"} onToggle={toggle("two-factor")} onClose={close} />
        {user.two_factor_enabled ? (
          <RecoveryCodesRow open={open === "recovery-codes"} onToggle={toggle("recovery-codes")} onClose={close} />
        ) : null}
      </SettingsSection>

      <PasskeysAndProviders open={open === "passkey"} onToggle={toggle("passkey")} onClose={close} />

      <SessionsList key={sessionsVersion} />

      <RecentActivitySection
        open={open === "activity"}
        onToggle={toggle("activity")}
        onNotMe={() => {
          setSessionsVersion((v) => v + 1);
          focusPassword.current = true;
          setOpen("password");
        }}
      />

      <YourDataSection open={open === "delete-account"} onToggle={toggle("delete-account")} onClose={close} />

      <SignOutEverywhere />
    </div>
  );
}

/**
 * "Passkeys" and "Linked providers", with one read of GET /api/auth/identities for both: Passkeys needs its
 * `has_password` (the add form asks for the password only when there is one), Linked providers the identities
 * (and reads them again after an unlink).
 */
function PasskeysAndProviders({ open, onToggle, onClose }: { open: boolean; onToggle: () => void; onClose: () => void }) {
  const identities = useReloadable((signal) => providersApi.identities(signal));
  return (
    <>
      <PasskeysSection
        hasPassword={identities.data?.has_password ?? true}
        open={open}
        onToggle={onToggle}
        onClose={onClose}
      />
      <LinkedProvidersSection identities={identities} />
    </>
  );
}

function ChangePasswordForm({ onDone }: { onDone: () => void }) {
  const { changePassword, user } = useAuth();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(FIELDS, {
    validate: () => ({
      current_password: current ? undefined : "Current password is required",
      ...validateNewPassword({ id: "new_password", confirmId: "confirm_new_password" }, next, confirm, "New password"),
    }),
    send: async () => {
      await changePassword(current, next);
      notify.success("Password changed. Other sessions have been signed out.");
      onDone();
    },
    failure: "Could not change the password",
    alsoOnField: { pattern: /current password/i, field: "current_password" },
  });

  return (
    <Panel id="change-password" title="Change password">
      <p className="muted">Your other sessions are signed out; this one stays signed in.</p>
      <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate>
        <FormError id="change-password-error" message={formError} throttle={throttle} />
        {/* lets password managers pair the new password with the account */}
        <input type="hidden" name="username" autoComplete="username" value={user?.email ?? ""} readOnly />
        <CurrentPasswordField
          id="current_password"
          label="Current password"
          value={current}
          onChange={setCurrent}
          error={errors.current_password}
          autoFocus
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
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? "Changing password…" : "Change password"}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onDone} disabled={pending}>
            Cancel
          </button>
        </div>
      </form>
    </Panel>
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
      notify.success("Signed out everywhere. Please sign in again.");
    } catch (err) {
      notify.error(errorMessage(err));
      setOpen(false);
    } finally {
      setPending(false);
    }
  }

  return (
    <SettingsSection id="sign-out-everywhere" title="Sign out everywhere">
      <div className="settings-row">
        <div className="settings-row-summary settings-row-wide">
          <p className="muted settings-row-value">
            Ends every session of your account, on every device and browser — this one included. Use it if you signed
            in on a computer you do not trust or lost a device.
          </p>
          <button type="button" className="btn btn-danger btn-sm settings-row-action" onClick={() => setOpen(true)}>
            Sign out everywhere
          </button>
        </div>
      </div>
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
    </SettingsSection>
  );
}
