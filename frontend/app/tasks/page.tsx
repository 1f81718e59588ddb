import { Suspense } from "react";
import { VerifyEmailNotice } from "@/components/account/VerifyEmailNotice";
import { PageLoader } from "@/components/PageLoader";
import { TasksView } from "@/components/tasks/TasksView";
import { loginUrl } from "@/lib/navigation";
import { apiGetWithSession } from "@/lib/server/session";
import type { TaskListResponse } from "@/lib/types";
import { redirect } from "next/navigation";

/** Rendered on the server with the visitor's tasks: the first HTML already holds the list. */
export default async function TasksPage() {
  let list: TaskListResponse | null | undefined;
  try {
    list = await apiGetWithSession<TaskListResponse>("/api/tasks");
  } catch {
    // The API answered with an error (not a 401): the browser loads the list itself and offers "Try again".
    list = undefined;
  }
  if (list === null) redirect(loginUrl("/tasks"));
  return (
    <Suspense fallback={<PageLoader />}>
      <VerifyEmailNotice />
      <TasksView initialTasks={list?.tasks ?? null} />
    </Suspense>
  );
}
