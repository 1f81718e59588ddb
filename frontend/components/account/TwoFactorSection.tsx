"use client";

import QRCode from "qrcode";
import { useEffect, useState } from "react";
import toast from "react-hot-toast";
import { CurrentPasswordField, FormError, InputField } from "@/components/FormField";
import { twoFactorApi } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import { saveUser } from "@/lib/auth/storage";
import { useFormSubmit } from "@/lib/forms";
import type { TwoFactorSetupResponse } from "@/lib/types";

/**
 * "Two-factor authentication" on /account: set up (password -> QR code of the otpauth:// URL, drawn here in
 * the browser, with the secret as text), confirm with a code, the recovery codes shown once (copy, download),
 * and turn off (password + code or recovery code).
 */
export function TwoFactorSection() {
  const { user } = useAuth();
  const [setup, setSetup] = useState<TwoFactorSetupResponse | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  if (!user) return null;
  const enabled = !!user.two_factor_enabled;

  return (
    <section className="card" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title">Two-factor authentication</h2>
      {recoveryCodes ? (
        <RecoveryCodes codes={recoveryCodes} email={user.email} onDone={() => setRecoveryCodes(null)} />
      ) : enabled ? (
        <TurnOff onDone={() => saveUser({ ...user, two_factor_enabled: false })} />
      ) : setup ? (
        <Confirm
          setup={setup}
          onCancel={() => setSetup(null)}
          onEnabled={(codes) => {
            setSetup(null);
            setRecoveryCodes(codes);
            saveUser({ ...user, two_factor_enabled: true });
          }}
        />
      ) : (
        <Start onStarted={setSetup} />
      )}
    </section>
  );
}

function Start({ onStarted }: { onStarted: (setup: TwoFactorSetupResponse) => void }) {
  const [password, setPassword] = useState("");
  const { formRef, errors, formError, pending, onSubmit } = useFormSubmit(["tf_setup_password"], {
    validate: () => ({ tf_setup_password: password ? undefined : "Current password is required" }),
    send: async () => {
      onStarted(await twoFactorApi.setup(password));
      setPassword("");
    },
    failure: "Could not start two-factor setup",
    alsoOnField: { pattern: /current password/i, field: "tf_setup_password" },
  });
  return (
    <>
      <p className="muted">
        Off. With it on, signing in also asks for a 6-digit code from an authenticator app on your phone, so a stolen
        password is not enough.
      </p>
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <FormError id="tf-setup-error" message={formError} />
        <input type="hidden" name="username" autoComplete="username" value="" readOnly />
        <CurrentPasswordField
          id="tf_setup_password"
          label="Current password"
          value={password}
          onChange={setPassword}
          error={errors.tf_setup_password}
        />
        <button type="submit" className="btn btn-primary" disabled={pending}>
          {pending ? "Starting…" : "Set up two-factor authentication"}
        </button>
      </form>
    </>
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
  const { formRef, errors, formError, pending, onSubmit } = useFormSubmit(["tf_enable_code"], {
    validate: () => ({ tf_enable_code: /^\d{6}$/.test(code.replace(/\s/g, "")) ? undefined : "Enter the 6-digit code" }),
    send: async () => {
      const res = await twoFactorApi.enable(code.replace(/\s/g, ""));
      toast.success("Two-factor authentication is on");
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
        <div>
          <p className="field-hint">Key (if you cannot scan):</p>
          <code className="two-factor-secret" data-testid="totp-secret">
            {setup.secret}
          </code>
        </div>
      </div>
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <FormError id="tf-enable-error" message={formError} />
        <InputField
          id="tf_enable_code"
          label="Code from the app"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]*"
          maxLength={7}
          required
          value={code}
          onChange={(e) => setCode(e.target.value)}
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
      toast.success("Recovery codes copied");
    } catch {
      toast.error("Could not copy; select the codes and copy them by hand");
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
    <>
      <p>
        <strong>Save these recovery codes now.</strong> Each one signs you in once if you lose your phone. They are
        shown only this once.
      </p>
      <ul className="recovery-codes" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
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
    </>
  );
}

function TurnOff({ onDone }: { onDone: () => void }) {
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const { formRef, errors, formError, pending, onSubmit } = useFormSubmit(["tf_off_password", "tf_off_code"], {
    validate: () => ({
      tf_off_password: password ? undefined : "Current password is required",
      tf_off_code: code.trim() ? undefined : "Enter a code from your app or a recovery code",
    }),
    send: async () => {
      await twoFactorApi.disable(password, code.trim());
      setPassword("");
      setCode("");
      toast.success("Two-factor authentication is off");
      onDone();
    },
    failure: "Could not turn off two-factor authentication",
    alsoOnField: { pattern: /current password/i, field: "tf_off_password" },
  });
  return (
    <>
      <p className="muted">On. Signing in asks for a code from your authenticator app (or a recovery code).</p>
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <FormError id="tf-off-error" message={formError} />
        <input type="hidden" name="username" autoComplete="username" value="" readOnly />
        <CurrentPasswordField
          id="tf_off_password"
          label="Current password"
          value={password}
          onChange={setPassword}
          error={errors.tf_off_password}
        />
        <InputField
          id="tf_off_code"
          label="Code from the app, or a recovery code"
          autoComplete="one-time-code"
          required
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={errors.tf_off_code}
        />
        <button type="submit" className="btn btn-danger" disabled={pending}>
          {pending ? "Turning off…" : "Turn off two-factor authentication"}
        </button>
      </form>
    </>
  );
}
