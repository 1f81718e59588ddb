"use client";

import QRCode from "qrcode";
import { useEffect, useState } from "react";
import { CurrentPasswordField, FormError, InputField } from "@/components/FormField";
import { OneTimeCodeField } from "@/components/OneTimeCodeField";
import { Panel, SettingsRow } from "@/components/account/Settings";
import { twoFactorApi } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import { saveUser } from "@/lib/auth/storage";
import { useFormSubmit } from "@/lib/forms";
import { notify } from "@/lib/notify";
import type { TwoFactorSetupResponse } from "@/lib/types";

/**
 * The "Two-factor authentication" row of /account: Off → "Set up" (current password → QR code of the
 * otpauth:// URL, drawn here in the browser, and the key in groups of four with "Copy" → the code from the
 * app) → the recovery codes, shown once (copy, download) until "I have saved them"; On → "Turn off"
 * (current password + a code from the app or a recovery code).
 */
export function TwoFactorRow({ open, onToggle, onClose }: { open: boolean; onToggle: () => void; onClose: () => void }) {
  const { user } = useAuth();
  const [setup, setSetup] = useState<TwoFactorSetupResponse | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  if (!user) return null;
  const enabled = !!user.two_factor_enabled;
  const close = () => {
    setSetup(null);
    onClose();
  };

  let panel: React.ReactNode = null;
  if (recoveryCodes) {
    panel = (
      <RecoveryCodes
        codes={recoveryCodes}
        email={user.email}
        onDone={() => {
          setRecoveryCodes(null);
          close();
        }}
      />
    );
  } else if (enabled) {
    panel = (
      <TurnOff
        onCancel={close}
        onDone={() => {
          saveUser({ ...user, two_factor_enabled: false });
          close();
        }}
      />
    );
  } else {
    panel = (
      <Panel id="two-factor-setup" title="Set up two-factor authentication">
        {setup ? (
          <Confirm
            setup={setup}
            onCancel={close}
            onEnabled={(codes) => {
              setSetup(null);
              setRecoveryCodes(codes);
              saveUser({ ...user, two_factor_enabled: true });
            }}
          />
        ) : (
          <Start onStarted={setSetup} onCancel={close} />
        )}
      </Panel>
    );
  }

  return (
    <SettingsRow
      id="two-factor"
      label="Two-factor authentication"
      action={
        enabled
          ? { text: "Turn off", label: "Turn off two-factor authentication", onClick: onToggle, danger: true }
          : { text: "Set up", label: "Set up two-factor authentication", onClick: onToggle }
      }
      open={open || recoveryCodes !== null}
      panel={panel}
    >
      {enabled ? (
        <>
          <span className="badge badge-done">On</span> <span className="muted">Codes from your authenticator app</span>
        </>
      ) : (
        <>
          <span className="badge badge-off">Off</span>{" "}
          <span className="muted">A code from an app on your phone as well as your password, so a stolen password is not enough.</span>
        </>
      )}
    </SettingsRow>
  );
}

function Start({ onStarted, onCancel }: { onStarted: (setup: TwoFactorSetupResponse) => void; onCancel: () => void }) {
  const { user } = useAuth();
  const [password, setPassword] = useState("");
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(["tf_setup_password"], {
    validate: () => ({ tf_setup_password: password ? undefined : "Current password is required" }),
    send: async () => {
      onStarted(await twoFactorApi.setup(password));
      setPassword("");
    },
    failure: "Could not start two-factor setup",
    alsoOnField: { pattern: /current password/i, field: "tf_setup_password" },
  });
  return (
    <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate>
      <p className="muted">First your password, to show it is you. Nothing changes until you confirm a code from the app.</p>
      <FormError id="tf-setup-error" message={formError} throttle={throttle} />
      <input type="hidden" name="username" autoComplete="username" value={user?.email ?? ""} readOnly />
      <CurrentPasswordField
        id="tf_setup_password"
        label="Current password"
        value={password}
        onChange={setPassword}
        error={errors.tf_setup_password}
        autoFocus
      />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={pending}>
          {pending ? "Checking…" : "Continue"}
        </button>
        <button type="button" className="btn btn-ghost" onClick={onCancel} disabled={pending}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** A setup key as people copy it by eye: groups of four ("ABCD EFGH …"); copied whole. */
function SetupKey({ secret }: { secret: string }) {
  const groups = secret.match(/.{1,4}/g) ?? [secret];
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      notify.success("Key copied");
    } catch {
      notify.error("Could not copy; type the key by hand");
    }
  }
  return (
    <div className="setup-key">
      <p className="field-hint">
        Or type this key into the app:
      </p>
      <div className="setup-key-row">
        <code className="two-factor-secret" data-testid="totp-secret">
          {groups.map((g, i) => (
            <span key={i} className="key-group">
              {g}
            </span>
          ))}
        </code>
        <button type="button" className="btn btn-secondary btn-sm" onClick={copy} aria-label="Copy the key">
          Copy
        </button>
      </div>
    </div>
  );
}

