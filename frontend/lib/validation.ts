// Client-side checks mirroring the API's rules (contract.md), so most mistakes are caught before a request.
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 100;
export const NAME_MAX = 100;
export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 1000;

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type FieldErrors = Partial<Record<string, string>>;

export function validateEmail(email: string): string | undefined {
  if (!email.trim()) return "Email is required";
  if (!EMAIL_RE.test(email.trim())) return "Enter a valid email address";
  return undefined;
}

export function validatePassword(password: string, label = "Password"): string | undefined {
  if (!password) return `${label} is required`;
  if (password.length < PASSWORD_MIN) return `${label} must be at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `${label} must be at most ${PASSWORD_MAX} characters`;
  return undefined;
}

export function validateTitle(title: string): string | undefined {
  if (!title.trim()) return "Title is required";
  if (title.trim().length > TITLE_MAX) return `Title must be at most ${TITLE_MAX} characters`;
  return undefined;
}

export function validateDescription(description: string): string | undefined {
  if (description.trim().length > DESCRIPTION_MAX) return `Description must be at most ${DESCRIPTION_MAX} characters`;
  return undefined;
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.values(errors).some(Boolean);
}
