/**
 * API timestamps are UTC. Ours end in "Z"; the seed's are naive ("2024-01-01T10:00:00.123"), which a
 * browser would read as local time, so a missing offset is taken to mean UTC.
 */
export function parseApiDate(value: string): Date {
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value.trim());
  return new Date(hasZone ? value : `${value}Z`);
}

/** A date in the viewer's own locale and time zone. */
export function formatDateTime(value: string): string {
  const date = parseApiDate(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(date);
}

export function formatDate(value: string): string {
  const date = parseApiDate(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(undefined, { dateStyle: "long" }).format(date);
}
