"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { PageLoader } from "@/components/PageLoader";
import { TaskForm } from "@/components/tasks/TaskForm";
import { TaskItem } from "@/components/tasks/TaskItem";
import { errorMessage, tasksApi } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import type { Task, TaskStatus } from "@/lib/types";
import { notify } from "@/lib/notify";

const FILTERS: { key: TaskStatus; label: string }[] = [
  { key: "all", label: "All" },
  { key: "pending", label: "Pending" },
  { key: "completed", label: "Completed" },
];

const EMPTY: Record<TaskStatus, string> = {
  all: "No tasks yet. Add your first one with the form.",
  pending: "Nothing pending. Nice work!",
  completed: "No completed tasks yet.",
};

function parseFilter(value: string | null): TaskStatus {
  return value === "pending" || value === "completed" ? value : "all";
}

/** `initialTasks`: the list the server rendered the page with (no loader on first paint). */
export function TasksView({ initialTasks = null }: { initialTasks?: Task[] | null }) {
  const { user } = useAuth();
  const params = useSearchParams();
  const filter = parseFilter(params.get("filter"));
  const [tasks, setTasks] = useState<Task[] | null>(initialTasks);
  const [loadError, setLoadError] = useState<string | null>(null);
  // 0: the server's list is current; a retry (or no server list) loads it here.
  const [reloadKey, setReloadKey] = useState(initialTasks ? 0 : 1);
  const [deleting, setDeleting] = useState<Task | null>(null);
  const [deletePending, setDeletePending] = useState(false);
  const listHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (reloadKey === 0) return;
    // Counts for every filter come from one list, so the filter itself is applied here, not by the API.
    const controller = new AbortController();
    tasksApi
      .list("all", controller.signal)
      .then((res) => {
        setTasks(res.tasks);
        setLoadError(null);
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        setLoadError(errorMessage(err));
      });
    return () => controller.abort();
  }, [reloadKey]);

  function retry() {
    setLoadError(null);
    setTasks(null);
    setReloadKey((k) => k + 1);
  }

  function replaceTask(updated: Task) {
    setTasks((list) => list?.map((t) => (t.id === updated.id ? updated : t)) ?? null);
  }

  async function confirmDelete() {
    if (!deleting) return;
    setDeletePending(true);
    try {
      await tasksApi.remove(deleting.id);
      setTasks((list) => list?.filter((t) => t.id !== deleting.id) ?? null);
      notify.success("Task deleted successfully");
      setDeleting(null);
      listHeading.current?.focus();
    } catch (err) {
      notify.error(errorMessage(err));
    } finally {
      setDeletePending(false);
    }
  }

  const counts: Record<TaskStatus, number> = {
    all: tasks?.length ?? 0,
    pending: tasks?.filter((t) => !t.is_completed).length ?? 0,
    completed: tasks?.filter((t) => t.is_completed).length ?? 0,
  };
  const visible =
    tasks?.filter((t) => (filter === "all" ? true : filter === "completed" ? t.is_completed : !t.is_completed)) ?? [];

  return (
    <div className="tasks-page">
      <header className="page-header">
        <div>
          <h1>Your tasks</h1>
          <p className="muted">
            {tasks
              ? `${counts.all} ${counts.all === 1 ? "task" : "tasks"} · ${counts.pending} pending · ${counts.completed} completed`
              : `Signed in as ${user?.name || user?.email || ""}`}
          </p>
        </div>
      </header>

      <div className="tasks-grid">
        <TaskForm onCreated={(task) => setTasks((list) => [task, ...(list ?? [])])} />

        <section className="card task-list-card" aria-labelledby="task-list-title">
          <div className="list-header">
            <h2 id="task-list-title" ref={listHeading} tabIndex={-1}>
              {FILTERS.find((f) => f.key === filter)?.label} tasks
            </h2>
            <nav aria-label="Filter tasks" className="filters">
              {FILTERS.map((f) => (
                <Link
                  key={f.key}
                  href={`/tasks?filter=${f.key}`}
                  scroll={false}
                  className={`filter${filter === f.key ? " filter-active" : ""}`}
                  aria-current={filter === f.key ? "page" : undefined}
                >
                  {f.label} <span className="filter-count">{tasks ? counts[f.key] : "–"}</span>
                </Link>
              ))}
            </nav>
          </div>

          {loadError ? (
            <div className="state state-error" role="alert">
              <p>Could not load your tasks: {loadError}</p>
              <button type="button" className="btn btn-secondary btn-sm" onClick={retry}>
                Try again
              </button>
            </div>
          ) : tasks === null ? (
            <PageLoader label="Loading your tasks…" />
          ) : visible.length === 0 ? (
            <p className="state state-empty">{EMPTY[filter]}</p>
          ) : (
            <ul className="task-list" aria-label={`${FILTERS.find((f) => f.key === filter)?.label} tasks`}>
              {visible.map((task) => (
                <TaskItem key={task.id} task={task} onChanged={replaceTask} onDelete={setDeleting} />
              ))}
            </ul>
          )}
        </section>
      </div>

      <ConfirmDialog
        open={deleting !== null}
        title="Delete this task?"
        message={
          <p>
            &ldquo;{deleting?.title}&rdquo; will be deleted for good. This cannot be undone.
          </p>
        }
        confirmLabel="Delete task"
        pendingLabel="Deleting…"
        pending={deletePending}
        danger
        onConfirm={confirmDelete}
        onCancel={() => setDeleting(null)}
      />
    </div>
  );
}
