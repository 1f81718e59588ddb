import { RequireAuth } from "@/components/RequireAuth";
import { requireSession } from "@/lib/server/session";

export const metadata = { title: "Account" };

export default async function AccountLayout({ children }: { children: React.ReactNode }) {
  await requireSession("/account");
  return <RequireAuth>{children}</RequireAuth>;
}
