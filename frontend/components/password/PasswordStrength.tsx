"use client";

import { useEffect, useState } from "react";
import type { Strength } from "@/lib/strength";

type Estimate = (password: string, userInputs: string[]) => Strength;

const LABELS = ["Very weak", "Weak", "Fair", "Strong", "Very strong"] as const;

/**
 * A strength meter for a new password. The estimator (zxcvbn-ts and its dictionaries) is fetched with a
 * dynamic import the first time this renders, so only pages with a new-password field download it. It is
 * advice only: what the server refuses (common, breached, built from the email or name) arrives as the
 * field's error.
 */
export function PasswordStrength({ password, userInputs }: { password: string; userInputs: string[] }) {
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  useEffect(() => {
    let live = true;
    import("@/lib/strength").then((m) => {
      if (live) setEstimate(() => m.estimate);
    });
    return () => {
      live = false;
    };
  }, []);

  const strength = estimate && password ? estimate(password, userInputs) : null;
  const score = strength?.score ?? 0;
  return (
    <div className="strength" data-testid="password-strength" data-score={strength ? score : ""}>
      <meter
        min={0}
        max={4}
        low={2}
        high={3}
        optimum={4}
        value={strength ? score : 0}
        aria-label="Password strength"
        aria-valuetext={strength ? LABELS[score] : "No password yet"}
      />
      <p className="strength-text" aria-live="polite">
        {strength ? (
          <>
            <strong>{LABELS[score]}</strong>
            {strength.warning ? `: ${strength.warning}` : null}
            {score < 3 && strength.suggestions[0] ? ` ${strength.suggestions[0]}` : null}
          </>
        ) : estimate ? null : password ? "Checking strength…" : null}
      </p>
    </div>
  );
}
