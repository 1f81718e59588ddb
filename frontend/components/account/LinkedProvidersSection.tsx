"use client";

import { useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import { SettingsRow, SettingsSection } from "@/components/account/Settings";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { LocalTime } from "@/components/LocalTime";
import { errorMessage, providersApi } from "@/lib/api";
import { notify } from "@/lib/notify";
import { providerErrorMessage } from "@/lib/providers";
import { useReloadable, type Reloadable } from "@/lib/reloadable";
import type { IdentitiesResponse, LinkedIdentity, ProviderInfo } from "@/lib/types";

/**
 * /account's "Linked providers": the OpenID Connect identities that sign in to this account, each with
 * "Unlink" (the API refuses the last way to sign in), and "Link <name>" for every configured provider. A link
 * leaves for the provider and comes back to /account?linked=<id> (or ?error=<code>&provider=<id>).
 * `identities`: GET /api/auth/identities, read once by the page (the Passkeys section needs its `has_password`
 * too) and read again here after an unlink. Nothing shows when no provider is configured and none is linked.
 */
export function LinkedProvidersSection({ identities }: { identities: Reloadable<IdentitiesResponse> }) {
  const params = useSearchParams();
  const configured = useReloadable((signal) => providersApi.list(signal));
  const providers = configured.data?.providers ?? [];
  const linked = identities.data?.identities ?? null;
  const hasPassword = identities.data?.has_password ?? true;
  const error = configured.error ?? identities.error;
  const [busy, setBusy] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<LinkedIdentity | null>(null);

  // Back from a link: say how it went once, then take the note out of the address — with `null` as the state,
  // so Next.js's router hears of it too (it passes over a replaceState whose state is its own, and then
  // useSearchParams keeps `linked`: every later read of the providers said "… is linked" again, e.g. over the
  // "… is unlinked" of an unlink).
  const linkedNow = params.get("linked");
  const failure = params.get("error");
  const failedProvider = params.get("provider");
  const nameOf = (id: string | null) => providers.find((p) => p.id === id)?.name ?? id ?? "The provider";
  const failureMessage = providerErrorMessage(failure, nameOf(failedProvider));
  useEffect(() => {
    if (!linkedNow || providers.length === 0) return;
    notify.success(`${nameOf(linkedNow)} is linked to your account`);
    window.history.replaceState(null, "", window.location.pathname);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once per return from the provider
  }, [linkedNow, configured.data]);

  async function link(provider: ProviderInfo) {
    setBusy(provider.id);
    try {
      const { authorization_url } = await providersApi.link(provider.id);
      window.location.assign(authorization_url);
    } catch (err) {
      notify.error(errorMessage(err));
      setBusy(null);
    }
  }

  async function unlink(identity: LinkedIdentity) {
    setBusy(identity.id);
    try {
      await providersApi.unlink(identity.id);
      notify.success(`${identity.provider_name} is unlinked`);
    } catch (err) {
      notify.error(errorMessage(err));
    } finally {
      setConfirming(null);
      setBusy(null);
      identities.reload();
    }
  }

  if (!error && (linked === null || configured.data === null || (providers.length === 0 && linked.length === 0))) {
    return null;
  }
  return (
    <SettingsSection
      id="providers"
      title="Linked providers"
      description="Accounts elsewhere that sign you in here."
      testId="linked-providers"
    >
      {failureMessage ? (
        <p role="alert" className="form-error settings-row" data-testid="provider-error">
          {failureMessage}
        </p>
      ) : null}
      {error ? (
        <p role="alert" className="form-error settings-row">
          {error}
        </p>
      ) : null}
      {(linked ?? []).map((identity) => (
        <SettingsRow
          key={identity.id}
          id={`identity-${identity.id}`}
          label={identity.provider_name}
          action={{
            text: "Unlink",
            label: `Unlink ${identity.provider_name}${identity.email ? ` (${identity.email})` : ""}`,
            onClick: () => setConfirming(identity),
            danger: true,
          }}
        >
          <span data-testid="linked-identity">{identity.email ?? "No email shared"}</span>
          <span className="muted row-note">
            {" "}
            linked <LocalTime value={identity.created_at} dateOnly />
          </span>
        </SettingsRow>
      ))}
      {!hasPassword ? (
        <p className="muted settings-row" data-testid="no-password-note">
          Your account has no password: you sign in with a linked provider. To add a password, use “Forgot password?”
          on the sign-in page.
        </p>
      ) : null}
      {providers.length > 0 ? (
        <div className="settings-row provider-links">
          {providers.map((p) => (
            <button
              key={p.id}
              type="button"
              className="btn btn-secondary btn-sm"
              onClick={() => void link(p)}
              disabled={busy !== null}
            >
              {busy === p.id ? "Opening…" : `Link ${p.name}`}
            </button>
          ))}
        </div>
      ) : null}
      <ConfirmDialog
        open={confirming !== null}
        title={`Unlink ${confirming?.provider_name ?? ""}?`}
        message={
          <p>
            You will no longer be able to sign in with this {confirming?.provider_name} account
            {confirming?.email ? ` (${confirming.email})` : ""}. You can link it again later.
          </p>
        }
        confirmLabel="Unlink"
        pendingLabel="Unlinking…"
        pending={confirming !== null && busy === confirming.id}
        danger
        onConfirm={() => confirming && void unlink(confirming)}
        onCancel={() => setConfirming(null)}
      />
    </SettingsSection>
  );
}
