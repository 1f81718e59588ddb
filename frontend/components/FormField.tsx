"use client";

import { useEffect, useState, type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes } from "react";
import { formatCountdown, formatWait } from "@/lib/format";
import type { Throttle } from "@/lib/forms";

interface CommonProps {
  id: string;
  label: string;
  error?: string;
  /** Shown under the field, e.g. "At least 8 characters". */
  hint?: string;
  optional?: boolean;
  /** Live character counter against this limit. */
  max?: number;
  length?: number;
}

function describedBy(id: string, hint?: string, max?: number): string {
  return [`${id}-error`, hint ? `${id}-hint` : null, max ? `${id}-count` : null].filter(Boolean).join(" ");
}

function Meta({ id, error, hint, max, length }: Omit<CommonProps, "label" | "optional">) {
  const over = max !== undefined && length !== undefined && length > max;
  const near = max !== undefined && length !== undefined && length >= max * 0.9;
  return (
    <div className="field-meta">
      <div>
        {/* Always rendered, so screen readers announce an error when it appears. */}
        <p id={`${id}-error`} className="field-error" aria-live="polite">
          {error}
        </p>
        {hint ? (
          <p id={`${id}-hint`} className="field-hint">
            {hint}
          </p>
        ) : null}
      </div>
      {max !== undefined ? (
        <span id={`${id}-count`} className={`counter${over ? " counter-over" : near ? " counter-near" : ""}`}>
          {length ?? 0}/{max}
        </span>
      ) : null}
    </div>
  );
}

function Label({ id, label, optional }: Pick<CommonProps, "id" | "label" | "optional">) {
  return (
    <label htmlFor={id}>
      {label}
      {optional ? <span className="optional"> (optional)</span> : null}
    </label>
  );
}

/** The label, the error/hint/counter lines, and what the control needs to point at them. */
function Field({
  id,
  label,
  error,
  hint,
  optional,
  max,
  length,
  control,
}: CommonProps & {
  control: (wiring: { id: string; name: string; "aria-invalid"?: true; "aria-describedby": string }) => ReactNode;
}) {
  return (
    <div className="field">
      <Label id={id} label={label} optional={optional} />
      {control({ id, name: id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy(id, hint, max) })}
      <Meta id={id} error={error} hint={hint} max={max} length={length} />
    </div>
  );
}

type FieldProps<Attributes> = CommonProps & Omit<Attributes, "id">;

/** A field's own props apart from the attributes that go to its control. */
function split<T extends CommonProps>({ id, label, error, hint, optional, max, length, ...control }: T) {
  return [{ id, label, error, hint, optional, max, length }, control] as const;
}

export function InputField(props: FieldProps<InputHTMLAttributes<HTMLInputElement>>) {
  const [field, input] = split(props);
  return <Field {...field} control={(wiring) => <input {...wiring} {...input} />} />;
}

export function TextAreaField(props: FieldProps<TextareaHTMLAttributes<HTMLTextAreaElement>>) {
  const [field, textarea] = split(props);
  return <Field {...field} control={(wiring) => <textarea {...wiring} {...textarea} />} />;
}

/** Whole seconds until `until` (ms since the epoch), ticking once a second while above zero. */
function useSecondsLeft(until: number): number {
  const [now, setNow] = useState(() => Date.now());
  const left = Math.max(0, Math.ceil((until - now) / 1000));
  useEffect(() => {
    if (left <= 0) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [until, left]);
  return left;
}

/**
 * "Too many attempts. Try again in 15 minutes." with a live countdown. Said once when it appears (the
 * banner is an alert); the ticking itself is silent (role=timer, aria-live=off).
 */
function Wait({ throttle }: { throttle: Throttle }) {
  const left = useSecondsLeft(throttle.until);
  if (left <= 0) return <>You can try again now.</>;
  return (
    <>
      {throttle.reason}{" "}
      <span role="timer" aria-live="off" data-testid="retry-wait">
        Try again in {formatWait(left)}.{" "}
        <span className="countdown" data-testid="retry-countdown">
          {formatCountdown(left)}
        </span>
      </span>
    </>
  );
}

/**
 * A form-level message (e.g. "Invalid email or password") in a live region; a 429/503's wait as a live
 * countdown; `children` (e.g. a link that helps) under the message while there is one.
 */
export function FormError({
  id,
  message,
  throttle,
  children,
}: {
  id: string;
  message?: string | null;
  throttle?: Throttle | null;
  children?: ReactNode;
}) {
  return (
    <div id={id} className={message ? "form-error" : "form-error-empty"} role="alert" aria-live="assertive">
      {message && throttle ? <Wait key={throttle.until} throttle={throttle} /> : message}
      {message && children ? <div className="form-error-more">{children}</div> : null}
    </div>
  );
}

interface ValueFieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string;
  autoFocus?: boolean;
}

/** An email address as every form asks for it (sign-in's also offers passkeys: `autoComplete="username webauthn"`): the address keyboard on phones, autofill from the browser. */
export function EmailField({ onChange, ...props }: ValueFieldProps & { autoComplete?: string }) {
  return (
    <InputField
      type="email"
      autoComplete="email"
      inputMode="email"
      required
      onChange={(e) => onChange(e.target.value)}
      {...props}
    />
  );
}

/**
 * The account's existing password (sign-in, and the re-checks before a change): filled by password managers,
 * no length rule of its own (any password may be tried; the server decides).
 */
export function CurrentPasswordField({ onChange, shown = false, ...props }: ValueFieldProps & { shown?: boolean }) {
  return (
    <InputField
      type={shown ? "text" : "password"}
      autoComplete="current-password"
      autoCapitalize="none"
      autoCorrect="off"
      spellCheck={false}
      required
      onChange={(e) => onChange(e.target.value)}
      {...props}
    />
  );
}

/** "Show password": a checkbox that shows the password fields it controls as plain text. */
export function ShowPassword({ id, shown, onChange }: { id: string; shown: boolean; onChange: (shown: boolean) => void }) {
  return (
    <div className="show-password">
      <input id={id} type="checkbox" checked={shown} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>Show password</label>
    </div>
  );
}
