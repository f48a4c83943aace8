import { createHash } from 'node:crypto';

/**
 * How full keys are laid out, shared by the key builder (runtime/keys.ts), the stores that
 * recognize version counters and locks (RedisStore, its version mirror) and the write-behind
 * journal's stream names.
 *
 * Layout: `prefix:namespace:key` for entries, `prefix#n:namespace` for namespace versions,
 * `prefix#t:tag` for tag versions and `prefix#l:namespace:key` for distributed miss locks. `%`, `:`, `#` are percent-escaped in the prefix and the
 * namespace, so no namespace can produce another one's keys. A key longer than
 * {@link MAX_KEY_LENGTH} is replaced by its SHA-256 as `prefix:namespace#<hash>`, which no
 * plain key can equal (plain keys follow a `:`).
 */

/** Key parts longer than this many characters are hashed. */
export const MAX_KEY_LENGTH = 200;

/** Escapes a prefix or namespace so it cannot contain the separators. */
export function escapeSegment(segment: string): string {
  return /[%:#]/.test(segment) ? segment.replace(/[%:#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : segment;
}

/** The start of every entry key of a namespace: `prefix:namespace`. */
export function namespaceBase(prefix: string, namespace: string): string {
  return `${escapeSegment(prefix)}:${escapeSegment(namespace)}`;
}

/** What every (unhashed) entry key of a namespace starts with: its base and `:` (the scope of `key-parts.ts`). */
export function entryScope(base: string): string {
  return `${base}:`;
}

/** The full key of an entry from its namespace base and key part. */
export function entryKey(base: string, key: string): string {
  if (key.length > MAX_KEY_LENGTH) return `${base}#${createHash('sha256').update(key).digest('base64url')}`;
  const full = `${base}:${key}`;
  // A concatenation is a rope; reading a character flattens it once here, so the store's map
  // hashes and compares a flat string (a rope key makes a memory hit ~40% slower).
  return full.charCodeAt(0) === -1 ? key : full;
}

/** What follows the escaped prefix in a namespace version key. */
const NAMESPACE_VERSION = '#n:';
/** What follows the escaped prefix in a tag version key. */
const TAG_VERSION = '#t:';
/** What follows the escaped prefix in version counter keys: namespace versions, then tag versions. */
export const VERSION_KEY_MARKERS: readonly string[] = [NAMESPACE_VERSION, TAG_VERSION];

/** What follows the escaped prefix in the key of a distributed miss lock. */
export const LOCK_KEY_MARKER = '#l:';

/**
 * The key of the distributed lock of an entry: `prefix#l:` and what follows the prefix in the
 * entry's key. The escaped prefix has no `:` nor `#`, so the entry's first `:` ends it, and
 * no entry key (`prefix:...`) or version key (`prefix#n:`, `prefix#t:`) can equal a lock key.
 */
export function lockKey(entryKey: string): string {
  const at = entryKey.indexOf(':');
  return at < 0 ? `${LOCK_KEY_MARKER}${entryKey}` : `${entryKey.slice(0, at)}${LOCK_KEY_MARKER}${entryKey.slice(at + 1)}`;
}

/** The counter that versions a namespace. */
export function namespaceVersionKey(prefix: string, namespace: string): string {
  return `${escapeSegment(prefix)}${NAMESPACE_VERSION}${escapeSegment(namespace)}`;
}

/**
 * The counter that versions the namespace of an entry key (`prefix:namespace:key` or
 * `prefix:namespace#hash`): bumping it invalidates that entry with the rest of its namespace.
 * The escaped prefix and namespace contain no `:` nor `#`, so the first `:` and the next `:`
 * or `#` bound them. @returns undefined for a key that is not an entry key
 */
export function namespaceVersionKeyOf(entryKey: string): string | undefined {
  const start = entryKey.indexOf(':');
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < entryKey.length && entryKey[end] !== ':' && entryKey[end] !== '#') end++;
  if (end === entryKey.length) return undefined;
  return `${entryKey.slice(0, start)}${NAMESPACE_VERSION}${entryKey.slice(start + 1, end)}`;
}

/** The counter that versions a tag. */
export function tagVersionKey(prefix: string, tag: string): string {
  return `${escapeSegment(prefix)}${TAG_VERSION}${tag}`;
}

/** The escaped prefix of a version counter key (what precedes its marker), or undefined for any other key. */
export function versionKeyScope(key: string): string | undefined {
  const at = key.indexOf('#');
  // an escaped prefix has no ':', so a '#' after a ':' belongs to an entry's key part
  if (at <= 0 || key.lastIndexOf(':', at) !== -1) return undefined;
  return key.startsWith(NAMESPACE_VERSION, at) || key.startsWith(TAG_VERSION, at) ? key.slice(0, at) : undefined;
}
