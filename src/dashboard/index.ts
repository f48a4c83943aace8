/**
 * cachekit/dashboard: `dashboard(runtime, { token })`, a Node `http` request handler serving a
 * live, self-contained page (no CDN) and its JSON about a runtime. See docs/observability.md.
 */
export { dashboard, type DashboardOptions, type DashboardHandler, type DashboardData, type DashboardMethod, type DashboardDeadLetter } from './dashboard.js';
export type { LoadPercentiles, ReadBucket } from './rolling-window.js';
