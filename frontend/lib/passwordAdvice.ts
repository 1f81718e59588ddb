import toast from "react-hot-toast";

/**
 * After a sign-in whose password breaks today's rules (the API says so in that one response, and stores
 * nothing): a toast that suggests a change, pointing at the account page. The password still works.
 */
export function suggestPasswordChange(): void {
  toast(
    "Your password is easy to guess: it is a common one or built from your email or name. Please choose a new one on your Account page.",
    { id: "password-change-suggested", duration: 12_000, icon: "🔑" },
  );
}
