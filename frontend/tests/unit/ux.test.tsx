// Issue 25's client pieces: a tab that regains focus (or is told by another tab) reads the user again; one
// toast at a time; the one-time code input; a form's errors said once and gone when the field is edited.
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import toast, { useToasterStore } from "react-hot-toast";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FormError, InputField } from "@/components/FormField";
import { OneTimeCodeField } from "@/components/OneTimeCodeField";
import { ApiError } from "@/lib/api";
import { AuthProvider, useAuth } from "@/lib/auth/context";
import { useRefreshUserOnFocus } from "@/lib/auth/refresh";
import { resetSessionStoreForTests, type Session } from "@/lib/auth/storage";
import { useFormSubmit } from "@/lib/forms";
import { notify } from "@/lib/notify";
import { jsonResponse, mockFetch, user } from "./helpers";

// jsdom has no CSS.escape (lib/forms.ts finds the field in error with it)
globalThis.CSS ??= { escape: (s: string) => s } as typeof CSS;

beforeEach(() => {
  resetSessionStoreForTests();
  sessionStorage.clear();
});

afterEach(() => {
  cleanup();
  toast.remove();
});

describe("refreshing the signed-in user", () => {
  function Shown() {
    const { user: current } = useAuth();
    useRefreshUserOnFocus();
    return <p data-testid="who">{current ? `${current.email} verified:${current.email_verified}` : "out"}</p>;
  }
  const signedIn: Session = { user, expiresAt: null, endReason: null };
  const who = () => screen.getByTestId("who").textContent;

  it("reads GET /api/auth/me when the tab gets the focus, and shows what changed", async () => {
    const fetchMock = mockFetch(() => jsonResponse(200, { ...user, email: "ada.new@example.com", email_verified: true }));
    render(
      <AuthProvider initial={signedIn}>
        <Shown />
      </AuthProvider>,
    );
    expect(who()).toBe("ada@example.com verified:false");
    expect(fetchMock).not.toHaveBeenCalled();
    act(() => {
      window.dispatchEvent(new Event("focus"));
    });
    await waitFor(() => expect(who()).toBe("ada.new@example.com verified:true"));
    expect(fetchMock.mock.calls[0]![0]).toBe("/api/auth/me");
  });

  it("focus and visibilitychange together make one request", async () => {
    const fetchMock = mockFetch(() => jsonResponse(200, user));
    render(
      <AuthProvider initial={signedIn}>
        <Shown />
      </AuthProvider>,
    );
    act(() => {
      document.dispatchEvent(new Event("visibilitychange"));
      window.dispatchEvent(new Event("focus"));
    });
    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(1));
  });

  it("reads it again when another tab asks", async () => {
    mockFetch(() => jsonResponse(200, { ...user, email_verified: true }));
    render(
      <AuthProvider initial={signedIn}>
        <Shown />
      </AuthProvider>,
    );
    const otherTab = new BroadcastChannel("todo-auth");
    otherTab.postMessage({ type: "refresh" });
    await waitFor(() => expect(who()).toBe("ada@example.com verified:true"));
    otherTab.close();
  });

  it("a session ended elsewhere ends here on the next focus", async () => {
    mockFetch(() => jsonResponse(401, { detail: "Token has been revoked" }));
    render(
      <AuthProvider initial={signedIn}>
        <Shown />
      </AuthProvider>,
    );
    act(() => {
      window.dispatchEvent(new Event("focus"));
    });
    await waitFor(() => expect(who()).toBe("out"));
  });

  it("asks nothing when signed out", () => {
    const fetchMock = mockFetch(() => jsonResponse(200, user));
    render(
      <AuthProvider initial={{ user: null, expiresAt: null, endReason: null }}>
        <Shown />
      </AuthProvider>,
    );
    act(() => {
      window.dispatchEvent(new Event("focus"));
    });
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe("notify", () => {
  function Count() {
    const { toasts } = useToasterStore();
    const shown = toasts.filter((t) => t.visible);
    return <p data-testid="toasts">{shown.map((t) => `${t.type}:${String(t.message)}`).join("|")}</p>;
  }

  it("shows one toast at a time: a success takes the place of an older error", () => {
    render(<Count />);
    act(() => {
      notify.error("Password too common");
      notify.error("Invalid email or password");
      notify.success("Password changed");
    });
    expect(screen.getByTestId("toasts").textContent).toBe("success:Password changed");
  });

  it("keeps an advice up over a routine success, not over an error", () => {
    render(<Count />);
    act(() => {
      notify.advice("Your password is easy to guess", "🔑");
      notify.success("Signed in");
    });
    expect(screen.getByTestId("toasts").textContent).toBe("blank:Your password is easy to guess");
    act(() => {
      notify.error("Cannot reach the server");
    });
    expect(screen.getByTestId("toasts").textContent).toBe("error:Cannot reach the server");
  });
});

describe("the one-time code input", () => {
  function CodeForm({ onSubmit }: { onSubmit: (code: string) => void }) {
    const [code, setCode] = useState("");
    return (
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit(code);
        }}
      >
        <OneTimeCodeField id="code" label="Code" value={code} onChange={setCode} />
      </form>
    );
  }

  it("has the attributes phones and password managers need", () => {
    render(<CodeForm onSubmit={() => {}} />);
    const input = screen.getByLabelText("Code");
    expect(input.getAttribute("autocomplete")).toBe("one-time-code");
    expect(input.getAttribute("inputmode")).toBe("numeric");
    expect(input.getAttribute("type")).toBe("text");
    expect(input.getAttribute("maxlength")).toBeNull();
    expect(input.className).toContain("otp-input");
  });

  it("keeps digits only and submits itself at the sixth", async () => {
    const submitted = vi.fn();
    // jsdom has no requestSubmit of its own
    HTMLFormElement.prototype.requestSubmit ??= function (this: HTMLFormElement) {
      this.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    };
    render(<CodeForm onSubmit={submitted} />);
    const input = screen.getByLabelText("Code") as HTMLInputElement;
    fireEvent.change(input, { target: { value: "12a3" } });
    expect(input.value).toBe("123");
    expect(submitted).not.toHaveBeenCalled();
    fireEvent.change(input, { target: { value: "123 45" } });
    expect(submitted).not.toHaveBeenCalled();
    fireEvent.change(input, { target: { value: "123 456" } });
    await waitFor(() => expect(submitted).toHaveBeenCalledWith("123456"));
    expect(submitted).toHaveBeenCalledTimes(1);
  });

  it("takes a pasted code whole, replacing what was typed", async () => {
    const submitted = vi.fn();
    render(<CodeForm onSubmit={submitted} />);
    const input = screen.getByLabelText("Code") as HTMLInputElement;
    fireEvent.change(input, { target: { value: "12" } });
    fireEvent.paste(input, { clipboardData: { getData: () => "654-321" } });
    await waitFor(() => expect(submitted).toHaveBeenCalledWith("654321"));
    expect(input.value).toBe("654321");
  });
});

describe("a form's errors", () => {
  function SignInLike({ fail }: { fail: unknown }) {
    const [email, setEmail] = useState("");
    const [code, setCode] = useState("");
    const { formRef, errors, formError, throttle, onSubmit, onInput } = useFormSubmit(["email", "code"], {
      validate: () => ({ email: email ? undefined : "Email is required" }),
      send: async () => {
        throw fail;
      },
      failure: "Failed",
      alsoOnField: { pattern: /two-factor code/i, field: "code" },
    });
    return (
      <form ref={formRef} onSubmit={onSubmit} onInput={onInput} noValidate>
        <FormError id="form-error" message={formError} throttle={throttle} />
        <InputField id="email" label="Email" value={email} onChange={(e) => setEmail(e.target.value)} error={errors.email} />
        <InputField id="code" label="Code" value={code} onChange={(e) => setCode(e.target.value)} error={errors.code} />
        <button type="submit">Go</button>
      </form>
    );
  }

  it("a field's error goes as soon as the field is edited", () => {
    render(<SignInLike fail={new Error("x")} />);
    fireEvent.click(screen.getByText("Go"));
    expect(document.getElementById("email-error")?.textContent).toBe("Email is required");
    fireEvent.input(screen.getByLabelText("Email"), { target: { value: "a" } });
    expect(document.getElementById("email-error")?.textContent).toBe("");
  });

  it("a refusal that belongs to a field is said there only: no banner, no toast", async () => {
    const toastSpy = vi.spyOn(toast, "error");
    render(<SignInLike fail={new ApiError(400, "Invalid two-factor code")} />);
    fireEvent.input(screen.getByLabelText("Email"), { target: { value: "ada@example.com" } });
    fireEvent.click(screen.getByText("Go"));
    await waitFor(() => expect(document.getElementById("code-error")?.textContent).toBe("Invalid two-factor code"));
    expect(document.getElementById("form-error")?.textContent).toBe("");
    expect(toastSpy).not.toHaveBeenCalled();
  });

  it("a throttle shows the wait in minutes with a live countdown, and stays while the fields are edited", async () => {
    render(
      <SignInLike fail={new ApiError(429, "Too many attempts. Try again in 15 minutes.", {}, null, { retryAfter: 897, reason: "Too many attempts." })} />,
    );
    fireEvent.input(screen.getByLabelText("Email"), { target: { value: "ada@example.com" } });
    fireEvent.click(screen.getByText("Go"));
    await waitFor(() => expect(document.getElementById("form-error")?.textContent).toMatch(/^Too many attempts\. Try again in 15 minutes\. 14:5[67]$/));
    expect(screen.getByRole("timer")).toBeTruthy();
    fireEvent.input(screen.getByLabelText("Email"), { target: { value: "ada@example.co" } });
    expect(document.getElementById("form-error")?.textContent).toMatch(/Try again in 15 minutes/);
  });
});
