// Client-side checks mirroring the API's rules, so most mistakes are caught before a request. The numbers are
// the API's (tests/unit/api-schema.test.ts holds them equal to the OpenAPI document's, rule by rule), and
// lengths are counted as the API counts them: in code points, not UTF-16 units (an emoji is one character).
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 100;
export const NAME_MAX = 100;
export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 1000;

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type FieldErrors = Partial<Record<string, string>>;

/** The length the API sees: Unicode code points (a string's `.length` counts an emoji as two). */
export function charCount(s: string): number {
  return Array.from(s).length;
}

export function validateEmail(email: string): string | undefined {
  if (!email.trim()) return "Email is required";
  if (!EMAIL_RE.test(email.trim())) return "Enter a valid email address";
  return undefined;
}

export function validatePassword(password: string, label = "Password"): string | undefined {
  if (!password) return `${label} is required`;
  if (charCount(password) < PASSWORD_MIN) return `${label} must be at least ${PASSWORD_MIN} characters`;
  if (charCount(password) > PASSWORD_MAX) return `${label} must be at most ${PASSWORD_MAX} characters`;
  return undefined;
}

export function validateTitle(title: string): string | undefined {
  if (!title.trim()) return "Title is required";
  if (charCount(title.trim()) > TITLE_MAX) return `Title must be at most ${TITLE_MAX} characters`;
  return undefined;
}

export function validateDescription(description: string): string | undefined {
  if (charCount(description.trim()) > DESCRIPTION_MAX) return `Description must be at most ${DESCRIPTION_MAX} characters`;
  return undefined;
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.values(errors).some(Boolean);
}
