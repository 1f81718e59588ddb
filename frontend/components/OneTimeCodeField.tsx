"use client";

import { useEffect, useRef } from "react";
import { InputField } from "@/components/FormField";

interface Props {
  id: string;
  label: string;
  value: string;
  onChange: (code: string) => void;
  error?: string;
  hint?: string;
  /** How many digits make a code (6 for an authenticator app). */
  length?: number;
  autoFocus?: boolean;
}

const digitsOf = (text: string) => text.replace(/\D/g, "");

/**
 * The one input for a one-time code (the two-factor step at sign-in, turning two-factor on and off, and the
 * email code to come): large and spaced, the numeric keyboard on phones, filled by the system's one-time
 * code offer (`autocomplete="one-time-code"`), a pasted "123 456" or "123-456" taken whole, and it submits
 * its form by itself once the last digit is in (only after the person typed or pasted: never on a value
 * set by the page).
 */
export function OneTimeCodeField({ id, label, value, onChange, error, hint, length = 6, autoFocus }: Props) {
  const typed = useRef(false);

  useEffect(() => {
    if (!typed.current || value.length !== length) return;
    typed.current = false;
    // After the render that holds the whole code, so the form's submit handler sees it.
    const input = document.getElementById(id);
    if (input instanceof HTMLInputElement) input.form?.requestSubmit();
  }, [value, id, length]);

  function take(text: string) {
    typed.current = true;
    onChange(digitsOf(text).slice(0, length));
  }

  return (
    <InputField
      id={id}
      label={label}
      type="text"
      inputMode="numeric"
      autoComplete="one-time-code"
      pattern="[0-9]*"
      autoCapitalize="none"
      autoCorrect="off"
      spellCheck={false}
      required
      autoFocus={autoFocus}
      className="otp-input"
      hint={hint}
      value={value}
      onChange={(e) => take(e.target.value)}
      onPaste={(e) => {
        // A whole code replaces whatever is in the field (no "12" + "123456" = "121234").
        const pasted = digitsOf(e.clipboardData.getData("text"));
        if (pasted.length >= length) {
          e.preventDefault();
          take(pasted);
        }
      }}
      error={error}
    />
  );
}
