/** Options of the invalidation bus of a `TieredStore`. */
export interface InvalidationBusOptions {
  /** The Redis pub/sub channel every instance of the application shares. @default 'cachekit:invalidation' */
  channel?: string;
}
