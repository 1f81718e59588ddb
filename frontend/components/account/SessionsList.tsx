"use client";

import { useState } from "react";
import { LocalTime } from "@/components/LocalTime";
import { SettingsSection } from "@/components/account/Settings";
import { authApi, errorMessage } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import { describeAddress, describeDevice } from "@/lib/device";
import { notify } from "@/lib/notify";
import { useReloadable } from "@/lib/reloadable";
import type { SessionInfo } from "@/lib/types";

/** "Where you're signed in": every session of the account, with "Sign out" on each. */
export function SessionsList() {
  const { logout } = useAuth();
  const { data, error, reload } = useReloadable((signal) => authApi.sessions(signal));
  const sessions = data?.sessions ?? null;
  const [busy, setBusy] = useState<string | null>(null);

  async function end(session: SessionInfo) {
    setBusy(session.id);
    try {
      if (session.current) {
        await logout();
        notify.success("Signed out");
        return;
      }
      await authApi.endSession(session.id);
      notify.success(`Signed out ${describeDevice(session.user_agent)}`);
      reload();
    } catch (err) {
      notify.error(errorMessage(err));
      reload();
    } finally {
      setBusy(null);
    }
  }

  async function endOthers() {
    setBusy("others");
    try {
      await authApi.endOtherSessions();
      notify.success("Signed out everywhere else");
    } catch (err) {
      notify.error(errorMessage(err));
    } finally {
      reload();
      setBusy(null);
    }
  }

  const others = sessions?.filter((s) => !s.current).length ?? 0;
  return (
    <SettingsSection
      id="sessions"
      title="Where you're signed in"
      description="Every browser and device signed in to your account. Sign out any you do not recognise."
      testId="sessions"
    >
      <div>
        {error ? (
          <p role="alert" className="form-error settings-row">
            {error}
          </p>
        ) : sessions === null ? (
          <p className="muted settings-row">Loading your sessions…</p>
        ) : (
          <>
            <ul className="sessions">
              {sessions.map((s) => (
                <li key={s.id} className="session settings-row" data-testid="session" data-current={s.current || undefined}>
                  <div className="session-text">
                    <strong>{describeDevice(s.user_agent)}</strong>
                    {s.current ? <span className="badge badge-done">This device</span> : null}
                    <div className="muted session-meta">
                      <span>{describeAddress(s.ip)}</span>
                      <span>
                        last used <LocalTime value={s.last_used_at} />
                      </span>
                      <span>
                        signed in <LocalTime value={s.created_at} />
                      </span>
                    </div>
                  </div>
                  <button
                    type="button"
                    className="btn btn-secondary btn-sm"
                    onClick={() => void end(s)}
                    disabled={busy !== null}
                    aria-label={`Sign out ${s.current ? "this device" : describeDevice(s.user_agent)}`}
                  >
                    {busy === s.id ? "Signing out…" : "Sign out"}
                  </button>
                </li>
              ))}
            </ul>
            <div className="settings-row sessions-footer">
              {others > 0 ? (
                <button type="button" className="btn btn-danger btn-sm" onClick={() => void endOthers()} disabled={busy !== null}>
                  {busy === "others" ? "Signing out…" : "Sign out everywhere else"}
                </button>
              ) : (
                <p className="muted">No other sessions.</p>
              )}
            </div>
          </>
        )}
      </div>
    </SettingsSection>
  );
}
