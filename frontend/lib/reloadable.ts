import { useCallback, useEffect, useState } from "react";
import { errorMessage } from "@/lib/api";

/** What a section read from the API: `data` (null until the first answer), the last error, and `reload`. */
export interface Reloadable<T> {
  data: T | null;
  error: string | null;
  /** Reads it again (after a change the section made); the data shown stays until the new answer. */
  reload: () => void;
}

/**
 * Reads `load` when the component appears and again on every `reload()`. A read that is overtaken (a reload, or
 * the component going away) is aborted and its answer or failure ignored; a failure keeps the last data and
 * sets `error` (the API's message), a success clears it. `load` is read when a load starts: it need not be stable.
 */
export function useReloadable<T>(load: (signal: AbortSignal) => Promise<T>): Reloadable<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal)
      .then((value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setError(null);
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setError(errorMessage(err));
      });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- read once, then again on each reload() only
  }, [version]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { data, error, reload };
}
