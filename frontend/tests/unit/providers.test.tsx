// Sign-in with an OpenID Connect provider, in the browser: the buttons, the messages of `?error=`, and the
// two-factor step handed over in the fragment.
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ProviderSignIn } from "@/components/auth/ProviderSignIn";
import { providerErrorMessage, takeProviderMfaToken } from "@/lib/providers";
import { jsonResponse, mockFetch } from "./helpers";

let search = "";
vi.mock("next/navigation", () => ({ useSearchParams: () => new URLSearchParams(search) }));

afterEach(() => {
  cleanup();
  search = "";
  window.history.replaceState(null, "", "/");
});

describe("providerErrorMessage", () => {
  it("says the contract's words for an address the provider did not confirm", () => {
    expect(providerErrorMessage("oidc_unverified_email", "Google")).toBe("Google did not confirm your email address.");
  });

  it.each([
    ["oidc_cancelled", "Signing in with Corp was cancelled."],
    ["oidc_expired", "That sign-in with Corp has expired or was already used. Please start again."],
    ["oidc_unavailable", "Corp cannot be reached right now. Please try again in a few minutes."],
    ["oidc_linked_elsewhere", "That Corp account is already linked to another account here."],
    ["oidc_failed", "Signing in with Corp did not work. Please try again."],
    ["oidc_something_new", "Signing in with Corp did not work. Please try again."],
  ])("%s", (code, message) => expect(providerErrorMessage(code, "Corp")).toBe(message));

  it("shows nothing for what is not a provider flow's code (never the URL's text)", () => {
    expect(providerErrorMessage(null, "Corp")).toBeNull();
    expect(providerErrorMessage("<script>", "Corp")).toBeNull();
    expect(providerErrorMessage("Your account was deleted, call +1 555", "Corp")).toBeNull();
  });
});

describe("takeProviderMfaToken", () => {
  it("reads the token from the fragment once and takes it out of the address", () => {
    const token = "A".repeat(43);
    window.history.replaceState(null, "", `/login?next=/tasks&provider=corp#mfa_token=${token}`);
    expect(takeProviderMfaToken()).toBe(token);
    expect(window.location.hash).toBe("");
    expect(`${window.location.pathname}${window.location.search}`).toBe("/login?next=/tasks&provider=corp");
    expect(takeProviderMfaToken()).toBeNull();
  });

  it("ignores any other fragment", () => {
    for (const hash of ["#top", "#mfa_token=short", `#mfa_token=${"a".repeat(43)}&x=1`]) {
      window.history.replaceState(null, "", `/login${hash}`);
      expect(takeProviderMfaToken()).toBeNull();
      expect(window.location.hash).toBe(hash.startsWith("#") ? hash : "");
    }
  });
});

describe("ProviderSignIn", () => {
  it("shows a 'Continue with' link per provider, to the API's start with next", async () => {
    const fetchMock = mockFetch(() =>
      jsonResponse(200, { providers: [{ id: "google", name: "Google" }, { id: "corp", name: "Corp SSO" }] }),
    );
    render(<ProviderSignIn next="/tasks?filter=pending" />);
    const google = await screen.findByRole("link", { name: "Continue with Google" });
    expect(google.getAttribute("href")).toBe("/api/auth/oidc/google/start?next=%2Ftasks%3Ffilter%3Dpending");
    expect(screen.getByRole("link", { name: "Continue with Corp SSO" }).getAttribute("href")).toBe(
      "/api/auth/oidc/corp/start?next=%2Ftasks%3Ffilter%3Dpending",
    );
    expect(fetchMock.mock.calls[0]![0]).toBe("/api/auth/providers");
  });

  it("shows nothing when no provider is configured", async () => {
    const fetchMock = mockFetch(() => jsonResponse(200, { providers: [] }));
    const { container } = render(<ProviderSignIn next={null} />);
    await waitFor(() => expect(fetchMock).toHaveBeenCalled());
    expect(container.textContent).toBe("");
  });

  it("puts the other ways in without an email after the providers, then one 'or with your email'", async () => {
    mockFetch(() => jsonResponse(200, { providers: [{ id: "corp", name: "Corp SSO" }] }));
    const { container } = render(
      <ProviderSignIn next={null}>
        <button type="button">Sign in with a passkey</button>
      </ProviderSignIn>,
    );
    await screen.findByRole("link", { name: "Continue with Corp SSO" });
    const order = [...container.querySelectorAll("a, button, .auth-divider")].map((el) => el.textContent);
    expect(order).toEqual(["Continue with Corp SSO", "Sign in with a passkey", "or with your email"]);
  });

  it("with no provider, the other ways in still come before 'or with your email'", async () => {
    const fetchMock = mockFetch(() => jsonResponse(200, { providers: [] }));
    const { container } = render(
      <ProviderSignIn next={null}>
        <button type="button">Sign in with a passkey</button>
      </ProviderSignIn>,
    );
    await waitFor(() => expect(fetchMock).toHaveBeenCalled());
    const order = [...container.querySelectorAll("a, button, .auth-divider")].map((el) => el.textContent);
    expect(order).toEqual(["Sign in with a passkey", "or with your email"]);
  });

  it("says why a provider sign-in came back, naming the provider", async () => {
    search = "error=oidc_unverified_email&provider=corp";
    mockFetch(() => jsonResponse(200, { providers: [{ id: "corp", name: "Corp SSO" }] }));
    render(<ProviderSignIn next={null} />);
    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("Corp SSO did not confirm your email address."));
  });
});
