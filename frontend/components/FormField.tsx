import type { InputHTMLAttributes, TextareaHTMLAttributes } from "react";

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

export function InputField({
  id,
  label,
  error,
  hint,
  optional,
  max,
  length,
  ...input
}: CommonProps & Omit<InputHTMLAttributes<HTMLInputElement>, "id">) {
  return (
    <div className="field">
      <Label id={id} label={label} optional={optional} />
      <input
        id={id}
        name={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, max)}
        {...input}
      />
      <Meta id={id} error={error} hint={hint} max={max} length={length} />
    </div>
  );
}

export function TextAreaField({
  id,
  label,
  error,
  hint,
  optional,
  max,
  length,
  ...textarea
}: CommonProps & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "id">) {
  return (
    <div className="field">
      <Label id={id} label={label} optional={optional} />
      <textarea
        id={id}
        name={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, max)}
        {...textarea}
      />
      <Meta id={id} error={error} hint={hint} max={max} length={length} />
    </div>
  );
}

/** A form-level message (e.g. "Invalid email or password") in a live region. */
export function FormError({ id, message }: { id: string; message?: string | null }) {
  return (
    <div id={id} className={message ? "form-error" : "form-error-empty"} role="alert" aria-live="assertive">
      {message}
    </div>
  );
}

interface ValueFieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string;
}

/** An email address as every form asks for it: the address keyboard on phones, autofill from the browser. */
export function EmailField({ onChange, ...props }: ValueFieldProps) {
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
export function CurrentPasswordField({ onChange, ...props }: ValueFieldProps) {
  return (
    <InputField type="password" autoComplete="current-password" required onChange={(e) => onChange(e.target.value)} {...props} />
  );
}
