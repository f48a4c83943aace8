/** A value as option errors quote it: strings in quotes, anything else as JSON, with its type (as cachekit's own errors do). */
export function quote(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  if (typeof value === 'bigint') return `${value}n (bigint)`;
  try {
    return `${JSON.stringify(value) ?? String(value)} (${value === null ? 'null' : typeof value})`;
  } catch {
    return `${String(value)} (${typeof value})`;
  }
}
