import { RequireAuth } from "@/components/RequireAuth";

export const metadata = { title: "Account" };

export default function AccountLayout({ children }: { children: React.ReactNode }) {
  return <RequireAuth>{children}</RequireAuth>;
}
