/**
 * `dashboard(runtime, { token })`: a Node `http` request handler serving a live page and its JSON
 * (`data.json`) about a runtime: per method hit rate over the last minutes, hits/misses/stale/
 * errors and loader p50/p99; per store breaker and tracking state; per write-behind method its
 * queue and dead letters. Never a cached value.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CacheRuntime, MethodLabels, StoreState } from 'cachekit';
import { dashboardPage, DASHBOARD_SCRIPT } from './page.js';
import { RollingWindow, type LoadPercentiles, type ReadBucket } from './rolling-window.js';

/** Options of {@link dashboard}. */
export interface DashboardOptions {
  /**
   * The secret a request must present, as `Authorization: Bearer <token>` or `?token=<token>`
   * (compared in constant time). Required unless `open: true`.
   */
  readonly token?: string;
  /** Serve without a token (a dashboard on a trusted network only). Default false. */
  readonly open?: boolean;
  /** Show the keys of dead-lettered writes (they may hold arguments); redacted otherwise. Default false. */
  readonly showDeadLetterKeys?: boolean;
  /** Other origins allowed to call the dashboard (e.g. `'https://ops.example.com'`); its own host always is. */
  readonly allowedOrigins?: readonly string[];
  /** How often the page polls `data.json`, in ms. Default 2000. */
  readonly refreshMs?: number;
  /** Width of one bucket of the hit-rate chart, in ms. Default 10 000 (10 s). */
  readonly bucketMs?: number;
  /** How far back the chart and the loader percentiles go, in ms. Default 600 000 (10 minutes). */
  readonly windowMs?: number;
  /** Dead letters kept for display (the most recent). Default 20. */
  readonly maxDeadLetters?: number;
  /** The clock, ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
}

/** One method as `data.json` shows it. */
export interface DashboardMethod {
  readonly method: string;
  readonly labels: MethodLabels | null;
  /** Since start (or the last `resetStats`). */
  readonly hits: number;
  readonly misses: number;
  readonly stale: number;
  readonly errors: number;
  readonly hitRate: number;
  /** Loader durations over the window; `null` before any load. */
  readonly load: LoadPercentiles | null;
  /** Hits and misses per bucket over the window, oldest first. */
  readonly series: readonly ReadBucket[];
}

/** A dead-lettered write as `data.json` shows it: the key only with `showDeadLetterKeys`. */
export interface DashboardDeadLetter {
  readonly at: number;
  readonly method: string;
  /** The key, or `'[redacted]'`. */
  readonly key: string;
  /** The error's class name (never its message, which may quote arguments). */
  readonly error: string;
}

/** What `data.json` returns. */
export interface DashboardData {
  readonly generatedAt: number;
  readonly bucketMs: number;
  readonly windowMs: number;
  readonly methods: readonly DashboardMethod[];
  readonly stores: readonly StoreState[];
  readonly writeBehind: ReadonlyArray<{
    readonly method: string;
    readonly pending: number;
    readonly inFlight: number;
    readonly oldestPendingAgeMs: number;
    readonly retries: number;
    readonly deadLetters: number;
  }>;
  /** The most recent dead letters (up to `maxDeadLetters`), newest first. */
  readonly recentDeadLetters: readonly DashboardDeadLetter[];
}

/**
 * The handler {@link dashboard} returns: `(req, res, next?)`, for `http.createServer`, Express
 * (`app.use('/cachekit', handler)`), NestJS (`app.use(...)`) and Fastify (`reply.hijack()` then
 * `handler(request.raw, reply.raw)`). Serves `data.json` (a path ending in `/data.json`) and the
 * page (any other GET).
 */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** The data the JSON endpoint serves, right now. */
  data(): DashboardData;
  /** Stops listening to the runtime's events. */
  close(): void;
}

const REDACTED = '[redacted]';

/**
 * Builds the dashboard of `runtime`. It listens to the runtime's `hit`, `miss`, `load` and
 * `deadLetter` events from now on; call `close()` to stop.
 * @throws TypeError naming `options.token` when no token is given and `open` is not true
 */
