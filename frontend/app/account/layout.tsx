import { RequireAuth } from "@/components/RequireAuth";

export const metadata = { title: "Account" };

/** Signed-out visitors never get here (proxy.ts, lib/server/page-data.ts); RequireAuth covers a session ending while the page is open. */
export default function AccountLayout({ children }: { children: React.ReactNode }) {
  return <RequireAuth>{children}</RequireAuth>;
}
