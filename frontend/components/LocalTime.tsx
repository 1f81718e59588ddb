"use client";

import { useSyncExternalStore } from "react";
import { formatDate, formatDateTime, parseApiDate } from "@/lib/format";

const noSubscription = () => () => {};

/**
 * A timestamp of the API in the viewer's own locale and time zone. The server that renders the page knows
 * neither, so its HTML (and the hydrating render) shows the time in UTC, said so; the browser's own render
 * right after hydration shows local time. (Formatting on both sides would make the texts differ: a
 * hydration error.)
 */
export function LocalTime({ value, dateOnly = false }: { value: string; dateOnly?: boolean }) {
  const inBrowser = useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
  const date = parseApiDate(value);
  if (Number.isNaN(date.getTime())) return <>{value}</>;
  const text = inBrowser
    ? dateOnly
      ? formatDate(value)
      : formatDateTime(value)
    : `${date.toISOString().slice(0, dateOnly ? 10 : 16).replace("T", " ")}${dateOnly ? "" : " UTC"}`;
  return <time dateTime={date.toISOString()}>{text}</time>;
}
