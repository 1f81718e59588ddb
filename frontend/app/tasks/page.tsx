import { Suspense } from "react";
import { VerifyEmailNotice } from "@/components/account/VerifyEmailNotice";
import { PageLoader } from "@/components/PageLoader";
import { TasksView } from "@/components/tasks/TasksView";

export default function TasksPage() {
  return (
    <Suspense fallback={<PageLoader />}>
      <VerifyEmailNotice />
      <TasksView />
    </Suspense>
  );
}
