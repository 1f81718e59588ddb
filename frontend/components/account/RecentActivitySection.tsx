"use client";

import { useEffect, useRef, useState } from "react";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { LocalTime } from "@/components/LocalTime";
import { Panel, SettingsRow, SettingsSection } from "@/components/account/Settings";
import { authApi, dataApi, errorMessage } from "@/lib/api";
import { describeAddress, describeDevice } from "@/lib/device";
import { notify } from "@/lib/notify";
import type { ActivityEvent } from "@/lib/types";

/** Events shown when the list opens, and read per "Show older activity". */
const PAGE = 10;

/** What each kind of event is called (the API's `type`); a kind added later shows its own name. */
const EVENT_NAMES: Record<string, string> = {
  sign_in: "Signed in",
  sign_in_failed: "Failed sign-in",
  signed_out: "Signed out",
  session_ended: "Session ended",
  password_changed: "Password changed",
  password_reset: "Password reset",
  email_change_requested: "Email change requested",
  email_changed: "Email changed",
  email_verified: "Email confirmed",
  two_factor_enabled: "Two-factor authentication turned on",
  two_factor_disabled: "Two-factor authentication turned off",
  recovery_code_used: "Recovery code used",
  recovery_codes_replaced: "New recovery codes",
  passkey_added: "Passkey added",
  passkey_removed: "Passkey removed",
  provider_linked: "Sign-in provider linked",
  provider_unlinked: "Sign-in provider unlinked",
};

export function describeEvent(type: string): string {
  const name = EVENT_NAMES[type];
  if (name) return name;
  const words = type.replace(/_/g, " ").trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : "Event";
}

/** Events someone else could have caused: "This was not me" is offered on them. */
const QUESTIONABLE = new Set(["sign_in", "email_change_requested", "password_changed", "two_factor_disabled"]);

/**
 * "Recent activity": one row that says when and from where the account was last signed in to; "Show" opens
 * the newest events under it (what, detail, when, browser, address), older ones a page at a time.
 * "This was not me" on a sign-in (or a change) signs out every other session and asks for a new password
 * (`onNotMe` opens the page's password form).
 */
export function RecentActivitySection({
  open,
  onToggle,
  onNotMe,
}: {
  open: boolean;
  onToggle: () => void;
  onNotMe: () => void;
}) {
  const [events, setEvents] = useState<ActivityEvent[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // Read again each time the list opens (and once for the row's summary).
  useEffect(() => {
    const controller = new AbortController();
    dataApi
      .activity({ limit: PAGE + 1, signal: controller.signal })
      .then((res) => {
        setEvents(res.events.slice(0, PAGE));
        setMore(res.events.length > PAGE);
        setError(null);
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setError(errorMessage(err));
      });
    return () => controller.abort();
  }, [open]);

  const lastSignIn = events?.find((e) => e.type === "sign_in");
  return (
    <SettingsSection id="activity" title="Recent activity" testId="activity">
      <SettingsRow
        id="recent-activity"
        label="Last sign-in"
        action={{ text: "Show", label: "Show recent activity", onClick: onToggle }}
        open={open}
        panel={
          <ActivityList
            events={events}
            more={more}
            error={error}
            onOlder={(older, hasMore) => {
              setEvents((now) => [...(now ?? []), ...older]);
              setMore(hasMore);
            }}
            onClose={onToggle}
            onNotMe={onNotMe}
          />
        }
      >
        {error ? (
          <span className="muted">{error}</span>
        ) : events === null ? (
          <span className="muted">Loading…</span>
        ) : lastSignIn ? (
          <span className="session-meta" data-testid="last-sign-in">
            <span>
              <LocalTime value={lastSignIn.created_at} />
            </span>
            <span>{describeDevice(lastSignIn.user_agent)}</span>
            <span>{describeAddress(lastSignIn.ip)}</span>
          </span>
        ) : (
          <span className="muted">None on record</span>
        )}
      </SettingsRow>
    </SettingsSection>
  );
}

function ActivityList({
  events,
  more,
  error,
  onOlder,
  onClose,
  onNotMe,
}: {
  events: ActivityEvent[] | null;
  more: boolean;
  error: string | null;
  onOlder: (older: ActivityEvent[], more: boolean) => void;
  onClose: () => void;
  onNotMe: () => void;
}) {
  const [loadingMore, setLoadingMore] = useState(false);
  const [asking, setAsking] = useState(false);
  const [securing, setSecuring] = useState(false);
  const secured = useRef(false);

  // Once the dialog has closed (and given the focus back), the password form opens and takes the focus.
  useEffect(() => {
    if (asking || !secured.current) return;
    secured.current = false;
    onNotMe();
  }, [asking, onNotMe]);

  async function showOlder() {
    const last = events?.[events.length - 1];
    if (!last) return;
    setLoadingMore(true);
    try {
      const res = await dataApi.activity({ before: last.id, limit: PAGE + 1 });
      onOlder(res.events.slice(0, PAGE), res.events.length > PAGE);
    } catch (err) {
      notify.error(errorMessage(err));
    } finally {
      setLoadingMore(false);
    }
  }

  async function secure() {
    setSecuring(true);
    try {
      await authApi.endOtherSessions();
      notify.success("Every other session is signed out. Now choose a new password.");
      secured.current = true;
      setAsking(false);
    } catch (err) {
      notify.error(errorMessage(err));
      setAsking(false);
    } finally {
      setSecuring(false);
    }
  }

  return (
    <Panel id="activity-list" title="Sign-ins and changes">
      <p className="muted">Newest first, with the browser and address each came from.</p>
      {error ? (
        <p role="alert" className="form-error">
          {error}
        </p>
      ) : events === null ? (
        <p className="muted">Loading your activity…</p>
      ) : events.length === 0 ? (
        <p className="muted">Nothing yet.</p>
      ) : (
        <ul className="sessions activity" aria-label="Events">
          {events.map((e) => (
            <li key={e.id} className="session" data-testid="activity-event" data-type={e.type}>
              <div className="session-text">
                <strong>{describeEvent(e.type)}</strong>
                {e.detail ? <span className="muted activity-detail"> — {e.detail}</span> : null}
                <div className="muted session-meta">
                  <span>
                    <LocalTime value={e.created_at} />
                  </span>
                  <span>{describeDevice(e.user_agent)}</span>
                  <span>{describeAddress(e.ip)}</span>
                </div>
              </div>
              {QUESTIONABLE.has(e.type) ? (
                <button
                  type="button"
                  className="btn btn-ghost btn-sm"
                  onClick={() => setAsking(true)}
                  aria-label={`This was not me: ${describeEvent(e.type)}, ${describeDevice(e.user_agent)}`}
                >
                  This was not me
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <div className="form-actions">
        {more ? (
          <button type="button" className="btn btn-secondary btn-sm" onClick={() => void showOlder()} disabled={loadingMore}>
            {loadingMore ? "Loading…" : "Show older activity"}
          </button>
        ) : null}
        <button type="button" className="btn btn-ghost btn-sm" onClick={onClose}>
          Close
        </button>
      </div>
      <ConfirmDialog
        open={asking}
        title="Secure your account?"
        message={
          <p>
            Every other session of your account will be signed out now; this one stays. Then choose a new password:
            whoever signed in may know the current one.
          </p>
        }
        confirmLabel="Sign out everywhere else"
        pendingLabel="Signing out…"
        pending={securing}
        danger
        onConfirm={() => void secure()}
        onCancel={() => setAsking(false)}
      />
    </Panel>
  );
}
