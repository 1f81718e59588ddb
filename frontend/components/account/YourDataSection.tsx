"use client";

import { useEffect, useState } from "react";
import { CurrentPasswordField, FormError, InputField } from "@/components/FormField";
import { OneTimeCodeField } from "@/components/OneTimeCodeField";
import { EmailAddress, Panel, SettingsRow, SettingsSection } from "@/components/account/Settings";
import { EXPORT_URL, authApi, tasksApi } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import { useFormSubmit } from "@/lib/forms";
import { notify } from "@/lib/notify";

/**
 * "Your data": one row — "Download my data" (everything the API keeps about you, one JSON file the browser
 * downloads from GET /api/auth/export, streamed) and "Delete my account" (a panel that says what will be lost
 * and asks for the password, and a code when two-factor is on; then the session ends and the account is gone).
 */
export function YourDataSection({ open, onToggle, onClose }: { open: boolean; onToggle: () => void; onClose: () => void }) {
  const today = new Date().toISOString().slice(0, 10);
  return (
    <SettingsSection id="your-data" title="Your data">
      <SettingsRow
        id="download-or-delete"
        label="Download or delete"
        action={{ text: "Delete my account", label: "Delete my account", onClick: onToggle, danger: true }}
        open={open}
        panel={<DeleteAccount onCancel={onClose} />}
      >
        <a className="download-link" href={EXPORT_URL} download={`todo-data-${today}.json`}>
          Download my data
        </a>{" "}
        <span className="muted">— your profile, tasks, sessions and activity as one JSON file</span>
      </SettingsRow>
    </SettingsSection>
  );
}

/** The numbers the confirmation names (null while they load, or when they could not be read). */
function useWhatWillBeLost(): { tasks: number | null; sessions: number | null } {
  const [tasks, setTasks] = useState<number | null>(null);
  const [sessions, setSessions] = useState<number | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    tasksApi
      .count(controller.signal)
      .then(setTasks)
      .catch(() => undefined);
    authApi
      .sessions(controller.signal)
      .then((res) => setSessions(res.sessions.length))
      .catch(() => undefined);
    return () => controller.abort();
  }, []);
  return { tasks, sessions };
}

function plural(n: number | null, one: string, many: string): string {
  if (n === null) return many;
  return `${n} ${n === 1 ? one : many}`;
}

function DeleteAccount({ onCancel }: { onCancel: () => void }) {
  const { user, deleteAccount } = useAuth();
  const lost = useWhatWillBeLost();
  const twoFactor = !!user?.two_factor_enabled;
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [recovery, setRecovery] = useState(false);
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(
    ["delete_password", "delete_code"],
    {
      validate: () => ({
        delete_password: password ? undefined : "Current password is required",
        delete_code: !twoFactor
          ? undefined
          : recovery
            ? code.trim()
              ? undefined
              : "Enter one of your recovery codes"
            : /^\d{6}$/.test(code)
              ? undefined
              : "Enter the 6-digit code from your app",
      }),
      send: async () => {
        await deleteAccount(password, twoFactor ? code.trim() : null);
        notify.success("Your account was deleted. Everything in it is gone.");
      },
      failure: "Could not delete your account",
      alsoOnField: [
        { pattern: /current password/i, field: "delete_password" },
        { pattern: /code/i, field: "delete_code" },
      ],
    },
  );
  return (
    <Panel id="delete-account-confirm" title="Delete your account?">
      <p>This cannot be undone. With the account goes:</p>
      <ul className="lost-list" data-testid="what-will-be-lost">
        <li>{lost.tasks === null ? "all your tasks" : `your ${plural(lost.tasks, "task", "tasks")}`}</li>
        <li>
          your sign-in on every device
          {lost.sessions === null ? "" : ` (${plural(lost.sessions, "session", "sessions")}, this one included)`}
        </li>
        <li>your history of sign-ins and changes</li>
        <li>your password{twoFactor ? ", two-factor authentication and its recovery codes" : ""}</li>
      </ul>
      <p className="muted">
        {user ? <EmailAddress email={user.email} /> : "Your address"} will be free: you can register with it again, as a
        new, empty account. A last mail confirms the deletion.
      </p>
      <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate>
        <FormError id="delete-account-error" message={formError} throttle={throttle} />
        <input type="hidden" name="username" autoComplete="username" value={user?.email ?? ""} readOnly />
        <CurrentPasswordField
          id="delete_password"
          label="Current password"
          value={password}
          onChange={setPassword}
          error={errors.delete_password}
          autoFocus
        />
        {twoFactor ? (
          <>
            {recovery ? (
              <InputField
                key="recovery"
                id="delete_code"
                label="Recovery code"
                type="text"
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                required
                className="recovery-input"
                value={code}
                onChange={(e) => setCode(e.target.value)}
                error={errors.delete_code}
              />
            ) : (
              <OneTimeCodeField key="totp" id="delete_code" label="Code from the app" value={code} onChange={setCode} error={errors.delete_code} />
            )}
            <p className="field-switch">
              <button
                type="button"
                className="link-button"
                onClick={() => {
                  setRecovery((r) => !r);
                  setCode("");
                }}
              >
                {recovery ? "Use a code from your app instead" : "Use a recovery code instead"}
              </button>
            </p>
          </>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-danger" disabled={pending}>
            {pending ? "Deleting your account…" : "Delete my account"}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onCancel} disabled={pending}>
            Cancel
          </button>
        </div>
      </form>
    </Panel>
  );
}
