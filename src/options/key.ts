/** A key option: a function of the method's arguments, or a template such as `'user:{0}'` or `'{0.id}'`. */
export type KeyOption<A extends unknown[] = any[]> = ((...args: A) => KeyPart | readonly KeyPart[]) | string;

/** What a key function may return: one key, or (for `@Invalidate`) several. */
export type KeyPart = string | number;
