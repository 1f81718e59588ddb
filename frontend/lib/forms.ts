import { useRef, useState } from "react";
import toast from "react-hot-toast";
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

/** Moves focus to the first field with an error, so keyboard and screen-reader users land on it. */
export function focusFirstError(
  form: HTMLFormElement | null,
  errors: FieldErrors,
  order: readonly string[],
  idPrefix = "",
): void {
  const first = order.find((f) => errors[f]);
  if (!first || !form) return;
  const el = form.querySelector<HTMLElement>(`#${CSS.escape(idPrefix + first)}`);
  el?.focus();
}

export interface SubmitOptions {
  /** The form's own checks, before anything is sent: a message per field (undefined where it is fine). */
  validate: () => FieldErrors;
  /** Sends the form. Success toasts and clearing the fields are its part. */
  send: () => Promise<void>;
  /** The error toast when a failure carries no message of its own. */
  failure: string;
  /** A form-level message that belongs next to one field as well ("Email already registered" → email). */
  alsoOnField?: { pattern: RegExp; field: string };
  /** Focus the first field the server refused (default true). */
  focusServerErrors?: boolean;
  /** The fields' ids are the field names after this prefix (several forms of one kind on a page). */
  idPrefix?: string;
}

/**
 * The submit cycle every form here shares: check the fields, send once at a time, show the server's refusal
 * next to its fields and as one form-level message, toast it, and move focus to the first field in error.
 */
export function useFormSubmit(fields: readonly string[], options: SubmitOptions) {
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (pending) return;
    const found = options.validate();
    setErrors(found);
    setFormError(null);
    if (hasErrors(found)) {
      focusFirstError(formRef.current, found, fields, options.idPrefix);
      return;
    }
    setPending(true);
    try {
      await options.send();
    } catch (err) {
      const { fieldErrors, formError: message } = splitApiError(err, fields);
      const also = options.alsoOnField;
      if (message && also && also.pattern.test(message)) fieldErrors[also.field] = message;
      setErrors(fieldErrors);
      setFormError(message);
      toast.error(message ?? Object.values(fieldErrors)[0] ?? options.failure);
      if (options.focusServerErrors !== false) focusFirstError(formRef.current, fieldErrors, fields, options.idPrefix);
    } finally {
      setPending(false);
    }
  }

  return { formRef, errors, formError, pending, onSubmit };
}
