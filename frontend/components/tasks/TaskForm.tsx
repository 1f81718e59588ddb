"use client";

import { useState } from "react";
import toast from "react-hot-toast";
import { FormError, InputField, TextAreaField } from "@/components/FormField";
import { tasksApi } from "@/lib/api";
import { useFormSubmit } from "@/lib/forms";
import type { Task } from "@/lib/types";
import { charCount, DESCRIPTION_MAX, TITLE_MAX, validateDescription, validateTitle } from "@/lib/validation";

const FIELDS = ["title", "description"] as const;

/** "Add a task" form, with live character limits. */
export function TaskForm({ onCreated }: { onCreated: (task: Task) => void }) {
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const { formRef, errors, formError, pending, onSubmit } = useFormSubmit(FIELDS, {
    validate: () => ({ title: validateTitle(title), description: validateDescription(description) }),
    send: async () => {
      const task = await tasksApi.create({ title: title.trim(), description: description.trim() || null });
      onCreated(task);
      setTitle("");
      setDescription("");
      toast.success("Task created successfully");
      formRef.current?.querySelector<HTMLInputElement>("#title")?.focus();
    },
    failure: "Could not create the task",
    focusServerErrors: false,
  });

  return (
    <section className="card task-form" aria-labelledby="new-task-title">
      <h2 id="new-task-title">Add a task</h2>
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <FormError id="task-form-error" message={formError} />
        <InputField
          id="title"
          label="Title"
          type="text"
          required
            max={TITLE_MAX}
          length={charCount(title)}
          placeholder="What needs doing?"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          error={errors.title}
        />
        <TextAreaField
          id="description"
          label="Description"
          optional
          rows={3}
            max={DESCRIPTION_MAX}
          length={charCount(description)}
          placeholder="Details, links, notes…"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          error={errors.description}
        />
        <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
          {pending ? "Adding…" : "Add task"}
        </button>
      </form>
    </section>
  );
}
