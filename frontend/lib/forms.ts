import { ApiError, errorMessage } from "@/lib/api";
import type { FieldErrors } from "@/lib/validation";

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
export function focusFirstError(form: HTMLFormElement | null, errors: FieldErrors, order: readonly string[]): void {
  const first = order.find((f) => errors[f]);
  if (!first || !form) return;
  const el = form.querySelector<HTMLElement>(`#${CSS.escape(first)}`);
  el?.focus();
}
