import { ResetPasswordForm } from "@/components/auth/ResetPasswordForm";

// No Referer leaves this page (the token is in its URL); next.config.ts sends the same as a header.
export const metadata = { title: "Reset password", referrer: "no-referrer" };

export default function ResetPasswordPage() {
  return (
    <div className="auth-shell">
      <ResetPasswordForm />
    </div>
  );
}
