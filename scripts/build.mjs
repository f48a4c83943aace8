// Builds the published package into dist/ (run by `npm run build` and, through `prepack`, by
// `npm pack` / `npm publish`):
//
//   dist/index.cjs      the whole implementation, one CommonJS bundle (esbuild). The ESM-only
//                       dependencies (p-queue and what it imports) are bundled in, so a CommonJS
//                       loader that cannot require ES modules (Jest's) loads it. The other
//                       dependencies (ioredis, msgpackr, reflect-metadata) stay
//                       `require`d from node_modules.
//   dist/index.mjs      a thin ES module that re-exports index.cjs by name: `import` and
//                       `require` get the same module instance (one runtime, one metadata
//                       registry, one set of error classes).
//   dist/index.d.cts    the declarations for `require`, dist/index.d.mts for `import`; both
//   dist/index.d.mts    re-export dist/types/ (tsc's declarations, one file per source file).
//   dist/index.cjs.map  the source map, with the sources inlined (nothing points at src/).
//   dist/THIRD-PARTY-NOTICES.md  the licenses of the packages bundled into index.cjs.
//   dist/<name>.cjs     each subpath export `cachekit/<name>` of package.json (src/<name>/index.ts),
//   dist/<name>.mjs     bundled the same way, with `cachekit` itself left as a require of
//   dist/<name>.d.?ts   ./index.cjs: a subpath uses the public API and shares the one runtime.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const require = createRequire(import.meta.url);

rmSync(dist, { recursive: true, force: true });

// 1. The implementation: one CommonJS bundle, dependencies external except the bundled ones.
const external = Object.keys(pkg.dependencies)
  .filter((name) => !name.startsWith('@types/'))
  .flatMap((name) => [name, `${name}/*`]);
/** The esbuild settings of every bundle (the main one and each subpath's). */
const bundleOptions = {
  tsconfig: join(root, 'tsconfig.build.json'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  keepNames: true,
  // import() of a dependency becomes require(): a CommonJS loader without ES module support
  // (Jest's) loads it too (ioredis's push handler, src/stores/redis/invalidation-pushes.ts)
  supported: { 'dynamic-import': false },
  sourcemap: true,
  sourcesContent: true,
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
};
const result = await build({
  ...bundleOptions,
  entryPoints: [join(root, 'src', 'index.ts')],
  outfile: join(dist, 'index.cjs'),
  external,
});

// 1b. The subpath exports (`cachekit/<name>` in package.json): src/<name>/index.ts, bundled the
//     same way; `cachekit` (the public API, which subpaths import by name) stays a require of
//     ./index.cjs, and their optional peers (NestJS, Fastify, ...) stay external.
const subpaths = Object.keys(pkg.exports)
  .filter((path) => path.startsWith('./') && path !== './package.json')
  .map((path) => path.slice(2));
const peers = Object.keys(pkg.peerDependencies ?? {}).flatMap((name) => [name, `${name}/*`]);
const selfReference = {
  name: 'cachekit-self-reference',
  setup(plugin) {
    plugin.onResolve({ filter: /^cachekit$/ }, () => ({ path: './index.cjs', external: true }));
    // another subpath (cachekit/nestjs builds on cachekit/http): its own bundle, required
    plugin.onResolve({ filter: /^cachekit\/[a-z-]+$/ }, (args) => ({ path: `./${args.path.slice('cachekit/'.length)}.cjs`, external: true }));
  },
};
for (const name of subpaths) {
  const entry = join(root, 'src', name, 'index.ts');
  if (!existsSync(entry)) throw new Error(`build: package.json exports ./${name}, but ${relative(root, entry)} is missing`);
  const sub = await build({
    ...bundleOptions,
    entryPoints: [entry],
    outfile: join(dist, `${name}.cjs`),
    external: [...external, ...peers],
    plugins: [selfReference],
  });
  const inputs = Object.keys(sub.metafile.inputs).filter((input) => !input.startsWith(`src/${name}/`) && !input.includes('node_modules'));
  if (inputs.length) throw new Error(`build: cachekit/${name} reaches into ${inputs.join(', ')}: a subpath imports the public API by name ('cachekit', 'cachekit/<other>')`);
}

// 2. The ES module entries: each CommonJS bundle's exports, by name.
const esmEntry = (file, what) => {
  const exported = Object.keys(require(join(dist, `${file}.cjs`))).filter((n) => n !== 'default' && n !== '__esModule').sort();
  writeFileSync(
    join(dist, `${file}.mjs`),
    [
      `// The ES module entry of ${what}: the CommonJS implementation (${file}.cjs) re-exported by name,`,
      '// so that `import` and `require` share one module instance.',
      `import implementation from './${file}.cjs';`,
      '',
      `export const {\n${exported.map((n) => `  ${n},`).join('\n')}\n} = implementation;`,
      '',
    ].join('\n'),
  );
  return exported;
};
const names = esmEntry('index', 'cachekit');
for (const name of subpaths) esmEntry(name, `cachekit/${name}`);

// 3. Declarations: tsc's per-file .d.ts under dist/types (CommonJS format, like index.cjs), and
//    one entry per condition.
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
writeFileSync(join(dist, 'types', 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
const typesEntry = "export * from './types/index.js';\n";
writeFileSync(join(dist, 'index.d.cts'), typesEntry);
writeFileSync(join(dist, 'index.d.mts'), typesEntry);
for (const name of subpaths) {
  writeFileSync(join(dist, `${name}.d.cts`), `export * from './types/${name}/index.js';\n`);
  writeFileSync(join(dist, `${name}.d.mts`), `export * from './types/${name}/index.js';\n`);
}

// 4. Licenses of what was bundled in.
const bundled = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match) bundled.set(match[1], join(root, input.slice(0, match.index), 'node_modules', match[1]));
}
const notices = ['# Third-party notices', '', 'dist/index.cjs bundles these packages (their licenses follow).', ''];
for (const [name, dir] of [...bundled].sort()) {
  const { version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  notices.push(`## ${name} ${version} (${license})`, '', file ? readFileSync(join(dir, file), 'utf8').trim() : '(no license file)', '');
}
writeFileSync(join(dist, 'THIRD-PARTY-NOTICES.md'), notices.join('\n'));

if (!existsSync(join(dist, 'types', 'index.d.ts'))) throw new Error('build: dist/types/index.d.ts missing');
mkdirSync(dist, { recursive: true });
console.log(
  `built ${relative(root, dist)}/: index.cjs (bundled: ${[...bundled.keys()].join(', ') || 'nothing'}), index.mjs (${names.length} exports), ${subpaths.map((n) => `${n}.cjs, `).join('')}types/`,
);
