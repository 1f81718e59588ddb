"use client";

import { useEffect, useState } from "react";
import toast from "react-hot-toast";
import { LocalTime } from "@/components/LocalTime";
import { authApi, errorMessage } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import { describeDevice } from "@/lib/device";
import type { SessionInfo } from "@/lib/types";

/** "Where you're signed in": every session of the account, with "Sign out" on each. */
export function SessionsList() {
  const { logout } = useAuth();
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const [reloadKey, setReloadKey] = useState(0);
  const reload = () => setReloadKey((k) => k + 1);

  useEffect(() => {
    const controller = new AbortController();
    authApi
      .sessions(controller.signal)
      .then((res) => {
        setSessions(res.sessions);
        setError(null);
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setError(errorMessage(err));
      });
    return () => controller.abort();
  }, [reloadKey]);

  async function end(session: SessionInfo) {
    setBusy(session.id);
    try {
      if (session.current) {
        await logout();
        toast.success("Logged out successfully");
        return;
      }
      await authApi.endSession(session.id);
      toast.success(`Signed out ${describeDevice(session.user_agent)}`);
      reload();
    } catch (err) {
      toast.error(errorMessage(err));
      reload();
    } finally {
      setBusy(null);
    }
  }

  async function endOthers() {
    const others = sessions?.filter((s) => !s.current) ?? [];
    setBusy("others");
    try {
      // A session that ended meanwhile (404) is what we wanted anyway.
      await Promise.all(others.map((s) => authApi.endSession(s.id).catch(() => undefined)));
      toast.success("Signed out everywhere else");
    } finally {
      reload();
      setBusy(null);
    }
  }

  const others = sessions?.filter((s) => !s.current).length ?? 0;
  return (
    <section className="card sessions-card" aria-labelledby="sessions-title" data-testid="sessions">
      <h2 id="sessions-title">Where you&apos;re signed in</h2>
      {error ? (
        <p role="alert" className="form-error">
          {error}
        </p>
      ) : sessions === null ? (
        <p className="muted">Loading your sessions…</p>
      ) : (
        <>
          <ul className="sessions">
            {sessions.map((s) => (
              <li key={s.id} className="session" data-testid="session" data-current={s.current || undefined}>
                <div>
                  <strong>{describeDevice(s.user_agent)}</strong>
                  {s.current ? <span className="badge badge-done">This device</span> : null}
                  <div className="muted">
                    {s.ip ?? "Unknown address"} · last used <LocalTime value={s.last_used_at} /> · signed in{" "}
                    <LocalTime value={s.created_at} />
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
          {others > 0 ? (
            <button type="button" className="btn btn-danger btn-sm" onClick={() => void endOthers()} disabled={busy !== null}>
              {busy === "others" ? "Signing out…" : "Sign out everywhere else"}
            </button>
          ) : (
            <p className="muted">No other sessions.</p>
          )}
        </>
      )}
    </section>
  );
}