export function dashboard(runtime: CacheRuntime, options: DashboardOptions = {}): DashboardHandler {
  const token = options.token;
  if (options.open !== true && (typeof token !== 'string' || token.length === 0)) {
    throw new TypeError(`dashboard: options.token must be a non-empty string (or set open: true to serve without one); got ${token === undefined ? 'undefined' : JSON.stringify(token)}`);
  }
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new TypeError(`dashboard: options.${name} must be a positive number; got ${String(value)}`);
    return value;
  };
  const refreshMs = positive('refreshMs', options.refreshMs, 2_000);
  const bucketMs = positive('bucketMs', options.bucketMs, 10_000);
  const windowMs = positive('windowMs', options.windowMs, 600_000);
  const maxDeadLetters = positive('maxDeadLetters', options.maxDeadLetters, 20);
  const now = options.now ?? Date.now;
  const expected = token === undefined || token === '' ? undefined : createHash('sha256').update(token).digest();
  const allowedOrigins = new Set(options.allowedOrigins ?? []);

  const window = new RollingWindow(bucketMs, windowMs, now);
  const deadLetters: DashboardDeadLetter[] = [];
  const unsubscribe = [
    runtime.on('hit', (e) => window.read(e.method, true)),
    runtime.on('miss', (e) => window.read(e.method, false)),
    runtime.on('load', (e) => window.load(e.method, e.durationMs)),
    runtime.on('deadLetter', (e) => {
      const error = e.error instanceof Error ? e.error.name : typeof e.error;
      deadLetters.unshift({ at: now(), method: e.method, key: options.showDeadLetterKeys === true ? e.key : REDACTED, error });
      if (deadLetters.length > maxDeadLetters) deadLetters.length = maxDeadLetters;
    }),
  ];

  const data = (): DashboardData => {
    const inspection = runtime.inspect();
    const seen = new Set(inspection.methods.map((m) => m.method));
    const methods: DashboardMethod[] = inspection.methods.map(({ method, labels, stats }) => ({
      method,
      labels: labels ?? null,
      hits: stats.hits,
      misses: stats.misses,
      stale: stats.stale,
      errors: stats.errors,
      hitRate: stats.hitRate,
      load: window.percentiles(method),
      series: window.series(method),
    }));
    for (const method of window.names()) {
      if (!seen.has(method)) methods.push({ method, labels: null, hits: 0, misses: 0, stale: 0, errors: 0, hitRate: 0, load: window.percentiles(method), series: window.series(method) });
    }
    return {
      generatedAt: now(),
      bucketMs,
      windowMs,
      methods,
      stores: inspection.stores,
      writeBehind: inspection.writeBehind.map((q) => ({ method: q.method, pending: q.pending, inFlight: q.inFlight, oldestPendingAgeMs: q.oldestPendingAgeMs, retries: q.retries, deadLetters: q.deadLetters })),
      recentDeadLetters: deadLetters.slice(),
    };
  };

  const authorized = (req: IncomingMessage, url: URL): boolean => {
    if (!expected) return true;
    const header = req.headers.authorization;
    const presented = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : url.searchParams.get('token');
    if (presented === null || presented === undefined) return false;
    // both sides hashed to 32 bytes: equal lengths, and the compare does not leak the token's length
    return timingSafeEqual(createHash('sha256').update(presented).digest(), expected);
  };

  const sameOrigin = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) {
      // no Origin (a browser's same-origin GET, or a tool): refuse a script's request from another
      // site all the same; following a link to the page is a navigation and stays allowed
      const site = req.headers['sec-fetch-site'];
      return (site !== 'cross-site' && site !== 'same-site') || req.headers['sec-fetch-mode'] === 'navigate';
    }
    if (allowedOrigins.has(origin)) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  };

  const send = (res: ServerResponse, status: number, type: string, body: string, head: boolean): void => {
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'content-security-policy': `default-src 'none'; script-src '${scriptHash}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
    });
    res.end(head ? undefined : body);
  };

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => {
    try {
      const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
      const head = req.method === 'HEAD';
      if (!sameOrigin(req)) return send(res, 403, 'text/plain; charset=utf-8', 'cachekit dashboard: cross-origin request refused\n', head);
      if (req.method !== 'GET' && !head) {
        res.setHeader('allow', 'GET, HEAD');
        return send(res, 405, 'text/plain; charset=utf-8', 'cachekit dashboard: GET only\n', head);
      }
      if (!authorized(req, url)) {
        res.setHeader('www-authenticate', 'Bearer realm="cachekit dashboard"');
        return send(res, 401, 'text/plain; charset=utf-8', 'cachekit dashboard: token required (Authorization: Bearer <token> or ?token=<token>)\n', head);
      }
      if (url.pathname.endsWith('/data.json')) return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(data()), head);
      return send(res, 200, 'text/html; charset=utf-8', page, head);
    } catch (error) {
      if (next) next(error);
      else if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'cachekit dashboard: internal error\n', false);
    }
  }) as DashboardHandler;
  const page = dashboardPage({ refreshMs });
  const scriptHash = `sha256-${createHash('sha256').update(DASHBOARD_SCRIPT).digest('base64')}`;
  handler.data = data;
  handler.close = () => {
    for (const off of unsubscribe.splice(0)) off();
  };
  return handler;
}
