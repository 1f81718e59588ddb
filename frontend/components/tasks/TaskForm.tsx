"use client";

import { useState } from "react";
import { FormError } from "@/components/FormField";
import { TASK_FIELDS, TaskFields, taskBody, validateTaskFields } from "@/components/tasks/TaskFields";
import { tasksApi } from "@/lib/api";
import { useFormSubmit } from "@/lib/forms";
import type { Task } from "@/lib/types";
import { notify } from "@/lib/notify";

/** "Add a task" form, with live character limits. */
export function TaskForm({ onCreated }: { onCreated: (task: Task) => void }) {
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(TASK_FIELDS, {
    validate: () => validateTaskFields(title, description),
    send: async () => {
      const task = await tasksApi.create(taskBody(title, description));
      onCreated(task);
      setTitle("");
      setDescription("");
      notify.success("Task created successfully");
      formRef.current?.querySelector<HTMLInputElement>("#title")?.focus();
    },
    failure: "Could not create the task",
    focusServerErrors: false,
  });

  return (
    <section className="card task-form" aria-labelledby="new-task-title">
      <h2 id="new-task-title">Add a task</h2>
      <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate>
        <FormError id="task-form-error" message={formError} throttle={throttle} />
        <TaskFields
          title={title}
          onTitleChange={setTitle}
          description={description}
          onDescriptionChange={setDescription}
          errors={errors}
          withPlaceholders
        />
        <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
          {pending ? "Adding…" : "Add task"}
        </button>
      </form>
    </section>
  );
}
