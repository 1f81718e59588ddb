import { describe, expect, it } from "vitest";
import { ApiError } from "@/lib/api";
import { formatCountdown, formatDateTime, formatWait, parseApiDate } from "@/lib/format";
import { splitApiError } from "@/lib/forms";

describe("splitApiError", () => {
  it("puts 422 messages next to the form's own fields", () => {
    const err = new ApiError(422, "Email: not valid", { email: "not valid" });
    expect(splitApiError(err, ["email", "password"])).toEqual({ fieldErrors: { email: "not valid" }, formError: null });
  });

  it("keeps a form-level message when a field is not on the form", () => {
    const err = new ApiError(422, "Name: too long. Email: not valid", { name: "too long", email: "not valid" });
    expect(splitApiError(err, ["email"])).toEqual({
      fieldErrors: { email: "not valid" },
      formError: "Name: too long. Email: not valid",
    });
  });

  it("shows other errors as the form-level message", () => {
    expect(splitApiError(new ApiError(401, "Invalid email or password"), ["email"])).toEqual({
      fieldErrors: {},
      formError: "Invalid email or password",
    });
    expect(splitApiError(new Error("boom"), ["email"]).formError).toBe("boom");
    expect(splitApiError("??", ["email"]).formError).toBe("Something went wrong. Please try again.");
  });
});

describe("dates", () => {
  it("reads our RFC 3339 UTC timestamps", () => {
    expect(parseApiDate("2026-03-01T10:00:00Z").toISOString()).toBe("2026-03-01T10:00:00.000Z");
    expect(parseApiDate("2026-03-01T12:00:00+02:00").toISOString()).toBe("2026-03-01T10:00:00.000Z");
  });

  it("reads the seed's naive timestamps as UTC, not local time", () => {
    expect(parseApiDate("2026-03-01T10:00:00.123456").toISOString()).toBe("2026-03-01T10:00:00.123Z");
  });

  it("formats in the viewer's time zone", () => {
    const expected = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(
      new Date(Date.UTC(2026, 2, 1, 10, 0, 0)),
    );
    expect(formatDateTime("2026-03-01T10:00:00Z")).toBe(expected);
    expect(formatDateTime("not a date")).toBe("not a date");
  });
});

describe("waits", () => {
  it("are said in minutes (rounded up) or hours, never in seconds", () => {
    expect(formatWait(897)).toBe("15 minutes");
    expect(formatWait(900)).toBe("15 minutes");
    expect(formatWait(60)).toBe("1 minute");
    expect(formatWait(61)).toBe("2 minutes");
    expect(formatWait(7)).toBe("1 minute");
    expect(formatWait(0)).toBe("1 minute");
    expect(formatWait(3 * 3600)).toBe("3 hours");
  });

  it("count down as m:ss (h:mm:ss past an hour)", () => {
    expect(formatCountdown(897)).toBe("14:57");
    expect(formatCountdown(7)).toBe("0:07");
    expect(formatCountdown(3723)).toBe("1:02:03");
    expect(formatCountdown(-3)).toBe("0:00");
  });
});
