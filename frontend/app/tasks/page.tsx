import { Suspense } from "react";
import { VerifyEmailNotice } from "@/components/account/VerifyEmailNotice";
import { PageLoader } from "@/components/PageLoader";
import { TasksView } from "@/components/tasks/TasksView";
import { pageData } from "@/lib/server/page-data";
import type { TaskListResponse } from "@/lib/types";

/** Rendered on the server with the visitor's tasks (one API call): the first HTML already holds the list. */
export default async function TasksPage() {
  // null: the API answered with an error (not a refusal): the browser loads the list itself and offers "Try again".
  const { data: list } = await pageData<TaskListResponse>("/api/tasks", "/tasks");
  return (
    <Suspense fallback={<PageLoader />}>
      <VerifyEmailNotice />
      <TasksView initialTasks={list?.tasks ?? null} />
    </Suspense>
  );
}
