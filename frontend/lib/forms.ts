import { useRef, useState } from "react";
import { ApiError, errorMessage } from "@/lib/api";
import { hasErrors, type FieldErrors } from "@/lib/validation";

/**
 * Splits an API error into messages for the form's own fields and one form-level message.
 * A 422 naming a field lands next to that field; anything else becomes the form-level message.
 */
export function splitApiError(err: unknown, fields: readonly string[]): { fieldErrors: FieldErrors; formError: string | null } {
  const fieldErrors: FieldErrors = {};
  if (err instanceof ApiError) {
    let unmatched = false;
    for (const [field, msg] of Object.entries(err.fieldErrors)) {
      if (fields.includes(field)) fieldErrors[field] = msg;
      else unmatched = true;
    }
    const matchedAny = Object.keys(fieldErrors).length > 0;
    return { fieldErrors, formError: matchedAny && !unmatched ? null : err.message };
  }
  return { fieldErrors, formError: errorMessage(err) };
}

/** The id of a field's control: `ids[field]`, else the field's name after `idPrefix`. */
function idOf(field: string, ids: Partial<Record<string, string>> | undefined, idPrefix = ""): string {
  return ids?.[field] ?? idPrefix + field;
}

/** Moves focus to the first field with an error (its text selected), so keyboard and screen-reader users land on it. */
export function focusFirstError(
  form: HTMLFormElement | null,
  errors: FieldErrors,
  order: readonly string[],
  idPrefix = "",
  ids?: Partial<Record<string, string>>,
): void {
  const first = order.find((f) => errors[f]);
  if (!first || !form) return;
  const el = form.querySelector<HTMLElement>(`#${CSS.escape(idOf(first, ids, idPrefix))}`);
  el?.focus();
  // A wrong code or password is typed again, not edited: the first key replaces it.
  if (el instanceof HTMLInputElement && el.type !== "email") el.select();
}

/** A 429/503 shown in the form: why, and until when (ms since the epoch) — a live countdown says the rest. */
export interface Throttle {
  reason: string;
  until: number;
}

/** A form-level message that belongs to one field: said there, and only there. */
export interface FieldRule {
  pattern: RegExp;
  field: string;
}

export interface SubmitOptions {
  /** The form's own checks, before anything is sent: a message per field (undefined where it is fine). */
  validate: () => FieldErrors;
  /** Sends the form. Success toasts and clearing the fields are its part. */
  send: () => Promise<void>;
  /** The form-level message when a failure carries no message of its own. */
  failure: string;
  /**
   * A refusal that belongs to one field ("Invalid two-factor code" → the code, "Email already registered" →
   * the email): said there only, not in the form's banner as well.
   */
  alsoOnField?: FieldRule | FieldRule[];
  /** Focus the first field the server refused (default true). */
  focusServerErrors?: boolean;
  /** The fields' ids are the field names after this prefix (several forms of one kind on a page). */
  idPrefix?: string;
  /** Ids that are not the field's name (e.g. {current_password: "change_email_password"}). */
  ids?: Partial<Record<string, string>>;
}

/**
 * The submit cycle every form here shares: check the fields, send once at a time, show the server's refusal
 * once, where it belongs — next to its field, or else in the form's banner (a wait with a live countdown) —
 * and move focus to the first field in error. A field's error goes as soon as that field is edited (the
 * form's `onInput`), and so does a banner about the last attempt; a wait stays until it is over. No error
 * toast: the form already says it.
 */
export function useFormSubmit(fields: readonly string[], options: SubmitOptions) {
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [throttle, setThrottle] = useState<Throttle | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (pending) return;
    const found = options.validate();
    setErrors(found);
    setFormError(null);
    setThrottle(null);
    if (hasErrors(found)) {
      focusFirstError(formRef.current, found, fields, options.idPrefix, options.ids);
      return;
    }
    setPending(true);
    try {
      await options.send();
    } catch (err) {
      const { fieldErrors, formError: message } = splitApiError(err, fields);
      const rules = options.alsoOnField ? [options.alsoOnField].flat() : [];
      const rule = message ? rules.find((r) => r.pattern.test(message)) : undefined;
      const onField = !!rule;
      if (rule && message) fieldErrors[rule.field] = message;
      setErrors(fieldErrors);
      if (!onField && err instanceof ApiError && err.retryAfter !== null) {
        setThrottle({ reason: err.reason, until: Date.now() + err.retryAfter * 1000 });
        setFormError(message);
      } else {
        setFormError(onField ? null : message || (hasErrors(fieldErrors) ? null : options.failure));
      }
      if (options.focusServerErrors !== false) {
        focusFirstError(formRef.current, fieldErrors, fields, options.idPrefix, options.ids);
      }
    } finally {
      setPending(false);
    }
  }

  /** The form's onInput: the edited field's error goes, and a banner about the last attempt with it. */
  function onInput(e: React.FormEvent<HTMLFormElement>) {
    const id = (e.target as HTMLElement).id;
    const field = fields.find((f) => idOf(f, options.ids, options.idPrefix) === id);
    if (!field) return; // e.g. "Show password"
    if (errors[field]) setErrors((prev) => ({ ...prev, [field]: undefined }));
    if (formError && !throttle) setFormError(null);
  }

  return { formRef, errors, formError, throttle, pending, onSubmit, onInput };
}
