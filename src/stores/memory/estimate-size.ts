/**
 * A cheap estimate of a value's size in bytes, for MemoryStore's `maxBytes`: strings count
 * two bytes a character, numbers eight, objects the sum of their keys and values. Shared
 * references are counted once; cycles end the walk.
 */
export function estimateSize(value: unknown): number {
  const seen = new Set<object>();
  const walk = (v: unknown): number => {
    switch (typeof v) {
      case 'string':
        return 2 * v.length + 8;
      case 'number':
      case 'bigint':
        return 8;
      case 'boolean':
      case 'undefined':
        return 4;
      case 'object': {
        if (v === null) return 4;
        if (seen.has(v)) return 0;
        seen.add(v);
        if (ArrayBuffer.isView(v)) return v.byteLength + 16;
        if (v instanceof Date) return 16;
        let size = 16;
        if (v instanceof Map) for (const [k, x] of v) size += walk(k) + walk(x);
        else if (v instanceof Set || Array.isArray(v)) for (const x of v as Iterable<unknown>) size += walk(x);
        else for (const k of Object.keys(v)) size += 2 * k.length + walk((v as Record<string, unknown>)[k]);
        return size;
      }
      default:
        return 8;
    }
  };
  return walk(value);
}
