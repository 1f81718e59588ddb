import { describe, expect, it } from "vitest";
import { passkeyErrorMessage } from "@/lib/passkeys";

function named(name: string, message = "raw browser text") {
  const err = new Error(message);
  err.name = name;
  return err;
}

describe("passkeyErrorMessage", () => {
  it("says a cancelled ceremony in words, never the browser's text", () => {
    expect(passkeyErrorMessage(named("NotAllowedError"), "sign-in")).toMatch(/^Passkey sign-in was cancelled/);
    expect(passkeyErrorMessage(named("NotAllowedError"), "add")).toBe("Adding the passkey was cancelled.");
  });
  it("is silent for a ceremony aborted by another one (autofill, then the button)", () => {
    expect(passkeyErrorMessage(named("AbortError"), "sign-in")).toBeNull();
  });
  it("names an authenticator that already holds the account's passkey", () => {
    expect(passkeyErrorMessage(named("InvalidStateError"), "add")).toMatch(/already holds a passkey/);
  });
  it("has a plain fallback", () => {
    expect(passkeyErrorMessage(new TypeError("x is undefined"), "sign-in")).toBe("Passkey sign-in did not work. Try again.");
    expect(passkeyErrorMessage("???", "add")).toBe("The passkey could not be added.");
  });
});
