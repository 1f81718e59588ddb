"use client";

import { useState } from "react";
import { FormError } from "@/components/FormField";
import { errorMessage, tasksApi } from "@/lib/api";
import { LocalTime } from "@/components/LocalTime";
import { parseApiDate } from "@/lib/format";
import { TASK_FIELDS, TaskFields, taskBody, validateTaskFields } from "@/components/tasks/TaskFields";
import { useFormSubmit } from "@/lib/forms";
import type { Task } from "@/lib/types";
import { notify } from "@/lib/notify";

interface Props {
  task: Task;
  onChanged: (task: Task) => void;
  onDelete: (task: Task) => void;
}

export function TaskItem({ task, onChanged, onDelete }: Props) {
  const [editing, setEditing] = useState(false);
  const [toggling, setToggling] = useState(false);

  async function onToggle() {
    setToggling(true);
    try {
      const updated = await tasksApi.toggle(task.id);
      onChanged(updated);
      notify.success(updated.is_completed ? "Task marked as completed" : "Task marked as pending");
    } catch (err) {
      notify.error(errorMessage(err));
    } finally {
      setToggling(false);
    }
  }

  const edited = Math.abs(parseApiDate(task.updated_at).getTime() - parseApiDate(task.created_at).getTime()) > 1000;

  if (editing) {
    return (
      <li className="task task-editing">
        <EditTask
          task={task}
          onCancel={() => setEditing(false)}
          onSaved={(t) => {
            onChanged(t);
            setEditing(false);
          }}
        />
      </li>
    );
  }

  return (
    <li className={`task${task.is_completed ? " task-done" : ""}`} data-testid="task-item">
      <input
        type="checkbox"
        className="task-check"
        checked={task.is_completed}
        onChange={onToggle}
        disabled={toggling}
        aria-label={`Mark "${task.title}" as ${task.is_completed ? "pending" : "completed"}`}
      />
      <div className="task-body">
        <h3 className="task-title">{task.title}</h3>
        {task.description ? <p className="task-desc">{task.description}</p> : null}
        <p className="task-meta">
          <span className={`badge ${task.is_completed ? "badge-done" : "badge-pending"}`}>
            {task.is_completed ? "Completed" : "Pending"}
          </span>
          <span>
            Created <LocalTime value={task.created_at} />
          </span>
          {edited ? (
            <span>
              · Updated <LocalTime value={task.updated_at} />
            </span>
          ) : null}
        </p>
      </div>
      <div className="task-actions">
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => setEditing(true)} aria-label={`Edit "${task.title}"`}>
          Edit
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-sm btn-ghost-danger"
          onClick={() => onDelete(task)}
          aria-label={`Delete "${task.title}"`}
        >
          Delete
        </button>
      </div>
    </li>
  );
}

function EditTask({ task, onCancel, onSaved }: { task: Task; onCancel: () => void; onSaved: (t: Task) => void }) {
  const [title, setTitle] = useState(task.title);
  const [description, setDescription] = useState(task.description ?? "");
  const idPrefix = `edit-${task.id}-`;
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(TASK_FIELDS, {
    validate: () => validateTaskFields(title, description),
    send: async () => {
      const updated = await tasksApi.update(task.id, taskBody(title, description));
      notify.success("Task updated successfully");
      onSaved(updated);
    },
    failure: "Could not update the task",
    idPrefix,
  });

  return (
    <form
      ref={formRef}
      className="task-edit"
      onSubmit={onSubmit}
      onInput={onInput}
      noValidate
      aria-label={`Edit task "${task.title}"`}
      onKeyDown={(e) => {
        if (e.key === "Escape" && !pending) onCancel();
      }}
    >
      <FormError id={`${idPrefix}error`} message={formError} throttle={throttle} />
      <TaskFields
        idPrefix={idPrefix}
        title={title}
        onTitleChange={setTitle}
        description={description}
        onDescriptionChange={setDescription}
        errors={errors}
        autoFocus
      />
      <div className="row-actions">
        <button type="button" className="btn btn-secondary btn-sm" onClick={onCancel} disabled={pending}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary btn-sm" disabled={pending}>
          {pending ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}
