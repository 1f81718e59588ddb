import { RequireAuth } from "@/components/RequireAuth";

export const metadata = { title: "Your tasks" };

/** Signed-out visitors never get here (proxy.ts, lib/server/page-data.ts); RequireAuth covers a session ending while the page is open. */
export default function TasksLayout({ children }: { children: React.ReactNode }) {
  return <RequireAuth>{children}</RequireAuth>;
}
