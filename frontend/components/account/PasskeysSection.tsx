"use client";

import { useState } from "react";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { CurrentPasswordField, FormError, InputField } from "@/components/FormField";
import { LocalTime } from "@/components/LocalTime";
import { Panel, SettingsRow, SettingsSection } from "@/components/account/Settings";
import { ApiError, errorMessage, passkeysApi } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import { useFormSubmit } from "@/lib/forms";
import { notify } from "@/lib/notify";
import { addPasskey, passkeyErrorMessage } from "@/lib/passkeys";
import { useReloadable } from "@/lib/reloadable";
import type { PasskeyInfo } from "@/lib/types";

/**
 * /account's "Passkeys": each passkey of the account (its name, when it was added and last used) with "Rename"
 * and "Remove" (the API refuses the account's last way to sign in), and "Add a passkey", which asks for the
 * current password first (an account without one: a recent sign-in is the proof) and then opens the browser's
 * passkey dialog. `hasPassword`: from the page's GET /api/auth/identities. `open`/`onToggle`: the add form, one
 * of the page's one-at-a-time panels.
 */
export function PasskeysSection({
  hasPassword,
  open,
  onToggle,
  onClose,
}: {
  hasPassword: boolean;
  open: boolean;
  onToggle: () => void;
  onClose: () => void;
}) {
  const { data, error, reload } = useReloadable((signal) => passkeysApi.list(signal));
  const passkeys = data?.passkeys ?? null;
  const [renaming, setRenaming] = useState<string | null>(null);
  const [removing, setRemoving] = useState<PasskeyInfo | null>(null);
  const [busy, setBusy] = useState(false);

  async function remove(passkey: PasskeyInfo) {
    setBusy(true);
    try {
      await passkeysApi.remove(passkey.id);
      notify.success(`The passkey “${passkey.name}” was removed`);
    } catch (err) {
      notify.error(errorMessage(err));
    } finally {
      setRemoving(null);
      setBusy(false);
      reload();
    }
  }

  return (
    <SettingsSection
      id="passkeys"
      title="Passkeys"
      description="Sign in with your device's screen lock, no password."
      testId="passkeys"
    >
      {error ? (
        <p role="alert" className="form-error settings-row">
          {error}
        </p>
      ) : null}
      {(passkeys ?? []).map((passkey) => (
        <SettingsRow
          key={passkey.id}
          id={`passkey-${passkey.id}`}
          label={passkey.name}
          open={renaming === passkey.id}
          panel={
            <RenamePasskey
              passkey={passkey}
              onDone={() => {
                setRenaming(null);
                reload();
              }}
            />
          }
        >
          <span className="muted row-note" data-testid="passkey-dates">
            Added <LocalTime value={passkey.created_at} dateOnly />
            {" · "}
            {passkey.last_used_at ? (
              <>
                last used <LocalTime value={passkey.last_used_at} />
              </>
            ) : (
              "never used"
            )}
          </span>{" "}
          {renaming !== passkey.id ? (
            <span className="passkey-actions">
              <button
                type="button"
                className="btn btn-sm btn-secondary"
                aria-label={`Rename ${passkey.name}`}
                onClick={() => setRenaming(passkey.id)}
              >
                Rename
              </button>{" "}
              <button
                type="button"
                className="btn btn-sm btn-ghost-danger btn-outline"
                aria-label={`Remove ${passkey.name}`}
                onClick={() => setRemoving(passkey)}
              >
                Remove
              </button>
            </span>
          ) : null}
        </SettingsRow>
      ))}
      <SettingsRow
        id="add-passkey"
        label="New passkey"
        action={{ text: "Add a passkey", label: "Add a passkey", onClick: onToggle }}
        open={open}
        panel={
          <AddPasskey
            hasPassword={hasPassword}
            onCancel={onClose}
            onDone={() => {
              onClose();
              reload();
            }}
          />
        }
      >
        <span className="muted">{passkeys && passkeys.length > 0 ? "For another device" : "No passkeys yet"}</span>
      </SettingsRow>
      <ConfirmDialog
        open={removing !== null}
        title={`Remove the passkey “${removing?.name ?? ""}”?`}
        message={<p>It will no longer sign you in. You can add a passkey again later.</p>}
        confirmLabel="Remove"
        pendingLabel="Removing…"
        pending={busy}
        danger
        onConfirm={() => removing && void remove(removing)}
        onCancel={() => setRemoving(null)}
      />
    </SettingsSection>
  );
}

function AddPasskey({ hasPassword, onCancel, onDone }: { hasPassword: boolean; onCancel: () => void; onDone: () => void }) {
  const { user } = useAuth();
  const [password, setPassword] = useState("");
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(["passkey_password"], {
    validate: () => ({ passkey_password: !hasPassword || password ? undefined : "Current password is required" }),
    send: async () => {
      let added: PasskeyInfo;
      try {
        added = await addPasskey(hasPassword ? password : null);
      } catch (err) {
        if (err instanceof ApiError) throw err;
        throw new ApiError(0, passkeyErrorMessage(err, "add") ?? "Adding the passkey was cancelled.");
      }
      notify.success(`Passkey added: “${added.name}”`);
      onDone();
    },
    failure: "Could not add a passkey",
    alsoOnField: { pattern: /current password/i, field: "passkey_password" },
  });
  return (
    <Panel id="add-passkey-form" title="Add a passkey">
      <p className="muted">
        {hasPassword
          ? "Confirm it is you with your password; then your browser asks you to create the passkey."
          : "Your browser will ask you to create the passkey."}
      </p>
      <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate>
        <FormError id="add-passkey-error" message={formError} throttle={throttle} />
        {hasPassword ? (
          <>
            <input type="hidden" name="username" autoComplete="username" value={user?.email ?? ""} readOnly />
            <CurrentPasswordField
              id="passkey_password"
              label="Current password"
              value={password}
              onChange={setPassword}
              error={errors.passkey_password}
              autoFocus
            />
          </>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? "Waiting for your passkey…" : "Continue"}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onCancel} disabled={pending}>
            Cancel
          </button>
        </div>
      </form>
    </Panel>
  );
}

function RenamePasskey({ passkey, onDone }: { passkey: PasskeyInfo; onDone: () => void }) {
  const [name, setName] = useState(passkey.name);
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(["passkey_name"], {
    validate: () => ({ passkey_name: name.trim() ? undefined : "A name is required" }),
    send: async () => {
      await passkeysApi.rename(passkey.id, name.trim());
      notify.success("Passkey renamed");
      onDone();
    },
    failure: "Could not rename the passkey",
  });
  return (
    <Panel id={`rename-${passkey.id}`} title="Rename passkey">
      <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate>
        <FormError id={`rename-${passkey.id}-error`} message={formError} throttle={throttle} />
        <InputField
          id="passkey_name"
          label="Passkey name"
          type="text"
          maxLength={64}
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errors.passkey_name}
          autoFocus
        />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? "Saving…" : "Save"}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onDone} disabled={pending}>
            Cancel
          </button>
        </div>
      </form>
    </Panel>
  );
}
