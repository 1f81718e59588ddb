import { describe, expect, it } from "vitest";
import { loginUrl, postLoginPath, sanitizeNext } from "@/lib/navigation";

describe("sanitizeNext", () => {
  it.each([
    ["/tasks", "/tasks"],
    ["/tasks?filter=pending", "/tasks?filter=pending"],
    ["/account#password", "/account#password"],
    ["/a/../tasks", "/tasks"],
  ])("keeps the same-origin path %s", (input, expected) => {
    expect(sanitizeNext(input)).toBe(expected);
  });

  it.each([
    ["absolute https URL", "https://evil.example/tasks"],
    ["absolute http URL", "http://evil.example"],
    ["protocol-relative URL", "//evil.example/tasks"],
    ["backslash trick", "/\\evil.example"],
    ["backslash-only trick", "\\\\evil.example"],
    ["tab trick", "/\t/evil.example"],
    ["newline trick", "/\n/evil.example"],
    ["javascript: URL", "javascript:alert(1)"],
    ["relative path", "tasks"],
    ["empty", ""],
  ])("refuses a %s", (_label, input) => {
    expect(sanitizeNext(input)).toBeNull();
  });

  it("refuses non-strings", () => {
    expect(sanitizeNext(null)).toBeNull();
    expect(sanitizeNext(undefined)).toBeNull();
    expect(sanitizeNext(42)).toBeNull();
  });
});

describe("postLoginPath", () => {
  it("goes to a safe next", () => expect(postLoginPath("/tasks?filter=completed")).toBe("/tasks?filter=completed"));
  it("falls back to /tasks for an unsafe next", () => expect(postLoginPath("//evil.example")).toBe("/tasks"));
  it("falls back to /tasks without a next", () => expect(postLoginPath(null)).toBe("/tasks"));
  it("never loops back to an auth page", () => {
    expect(postLoginPath("/login?next=/tasks")).toBe("/tasks");
    expect(postLoginPath("/register")).toBe("/tasks");
  });
});

describe("loginUrl", () => {
  it("keeps the current path readable", () => expect(loginUrl("/tasks")).toBe("/login?next=/tasks"));
  it("encodes the query of the current path", () =>
    expect(loginUrl("/tasks?filter=pending")).toBe("/login?next=/tasks%3Ffilter%3Dpending"));
  it("leaves out / and auth pages", () => {
    expect(loginUrl("/")).toBe("/login");
    expect(loginUrl("/login?next=/tasks")).toBe("/login");
  });
  it("leaves out unsafe paths", () => expect(loginUrl("//evil.example")).toBe("/login"));
});
