import { Suspense } from "react";
import { PageLoader } from "@/components/PageLoader";
import { TasksView } from "@/components/tasks/TasksView";

export default function TasksPage() {
  return (
    <Suspense fallback={<PageLoader />}>
      <TasksView />
    </Suspense>
  );
}
