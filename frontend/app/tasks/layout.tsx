import { RequireAuth } from "@/components/RequireAuth";
import { requireSession } from "@/lib/server/session";

export const metadata = { title: "Your tasks" };

export default async function TasksLayout({ children }: { children: React.ReactNode }) {
  await requireSession("/tasks");
  return <RequireAuth>{children}</RequireAuth>;
}
