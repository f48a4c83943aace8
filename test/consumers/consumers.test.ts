/**
 * Every consumer toolchain, on the packed tarball: each project in test/consumers/projects is
 * laid out in a temp dir, installs cachekit from the tarball (npm from the warm cache, or pnpm
 * with its strict layout), builds or runs the shared scenario with its own toolchain and checks
 * what it did (a @Cacheable hit, a @WriteBehind flush, the error class). The projects run in
 * parallel (three at a time) from beforeAll; each test awaits its own.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../package/built-package.js';
import { packedTarball } from '../package/packed-tarball.js';
import { layOut, limited, runSteps, type StepResult } from './consumer-project.js';

const node = process.execPath;
const tsc6 = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const tsc54 = join(root, 'node_modules', 'typescript-5.4', 'bin', 'tsc');
const pnpm = join(root, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
const npmInstall: [string, string[]] = ['npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error']];

/** The report the shared scenario (projects/shared/scenario.ts) prints. */
const REPORT = JSON.stringify({
  first: { id: 'p1', load: 1 },
  second: { id: 'p1', load: 1 },
  loads: 1,
  hits: 1,
  misses: 1,
  rowBeforeFlush: null,
  row: 5,
  writes: 1,
  flushed: 2,
  keyError: 'KeyBuildError E_KEY_BUILD',
  testing: 'miss hit miss, 2 writes',
});

type Steps = Array<[string, string[], Record<string, string>?]>;

// the slowest first: they start at once, the short ones fill the slots around them
const consumers: Record<string, Steps> = {
  typescript: [
    npmInstall,
    [node, [tsc54, '-p', 'tsconfig.standard.json']],
    [node, [tsc54, '-p', 'tsconfig.legacy.json']],
    [node, [tsc6, '-p', 'tsconfig.standard.json']],
    [node, [tsc6, '-p', 'tsconfig.legacy.json']],
  ],
  pnpm: [
    [node, [pnpm, 'install', '--store-dir', join(tmpdir(), 'cachekit-pnpm-store'), '--prefer-offline', '--no-frozen-lockfile', '--reporter=silent']],
    [node, [tsc6, '-p', '.']],
    [node, ['dist/main.js']],
  ],
  'jest-nest': [npmInstall, [node, ['node_modules/jest/bin/jest.js', '--ci', '--verbose'], { EXPECTED_NEST_MAJOR: '11' }]],
  'node-nest12': [npmInstall, [node, [tsc6, '-p', '.']], [node, ['dist/main.js']]],
  'jest-preset': [npmInstall, [node, ['node_modules/jest/bin/jest.js', '--ci']]],
  'node-esm': [npmInstall, [node, [tsc6, '-p', '.']], [node, ['dist/main.js']]],
  'node-cjs': [npmInstall, [node, [tsc6, '-p', '.']], [node, ['dist/main.js']]],
  tsx: [npmInstall, [node, ['node_modules/tsx/dist/cli.mjs', 'src/main.ts']]],
  vitest: [npmInstall, [node, ['node_modules/vitest/vitest.mjs', 'run']]],
  esbuild: [
    npmInstall,
    ['node_modules/.bin/esbuild', ['src/main.ts', '--bundle', '--platform=node', '--target=node20', '--format=cjs', '--outfile=out/bundle.cjs', '--log-level=warning']],
    [node, ['out/bundle.cjs']],
    ['node_modules/.bin/esbuild', ['src/main.ts', '--bundle', '--platform=node', '--target=node20', '--format=esm', '--packages=external', '--outfile=out/bundle.mjs', '--log-level=warning']],
    [node, ['out/bundle.mjs']],
  ],
};

const results = new Map<string, Promise<StepResult[]>>();
const dirs: string[] = [];

/** The steps of a consumer, all of which must have succeeded; a failure shows its command and output. */
async function succeeded(name: string): Promise<StepResult[]> {
  const steps = await results.get(name)!;
  const failed = steps.find((s) => s.code !== 0);
  if (failed) throw new Error(`consumer ${name}: \`${failed.command}\` exited ${failed.code}\n${failed.stdout}\n${failed.stderr}`);
  expect(steps.length).toBe(consumers[name]!.length);
  return steps;
}

