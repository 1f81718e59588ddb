import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { NewPasswordFields, validateNewPassword } from "@/components/password/NewPasswordFields";
import { estimate } from "@/lib/strength";
import type { FieldErrors } from "@/lib/validation";

afterEach(cleanup);

function Harness({ errors = {} }: { errors?: FieldErrors }) {
  const [value, setValue] = useState("");
  const [confirm, setConfirm] = useState("");
  return (
    <NewPasswordFields
      id="new_password"
      confirmId="confirm_new_password"
      label="New password"
      confirmLabel="Confirm new password"
      value={value}
      onChange={setValue}
      confirm={confirm}
      onConfirmChange={setConfirm}
      errors={errors}
      userInputs={["ada@example.com", "ada", "Ada Lovelace"]}
    />
  );
}

describe("new-password fields", () => {
  it("are made for password managers: new-password, no maxlength, paste not blocked", () => {
    render(<Harness />);
    for (const label of ["New password", "Confirm new password"]) {
      const input = screen.getByLabelText(label) as HTMLInputElement;
      expect(input.type).toBe("password");
      expect(input.autocomplete).toBe("new-password");
      expect(input.hasAttribute("maxlength")).toBe(false);
      expect(input.getAttribute("onpaste")).toBeNull();
      // A paste event is not cancelled.
      expect(fireEvent.paste(input)).toBe(true);
    }
  });

  it("show password reveals both fields and hides them again", () => {
    render(<Harness />);
    const show = screen.getByLabelText("Show password");
    fireEvent.click(show);
    expect((screen.getByLabelText("New password") as HTMLInputElement).type).toBe("text");
    expect((screen.getByLabelText("Confirm new password") as HTMLInputElement).type).toBe("text");
    fireEvent.click(show);
    expect((screen.getByLabelText("New password") as HTMLInputElement).type).toBe("password");
  });

  it("the meter rates what is typed, once its estimator has loaded", async () => {
    render(<Harness />);
    const input = screen.getByLabelText("New password");
    fireEvent.change(input, { target: { value: "password1" } });
    const meter = screen.getByTestId("password-strength");
    await waitFor(() => expect(meter.dataset.score).toBe("0"));
    expect(meter.textContent).toMatch(/Very weak/);
    fireEvent.change(input, { target: { value: "correct kettle ostrich lighthouse" } });
    await waitFor(() => expect(Number(meter.dataset.score)).toBeGreaterThanOrEqual(3));
  });

  it("shows the server's reason at the field", () => {
    render(<Harness errors={{ new_password: "This password is too close to your email address" }} />);
    const input = screen.getByLabelText("New password");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById("new_password-error")?.textContent).toBe(
      "This password is too close to your email address",
    );
  });

  it("checks length and confirmation before sending", () => {
    const ids = { id: "password", confirmId: "confirm_password" };
    expect(validateNewPassword(ids, "short", "short").password).toMatch(/at least 8/);
    expect(validateNewPassword(ids, "long enough words", "").confirm_password).toMatch(/confirm/i);
    expect(validateNewPassword(ids, "long enough words", "long enough wordz").confirm_password).toMatch(/match/);
    expect(validateNewPassword(ids, "long enough words", "long enough words")).toEqual({
      password: undefined,
      confirm_password: undefined,
    });
  });
});

describe("strength estimate", () => {
  it("counts the account's own words as easy to guess", () => {
    expect(estimate("ada@example.com", ["ada@example.com"]).score).toBeLessThanOrEqual(1);
    // A word of the name counts, not only the whole name.
    expect(estimate("Marblewood!!", ["Quentin Marblewood"]).score).toBeLessThan(estimate("Marblewood!!", []).score);
  });
});
