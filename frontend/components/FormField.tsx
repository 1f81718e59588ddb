import type { InputHTMLAttributes, ReactNode, TextareaHTMLAttributes } from "react";

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