const lines = (step: StepResult) => step.stdout.trim().split('\n');
// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

describe('consumers of the packed tarball', () => {
  beforeAll(() => {
    const tarball = packedTarball();
    mkdirSync(join(tmpdir(), 'cachekit-pnpm-store'), { recursive: true });
    const slot = limited<StepResult[]>(3);
    for (const [name, steps] of Object.entries(consumers)) {
      const dir = layOut(name, tarball);
      dirs.push(dir);
      results.set(
        name,
        slot(() => runSteps(dir, steps)),
      );
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(results.values());
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('Jest + ts-jest preset, CommonJS, legacy decorators, the `nest new` Jest config only (p-queue bundled: no "Must use import"); cachekit/nestjs on NestJS 11', async () => {
    const [, jest] = await succeeded('jest-nest');
    expect(jest!.stderr).toMatch(/Tests: {7}5 passed, 5 total/);
    expect(jest!.stderr).toMatch(/CachekitModule configures, injects and closes the runtime \(Nest 11\./);
  }, 600_000);

  it('NestJS 12 (ESM-only): cachekit/nestjs loads from `import`, injects the runtime and closes it on app.close()', async () => {
    const [, , main] = await succeeded('node-nest12');
    expect(lines(main!)).toEqual([
      JSON.stringify({ nest: '12', injected: true, before: null, after: 5, closed: true }),
      expect.stringMatching(/\/node_modules\/cachekit\/dist\/nestjs\.mjs$/),
    ]);
    expect(main!.stderr).toBe('');
  }, 600_000);

  it("Jest with only `preset: 'ts-jest'`, module commonjs, legacy decorators, skipLibCheck false", async () => {
    const [, jest] = await succeeded('jest-preset');
    expect(jest!.stderr).toMatch(/Tests: {7}2 passed, 2 total/);
  }, 600_000);

  it('Node ES modules: `import` resolves dist/index.mjs (standard decorators)', async () => {
    const [, , main] = await succeeded('node-esm');
    expect(lines(main!)).toEqual([REPORT, expect.stringMatching(/\/node_modules\/cachekit\/dist\/index\.mjs$/)]);
    expect(main!.stderr).toBe('');
  }, 600_000);

  it('Node CommonJS: `require` resolves dist/index.cjs (legacy decorators + emitDecoratorMetadata)', async () => {
    const [, , main] = await succeeded('node-cjs');
    expect(lines(main!)).toEqual([REPORT, expect.stringMatching(/\/node_modules\/cachekit\/dist\/index\.cjs$/)]);
    expect(main!.stderr).toBe('');
  }, 600_000);

  it('tsx runs TypeScript against the installed package', async () => {
    const [, main] = await succeeded('tsx');
    expect(lines(main!)).toEqual([REPORT, expect.stringMatching(/\/node_modules\/cachekit\/dist\/index\.mjs$/)]);
  }, 600_000);

  it('Vitest 4 (legacy decorators: Vite 8 lowers no standard ones for Node 20)', async () => {
    const [, vitest] = await succeeded('vitest');
    expect(plain(vitest!.stdout)).toMatch(/Tests +1 passed \(1\)/);
  }, 600_000);

  it('esbuild bundles: everything inlined (CommonJS) and packages external (ESM)', async () => {
    const [, , bundled, , external] = await succeeded('esbuild');
    expect(lines(bundled!)).toEqual([REPORT]);
    expect(lines(external!)).toEqual([REPORT]);
  }, 600_000);

  it("pnpm's strict layout: legacy decorators work without reflect-metadata hoisted; types check with skipLibCheck false", async () => {
    const [, tsc, main] = await succeeded('pnpm');
    expect(tsc!.stdout).toBe('');
    expect(lines(main!)).toEqual([REPORT, JSON.stringify({ hoisted: [] })]);
  }, 600_000);

  it('TypeScript 5.4 and 6.0 check the public types in both decorator modes with skipLibCheck false', async () => {
    const [, ...checks] = await succeeded('typescript');
    expect(checks.map((c) => c.stdout)).toEqual(['', '', '', '']);
  }, 600_000);
});
