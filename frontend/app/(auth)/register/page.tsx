import { RegisterForm } from "@/components/auth/RegisterForm";

export const metadata = { title: "Sign up" };

export default function RegisterPage() {
  return <RegisterForm />;
}
