// useReloadable (lib/reloadable.ts): what the /account sections read from the API, read again on reload().
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "@/lib/api";
import { useReloadable } from "@/lib/reloadable";

afterEach(cleanup);

/** A load whose answers the test gives by hand, one per call, in any order. */
function deferredLoads<T>() {
  const calls: { signal: AbortSignal; resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  const load = vi.fn(
    (signal: AbortSignal) =>
      new Promise<T>((resolve, reject) => {
        calls.push({ signal, resolve, reject });
      }),
  );
  const at = (i: number) => {
    const call = calls[i];
    if (!call) throw new Error(`no read number ${i}`);
    return call;
  };
  return { load, calls, at };
}

describe("useReloadable", () => {
  it("reads once when it appears, and again on each reload()", async () => {
    const { load, at } = deferredLoads<number>();
    const { result } = renderHook(() => useReloadable(load));
    expect(result.current.data).toBeNull();
    expect(load).toHaveBeenCalledTimes(1);
    await act(async () => at(0).resolve(1));
    expect(result.current).toMatchObject({ data: 1, error: null });

    act(() => result.current.reload());
    expect(load).toHaveBeenCalledTimes(2);
    expect(result.current.data).toBe(1); // what was read stays until the new answer
    await act(async () => at(1).resolve(2));
    expect(result.current.data).toBe(2);
  });

  it("a failure keeps the last data and says the API's message; the next success clears it", async () => {
    const { load, at } = deferredLoads<string>();
    const { result } = renderHook(() => useReloadable(load));
    await act(async () => at(0).resolve("first"));
    act(() => result.current.reload());
    await act(async () => at(1).reject(new ApiError(503, "The service is unavailable")));
    expect(result.current).toMatchObject({ data: "first", error: "The service is unavailable" });
    act(() => result.current.reload());
    await act(async () => at(2).resolve("again"));
    expect(result.current).toMatchObject({ data: "again", error: null });
  });

  it("an overtaken read is aborted and its late answer or failure ignored", async () => {
    const { load, calls, at } = deferredLoads<string>();
    const { result } = renderHook(() => useReloadable(load));
    act(() => result.current.reload());
    act(() => result.current.reload());
    expect(calls.map((c) => c.signal.aborted)).toEqual([true, true, false]);
    await act(async () => at(2).resolve("new"));
    await act(async () => at(0).resolve("stale"));
    await act(async () => at(1).reject(new Error("late failure of an old read")));
    expect(result.current).toMatchObject({ data: "new", error: null });
  });

  it("stops reading when the component goes away", async () => {
    const { load, at } = deferredLoads<string>();
    const { unmount } = renderHook(() => useReloadable(load));
    unmount();
    expect(at(0).signal.aborted).toBe(true);
    await waitFor(() => expect(load).toHaveBeenCalledTimes(1));
  });
});
