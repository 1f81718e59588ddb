import { notify } from "@/lib/notify";

/**
 * After a sign-in whose password breaks today's rules (the API says so in that one response, and stores
 * nothing): a toast that suggests a change, pointing at the account page. The password still works. It
 * stays up over the "Signed in" that follows (lib/notify.ts).
 */
export function suggestPasswordChange(): void {
  notify.advice(
    "Your password is easy to guess: it is a common one or built from your email or name. Please choose a new one on your Account page.",
    "🔑",
  );
}
