"use client";

import { Fragment, useEffect, useRef, type ReactNode } from "react";

/**
 * The account page's building blocks, after Clerk's user profile and GitHub's settings: a section (title,
 * one line of description, a box of rows), and in it one row per thing ("Email — ada@… — Change"). A row's
 * action opens its form under it, in place of the action; the page keeps at most one open
 * (components/account/AccountView.tsx). What comes next (passkeys, linked providers, recent activity, your
 * data) is one more SettingsSection with its rows.
 */
export function SettingsSection({
  id,
  title,
  description,
  testId,
  children,
}: {
  id: string;
  title: string;
  description?: ReactNode;
  testId?: string;
  children: ReactNode;
}) {
  return (
    <section className="settings-section" aria-labelledby={`${id}-title`} data-testid={testId ?? `section-${id}`}>
      <div className="settings-section-head">
        <h2 id={`${id}-title`}>{title}</h2>
        {description ? <p className="muted">{description}</p> : null}
      </div>
      <div className="settings-box">{children}</div>
    </section>
  );
}

export interface RowAction {
  /** What the button says ("Change"). */
  text: string;
  /** Its accessible name, which holds the text ("Change email"). */
  label: string;
  onClick: () => void;
  danger?: boolean;
}

/**
 * One row: its label, what it is now (`children`), an action, and — while `open` — the action's panel under
 * it (a region named by its own heading). Focus goes into the panel when it opens and back to the action
 * when it closes.
 */
export function SettingsRow({
  id,
  label,
  children,
  action,
  open = false,
  panel,
}: {
  id: string;
  label: string;
  children: ReactNode;
  action?: RowAction;
  open?: boolean;
  panel?: ReactNode;
}) {
  const actionRef = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(open);
  useEffect(() => {
    if (wasOpen.current && !open) actionRef.current?.focus();
    wasOpen.current = open;
  }, [open]);
  return (
    <div className={`settings-row${open ? " settings-row-open" : ""}`} data-testid={`row-${id}`}>
      <div className="settings-row-summary">
        <div className="settings-row-label" id={`${id}-label`}>
          {label}
        </div>
        <div className="settings-row-value">{children}</div>
        {action && !open ? (
          <button
            ref={actionRef}
            type="button"
            className={`btn btn-sm ${action.danger ? "btn-ghost-danger btn-outline" : "btn-secondary"} settings-row-action`}
            aria-label={action.label}
            onClick={action.onClick}
          >
            {action.text}
          </button>
        ) : null}
      </div>
      {open && panel ? (
        <div id={`${id}-panel`} className="settings-panel">
          {panel}
        </div>
      ) : null}
    </div>
  );
}

/** A panel's frame: its heading (which names the region), the form, and nothing else. */
export function Panel({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <div role="region" aria-labelledby={`${id}-title`} className="panel">
      <h3 id={`${id}-title`}>{title}</h3>
      {children}
    </div>
  );
}

/**
 * An email address that wraps only between its words — after a ".", "-", "_" or "+" of the name, or before
 * the "@" — never inside one; a word too long for the line ends in "…", with the whole address in its title.
 */
export function EmailAddress({ email }: { email: string }) {
  const at = email.lastIndexOf("@");
  const name = at > 0 ? email.slice(0, at) : email;
  const words = name.match(/[^.\-_+]+[.\-_+]*|[.\-_+]+/g) ?? [name];
  const parts = at > 0 ? [...words, email.slice(at)] : words;
  return (
    <span className="email" title={email}>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {i > 0 ? <wbr /> : null}
          <span className="email-part">{part}</span>
        </Fragment>
      ))}
    </span>
  );
}
