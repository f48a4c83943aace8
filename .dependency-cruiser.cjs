/**
 * Layers of src/ (checked by `npm run lint`):
 *
 *   index.ts  ->  decorators/  ->  runtime/  ->  write-behind/  ->  stores/
 *                                      \______________________________^
 *   and every layer  ->  options/ (types only)  ->  shared top-level modules
 *
 * stores/ holds one folder per backend (memory/, redis/, tiered/: tiered builds on the other
 * two), generic structures (structures/), and the key layout, generations and freshness rule
 * every layer shares (at its root). memory/ and redis/ never import each other.
 *
 * Subpath exports (`cachekit/<name>`, in src/<name>/) use the public API only: they import
 * 'cachekit' (src/index.ts) and their own folder.
 *
 * Shared top-level modules (cache-store.ts, defaults.ts, duration.ts, errors.ts, serializer.ts,
 * ...) import no folder. Only index.ts imports decorators/. No module cycles at all.
 */
/* global module */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'subpaths-use-the-public-api',
      severity: 'error',
      comment:
        "A subpath export (src/<name>/index.ts for `cachekit/<name>`: testing, http, nestjs, ...) imports cachekit by name ('cachekit', i.e. src/index.ts; another subpath as 'cachekit/<other>', its index.ts) and its own folder, never another module of src/: it is bundled apart and must share the one runtime.",
      from: { path: '^src/(testing|http|nestjs|opentelemetry|prometheus|dashboard)/' },
      to: { path: '^src/', pathNot: ['^src/index\\.ts$', '^src/$1/', '^src/(testing|http|nestjs|opentelemetry|prometheus|dashboard)/index\\.ts$'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycle, type-only imports included.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'decorators-only-from-index',
      severity: 'error',
      comment: 'Decorators sit on top: only src/index.ts (and decorators/ itself) import them.',
      from: { path: '^src/', pathNot: ['^src/index\\.ts$', '^src/decorators/'] },
      to: { path: '^src/decorators/' },
    },
    {
      name: 'runtime-below-decorators',
      severity: 'error',
      comment: 'runtime/ may import write-behind/, stores/, options/ and shared modules; nothing above it.',
      from: { path: '^src/runtime/' },
      to: { path: ['^src/decorators/', '^src/index\\.ts$'] },
    },
    {
      name: 'write-behind-below-runtime',
      severity: 'error',
      comment: 'write-behind/ sits beside stores/: it may import stores/, options/ and shared modules, never runtime/ or above.',
      from: { path: '^src/write-behind/' },
      to: { path: ['^src/runtime/', '^src/decorators/', '^src/index\\.ts$'] },
    },
    {
      name: 'stores-at-the-bottom',
      severity: 'error',
      comment: 'stores/ imports only stores/, options/ and shared modules.',
      from: { path: '^src/stores/' },
      to: { path: ['^src/runtime/', '^src/decorators/', '^src/write-behind/', '^src/index\\.ts$'] },
    },
    {
      name: 'memory-store-alone',
      severity: 'error',
      comment: 'stores/memory/ is one backend: it imports no other backend (redis/, tiered/).',
      from: { path: '^src/stores/memory/' },
      to: { path: ['^src/stores/redis/', '^src/stores/tiered/'] },
    },
    {
      name: 'redis-store-alone',
      severity: 'error',
      comment: 'stores/redis/ is one backend: it imports no other backend (memory/, tiered/).',
      from: { path: '^src/stores/redis/' },
      to: { path: ['^src/stores/memory/', '^src/stores/tiered/'] },
    },
    {
      name: 'structures-are-generic',
      severity: 'error',
      comment: 'stores/structures/ holds data structures any layer may use: they import no store and no layer.',
      from: { path: '^src/stores/structures/' },
      to: { path: ['^src/stores/(?!structures/)', '^src/runtime/', '^src/decorators/', '^src/write-behind/', '^src/index\\.ts$'] },
    },
    {
      name: 'options-are-a-leaf',
      severity: 'error',
      comment: 'options/ holds types only: it imports other option types and shared modules, never a layer.',
      from: { path: '^src/options/' },
      to: { path: ['^src/runtime/', '^src/decorators/', '^src/write-behind/', '^src/stores/', '^src/index\\.ts$'] },
    },
    {
      name: 'options-import-types-only',
      severity: 'error',
      comment: 'options/ is types only: every import in it is `import type` (or `export type`).',
      from: { path: '^src/options/' },
      to: { dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'shared-modules-import-no-layer',
      severity: 'error',
      comment: 'Top-level modules other than index.ts are shared by every layer, so they import none.',
      from: { path: '^src/[^/]+\\.ts$', pathNot: '^src/index\\.ts$' },
      to: { path: ['^src/runtime/', '^src/decorators/', '^src/write-behind/', '^src/stores/', '^src/index\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
