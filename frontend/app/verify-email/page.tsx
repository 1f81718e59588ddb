import { VerifyEmail } from "@/components/auth/VerifyEmail";

export const metadata = { title: "Confirm email", referrer: "no-referrer" };

export default function VerifyEmailPage() {
  return (
    <div className="auth-shell">
      <VerifyEmail />
    </div>
  );
}
