"use client";

import { useId, useState } from "react";
import { InputField, ShowPassword } from "@/components/FormField";
import { PasswordStrength } from "@/components/password/PasswordStrength";
import { PASSWORD_MIN, validatePassword, type FieldErrors } from "@/lib/validation";

interface Props {
  /** Field ids, which are also the API's field names (a 422 lands on them): e.g. "password" / "new_password". */
  id: string;
  confirmId: string;
  label?: string;
  confirmLabel?: string;
  value: string;
  onChange: (value: string) => void;
  confirm: string;
  onConfirmChange: (value: string) => void;
  /** Messages from the form's own checks or from the server (its reason lands here). */
  errors: FieldErrors;
  /** Words the password should not be built from (email, name): the meter counts them as easy to guess. */
  userInputs?: string[];
}

/**
 * The new password and its confirmation, as every form that sets a password has them (register, change
 * password, reset password): a strength meter while typing, "show password", `autocomplete="new-password"`
 * for password managers, paste allowed, and no `maxlength` (a pasted password is never silently cut; the
 * length rule is reported instead).
 */
export function NewPasswordFields({
  id,
  confirmId,
  label = "Password",
  confirmLabel = "Confirm password",
  value,
  onChange,
  confirm,
  onConfirmChange,
  errors,
  userInputs = [],
}: Props) {
  const [shown, setShown] = useState(false);
  const showId = useId();
  // What both inputs are: a new password, shown or hidden together, which no browser should alter.
  const passwordInput = {
    type: shown ? "text" : "password",
    autoComplete: "new-password",
    autoCapitalize: "none",
    autoCorrect: "off",
    spellCheck: false,
    required: true,
  };
  return (
    <>
      <InputField
        id={id}
        label={label}
        {...passwordInput}
        minLength={PASSWORD_MIN}
        hint={`At least ${PASSWORD_MIN} characters. A few unrelated words make a strong, memorable password.`}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        error={errors[id]}
      />
      <PasswordStrength password={value} userInputs={userInputs} />
      <InputField
        id={confirmId}
        label={confirmLabel}
        {...passwordInput}
        value={confirm}
        onChange={(e) => onConfirmChange(e.target.value)}
        error={errors[confirmId]}
      />
      <ShowPassword id={showId} shown={shown} onChange={setShown} />
    </>
  );
}

/** The checks the fields above need before anything is sent (the server checks the rest). */
export function validateNewPassword(
  ids: { id: string; confirmId: string },
  password: string,
  confirm: string,
  label = "Password",
): FieldErrors {
  return {
    [ids.id]: validatePassword(password, label),
    [ids.confirmId]: !confirm ? "Please confirm your password" : confirm !== password ? "Passwords do not match" : undefined,
  };
}
