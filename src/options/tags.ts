/** Tags of an entry: fixed, or computed from the call's arguments. */
export type TagsOption = readonly string[] | ((...args: any[]) => readonly string[]);
