"use client";

import { useState } from "react";
import { FormError, InputField } from "@/components/FormField";
import { Panel } from "@/components/account/Settings";
import { authApi } from "@/lib/api";
import { useAuth } from "@/lib/auth/context";
import { saveUser } from "@/lib/auth/storage";
import { useFormSubmit } from "@/lib/forms";
import { notify } from "@/lib/notify";
import { charCount, NAME_MAX } from "@/lib/validation";

/**
 * The Name row's form (PATCH /api/auth/me): the name as it is now, edited in place; an empty field removes
 * it. The answer is the user as the API keeps it (trimmed), saved for this tab and every other one (the
 * header shows it at once).
 */
export function NameForm({ onDone }: { onDone: () => void }) {
  const { user } = useAuth();
  const [name, setName] = useState(user?.name ?? "");
  const adding = !user?.name;
  const { formRef, errors, formError, throttle, pending, onSubmit, onInput } = useFormSubmit(["name"], {
    validate: () => ({
      name: charCount(name.trim()) > NAME_MAX ? `Name must be at most ${NAME_MAX} characters` : undefined,
    }),
    send: async () => {
      const updated = await authApi.updateMe({ name: name.trim() || null });
      saveUser(updated);
      notify.success(updated.name ? "Name saved" : "Name removed");
      onDone();
    },
    failure: "Could not save the name",
    ids: { name: "profile_name" },
  });

  return (
    <Panel id="edit-name" title={adding ? "Add your name" : "Edit name"}>
      <p className="muted">Shown at the top of every page instead of your email.</p>
      <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate>
        <FormError id="edit-name-error" message={formError} throttle={throttle} />
        <InputField
          id="profile_name"
          label="Name"
          type="text"
          autoComplete="name"
          hint={adding ? undefined : "Leave it empty to remove your name."}
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errors.name}
          autoFocus
        />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? "Saving…" : "Save"}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onDone} disabled={pending}>
            Cancel
          </button>
        </div>
      </form>
    </Panel>
  );
}
