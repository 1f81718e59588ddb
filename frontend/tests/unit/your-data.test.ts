import { beforeEach, describe, expect, it } from "vitest";
import { describeEvent } from "@/components/account/RecentActivitySection";
import { authApi, dataApi, tasksApi } from "@/lib/api";
import { resetSessionStoreForTests } from "@/lib/auth/storage";
import { jsonResponse, mockFetch } from "./helpers";

beforeEach(() => {
  localStorage.clear();
  resetSessionStoreForTests();
});

describe("your data and your history (issue 28)", () => {
  it("pages the history with limit and before", async () => {
    const fetchMock = mockFetch(() => jsonResponse(200, { events: [] }));
    await dataApi.activity();
    await dataApi.activity({ limit: 11 });
    await dataApi.activity({ limit: 11, before: "42" });
    expect(fetchMock.mock.calls.map(([url]) => url)).toEqual([
      "/api/auth/activity",
      "/api/auth/activity?limit=11",
      "/api/auth/activity?limit=11&before=42",
    ]);
  });

  it("deletes the account with the password, and the code only when there is one", async () => {
    const fetchMock = mockFetch(() => new Response(null, { status: 204 }));
    await dataApi.deleteAccount("pw", null);
    await dataApi.deleteAccount("pw", "123456");
    const bodies = fetchMock.mock.calls.map(([, init]) => [init.method, JSON.parse(String(init.body))]);
    expect(bodies).toEqual([
      ["DELETE", { current_password: "pw" }],
      ["DELETE", { current_password: "pw", code: "123456" }],
    ]);
  });

  it("ends every other session, and a session that ended meanwhile is no failure", async () => {
    const fetchMock = mockFetch((url) => {
      if (url === "/api/auth/sessions") {
        return jsonResponse(200, {
          sessions: [
            { id: "mine", current: true },
            { id: "a", current: false },
            { id: "b", current: false },
          ],
        });
      }
      return url.endsWith("/b") ? jsonResponse(404, { detail: "Session not found" }) : new Response(null, { status: 204 });
    });
    await authApi.endOtherSessions();
    const ended = fetchMock.mock.calls.filter(([, init]) => init.method === "DELETE").map(([url]) => url);
    expect(ended.sort()).toEqual(["/api/auth/sessions/a", "/api/auth/sessions/b"]);
  });

  it("counts the tasks with a page of one", async () => {
    const fetchMock = mockFetch(() => jsonResponse(200, { tasks: [], total: 1234 }));
    expect(await tasksApi.count()).toBe(1234);
    expect(fetchMock.mock.calls[0]![0]).toBe("/api/tasks?limit=1");
  });

  it("names every kind of event, and a new kind by its own words", () => {
    expect(describeEvent("sign_in")).toBe("Signed in");
    expect(describeEvent("sign_in_failed")).toBe("Failed sign-in");
    expect(describeEvent("provider_linked")).toBe("Sign-in provider linked");
    expect(describeEvent("something_new")).toBe("Something new");
    expect(describeEvent("")).toBe("Event");
  });
});
