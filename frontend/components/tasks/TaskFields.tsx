"use client";

import { InputField, TextAreaField } from "@/components/FormField";
import { charCount, DESCRIPTION_MAX, TITLE_MAX, validateDescription, validateTitle, type FieldErrors } from "@/lib/validation";

interface Props {
  /** Prefix of the fields' ids ("" → `title`, `description`; the API's field names follow it). */
  idPrefix?: string;
  title: string;
  onTitleChange: (value: string) => void;
  description: string;
  onDescriptionChange: (value: string) => void;
  errors: FieldErrors;
  autoFocus?: boolean;
  /** Example text in the empty fields (the "Add a task" form). */
  withPlaceholders?: boolean;
}

/** A task's title and description, as every form that writes a task has them, with live character counts. */
export function TaskFields({
  idPrefix = "",
  title,
  onTitleChange,
  description,
  onDescriptionChange,
  errors,
  autoFocus,
  withPlaceholders,
}: Props) {
  return (
    <>
      <InputField
        id={`${idPrefix}title`}
        label="Title"
        type="text"
        required
        autoFocus={autoFocus}
        max={TITLE_MAX}
        length={charCount(title)}
        placeholder={withPlaceholders ? "What needs doing?" : undefined}
        value={title}
        onChange={(e) => onTitleChange(e.target.value)}
        error={errors.title}
      />
      <TextAreaField
        id={`${idPrefix}description`}
        label="Description"
        optional
        rows={3}
        max={DESCRIPTION_MAX}
        length={charCount(description)}
        placeholder={withPlaceholders ? "Details, links, notes…" : undefined}
        value={description}
        onChange={(e) => onDescriptionChange(e.target.value)}
        error={errors.description}
      />
    </>
  );
}

export const TASK_FIELDS = ["title", "description"] as const;

/** The checks the fields above need before anything is sent. */
export function validateTaskFields(title: string, description: string): FieldErrors {
  return { title: validateTitle(title), description: validateDescription(description) };
}

/** The body the API takes for the fields above: trimmed, an empty description as null. */
export function taskBody(title: string, description: string) {
  return { title: title.trim(), description: description.trim() || null };
}
