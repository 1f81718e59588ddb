// An email address handed from one page to the next in this tab (after a password reset, the sign-in page
// opens with it filled in), through sessionStorage rather than the URL: an address in a URL ends up in the
// history and in server logs. Read once, then gone.
const KEY = "prefill-email";

export function handOnEmail(email: string): void {
  try {
    sessionStorage.setItem(KEY, email);
  } catch {
    // storage refused (private mode, quota): the visitor types it
  }
}

export function takeHandedEmail(): string | null {
  try {
    const email = sessionStorage.getItem(KEY);
    sessionStorage.removeItem(KEY);
    return email;
  } catch {
    return null;
  }
}
