import { RequireAuth } from "@/components/RequireAuth";

export const metadata = { title: "Your tasks" };

export default function TasksLayout({ children }: { children: React.ReactNode }) {
  return <RequireAuth>{children}</RequireAuth>;
}