function Confirm({
  setup,
  onCancel,
  onEnabled,
}: {
  setup: TwoFactorSetupResponse;
  onCancel: () => void;
  onEnabled: (codes: string[]) => void;
}) {
  const [qr, setQr] = useState<string | null>(null);
  const [code, setCode] = useState("");
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(setup.otpauth_url, { errorCorrectionLevel: "M", margin: 2, width: 200 })
      .then((url) => live && setQr(url))
      .catch(() => live && setQr(null));
    return () => {
      live = false;
    };
  }, [setup.otpauth_url]);
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(["tf_enable_code"], {
    validate: () => ({ tf_enable_code: /^\d{6}$/.test(code) ? undefined : "Enter the 6-digit code from the app" }),
    send: async () => {
      const res = await twoFactorApi.enable(code);
      notify.success("Two-factor authentication is on");
      onEnabled(res.recovery_codes);
    },
    failure: "Could not turn on two-factor authentication",
    alsoOnField: { pattern: /code/i, field: "tf_enable_code" },
  });
  return (
    <>
      <p className="muted">
        Scan the QR code with your authenticator app (or type the key), then enter the code it shows. Nothing changes
        until the code is confirmed.
      </p>
      <div className="two-factor-setup">
        {qr ? (
          // eslint-disable-next-line @next/next/no-img-element -- a data: URL drawn in the browser
          <img src={qr} width={200} height={200} alt="QR code for your authenticator app" data-testid="totp-qr" />
        ) : (
          <div className="two-factor-qr-placeholder" aria-hidden="true" />
        )}
        <SetupKey secret={setup.secret} />
      </div>
      <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate>
        <FormError id="tf-enable-error" message={formError} throttle={throttle} />
        <OneTimeCodeField
          id="tf_enable_code"
          label="Code from the app"
          value={code}
          onChange={setCode}
          error={errors.tf_enable_code}
        />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? "Confirming…" : "Turn on"}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onCancel} disabled={pending}>
            Cancel
          </button>
        </div>
      </form>
    </>
  );
}

function RecoveryCodes({ codes, email, onDone }: { codes: string[]; email: string; onDone: () => void }) {
  const text = codes.join("\n") + "\n";
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      notify.success("Recovery codes copied");
    } catch {
      notify.error("Could not copy; select the codes and copy them by hand");
    }
  }
  function download() {
    const blob = new Blob([`Recovery codes for ${email}\nEach works once.\n\n${text}`], { type: "text/plain" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = "recovery-codes.txt";
    a.click();
    URL.revokeObjectURL(url);
  }
  return (
    <Panel id="recovery-codes" title="Save your recovery codes">
      <p>
        <strong>Save these now.</strong> Each one signs you in once if you lose your phone. They are shown only this
        once.
      </p>
      <ol className="recovery-codes" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div className="form-actions">
        <button type="button" className="btn btn-secondary" onClick={copy}>
          Copy
        </button>
        <button type="button" className="btn btn-secondary" onClick={download}>
          Download
        </button>
        <button type="button" className="btn btn-primary" onClick={onDone}>
          I have saved them
        </button>
      </div>
    </Panel>
  );
}

function TurnOff({ onCancel, onDone }: { onCancel: () => void; onDone: () => void }) {
  const { user } = useAuth();
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [recovery, setRecovery] = useState(false);
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(["tf_off_password", "tf_off_code"], {
    validate: () => ({
      tf_off_password: password ? undefined : "Current password is required",
      tf_off_code: recovery
        ? code.trim()
          ? undefined
          : "Enter one of your recovery codes"
        : /^\d{6}$/.test(code)
          ? undefined
          : "Enter the 6-digit code from your app",
    }),
    send: async () => {
      await twoFactorApi.disable(password, code.trim());
      notify.success("Two-factor authentication is off");
      onDone();
    },
    failure: "Could not turn off two-factor authentication",
    alsoOnField: [
      { pattern: /current password/i, field: "tf_off_password" },
      { pattern: /code/i, field: "tf_off_code" },
    ],
  });
  return (
    <Panel id="two-factor-off" title="Turn off two-factor authentication">
      <p className="muted">Signing in will ask for your password only. Your recovery codes stop working.</p>
      <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate>
        <FormError id="tf-off-error" message={formError} throttle={throttle} />
        <input type="hidden" name="username" autoComplete="username" value={user?.email ?? ""} readOnly />
        <CurrentPasswordField
          id="tf_off_password"
          label="Current password"
          value={password}
          onChange={setPassword}
          error={errors.tf_off_password}
          autoFocus
        />
        {recovery ? (
          <InputField
            key="recovery"
            id="tf_off_code"
            label="Recovery code"
            type="text"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            required
            className="recovery-input"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            error={errors.tf_off_code}
          />
        ) : (
          <OneTimeCodeField key="totp" id="tf_off_code" label="Code from the app" value={code} onChange={setCode} error={errors.tf_off_code} />
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
        <div className="form-actions">
          <button type="submit" className="btn btn-danger" disabled={pending}>
            {pending ? "Turning off…" : "Turn off"}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onCancel} disabled={pending}>
            Cancel
          </button>
        </div>
      </form>
    </Panel>
  );
}
