import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EmailCodeSignIn } from "@/components/auth/EmailCodeSignIn";
import { AuthProvider } from "@/lib/auth/context";
import { getSession, learnSession, resetSessionStoreForTests } from "@/lib/auth/storage";
import { jsonResponse, mockFetch, user } from "./helpers";

const router = { replace: vi.fn(), push: vi.fn(), refresh: vi.fn(), back: vi.fn(), forward: vi.fn(), prefetch: vi.fn() };
vi.mock("next/navigation", () => ({ useRouter: () => router }));

// jsdom has no CSS.escape (lib/forms.ts finds the field in error with it)
globalThis.CSS ??= { escape: (s: string) => s } as typeof CSS;

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

function renderForm(onSecondFactor = vi.fn(), onPassword = vi.fn()) {
  learnSession(null, null);
  render(
    <AuthProvider>
      <EmailCodeSignIn initialEmail=" ada@example.com " onSecondFactor={onSecondFactor} onPassword={onPassword} />
    </AuthProvider>,
  );
  return { onSecondFactor, onPassword };
}

async function askForCode() {
  await act(async () => {
    fireEvent.click(screen.getByRole("button", { name: "Email me a code" }));
  });
  await screen.findByRole("heading", { name: "Check your email" });
}

/** Types `code`: at the sixth digit the field sends its form by itself; a shorter one is sent with the button. */
async function typeCode(code: string) {
  const input = screen.getByLabelText("Code");
  await act(async () => {
    fireEvent.change(input, { target: { value: code } });
  });
  if (code.length === 6) return;
  await act(async () => {
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
  });
}

beforeEach(() => {
  resetSessionStoreForTests();
  vi.clearAllMocks();
});

afterEach(() => {
  cleanup();
});

describe("sign-in with an emailed code", () => {
  it("asks for a code for the trimmed address, then signs in with it", async () => {
    const fetchMock = mockFetch((url) =>
      url.endsWith("/api/auth/email-code")
        ? jsonResponse(202, { message: "If an account exists for this address, a sign-in code is on its way." })
        : jsonResponse(200, { token_type: "bearer", user, expires_at: inAnHour() }),
    );
    renderForm();
    await askForCode();
    expect(JSON.parse(String(fetchMock.mock.calls[0]![1].body))).toEqual({ email: "ada@example.com" });
    expect(screen.getByRole("status").textContent).toContain("ada@example.com");
    const input = screen.getByLabelText("Code");
    expect(input.getAttribute("autocomplete")).toBe("one-time-code");
    expect(input.getAttribute("inputmode")).toBe("numeric");
    await typeCode("042917");
    await waitFor(() => expect(getSession().user?.email).toBe("ada@example.com"));
    const verify = fetchMock.mock.calls.find(([url]) => String(url).endsWith("/email-code/verify"))!;
    expect(JSON.parse(String(verify[1].body))).toEqual({ email: "ada@example.com", code: "042917" });
  });

  it("says a wrong code at the field, a wait in the banner, and hands a two-factor account to its step", async () => {
    const answers = [
      jsonResponse(401, { detail: "Invalid or expired code" }),
      jsonResponse(429, { detail: "Too many attempts. Try again in 120 seconds." }, { "Retry-After": "120" }),
      jsonResponse(403, { detail: "Two-factor code required", mfa_token: "mfa-1" }),
    ];
    mockFetch((url) => (url.endsWith("/api/auth/email-code") ? jsonResponse(202, { message: "ok" }) : answers.shift()!));
    const { onSecondFactor } = renderForm();
    await askForCode();

    await typeCode("000001");
    await waitFor(() => expect(document.getElementById("email-code-error")?.textContent).toBe("Invalid or expired code"));
    expect(document.getElementById("email-code-verify-error")?.textContent ?? "").toBe("");

    await typeCode("000002");
    await waitFor(() => expect(document.getElementById("email-code-verify-error")?.textContent).toMatch(/2 minutes/));

    await typeCode("000003");
    await waitFor(() => expect(onSecondFactor).toHaveBeenCalledWith("mfa-1"));
    expect(getSession().user).toBeNull();
  });

  it("refuses a code that is not six digits before asking the API", async () => {
    const fetchMock = mockFetch(() => jsonResponse(202, { message: "ok" }));
    renderForm();
    await askForCode();
    await typeCode("12a");
    expect(document.getElementById("email-code-error")?.textContent).toBe("Enter the 6-digit code from the mail");
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
