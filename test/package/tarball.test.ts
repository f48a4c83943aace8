import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './built-package.js';
import { packedTarball } from './packed-tarball.js';

const bin = (name: string) => join(root, 'node_modules', '.bin', name);

describe('the tarball `npm pack` makes from a fresh clone', () => {
  let tarball: string;
  let unpacked: string;
  beforeAll(() => {
    tarball = packedTarball();
    unpacked = mkdtempSync(join(tmpdir(), 'cachekit-unpacked-'));
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
  }, 180_000);
  afterAll(() => rmSync(unpacked, { recursive: true, force: true }));

  it('is built by prepack: dist/ with both entries and their declarations (cachekit and cachekit/nestjs, plus nestjs/package.json for node10 resolution), README, LICENSE, CHANGELOG; no sources, no tests', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort();
    const top = files.filter((f) => !f.startsWith('package/dist/types/'));
    expect(top).toEqual([
      'package/CHANGELOG.md',
      'package/LICENSE',
      'package/README.md',
      'package/dist/THIRD-PARTY-NOTICES.md',
      'package/dist/dashboard.cjs',
      'package/dist/dashboard.cjs.map',
      'package/dist/dashboard.d.cts',
      'package/dist/dashboard.d.mts',
      'package/dist/dashboard.mjs',
      'package/dist/http.cjs',
      'package/dist/http.cjs.map',
      'package/dist/http.d.cts',
      'package/dist/http.d.mts',
      'package/dist/http.mjs',
      'package/dist/index.cjs',
      'package/dist/index.cjs.map',
      'package/dist/index.d.cts',
      'package/dist/index.d.mts',
      'package/dist/index.mjs',
      'package/dist/nestjs.cjs',
      'package/dist/nestjs.cjs.map',
      'package/dist/nestjs.d.cts',
      'package/dist/nestjs.d.mts',
      'package/dist/nestjs.mjs',
      'package/dist/opentelemetry.cjs',
      'package/dist/opentelemetry.cjs.map',
      'package/dist/opentelemetry.d.cts',
      'package/dist/opentelemetry.d.mts',
      'package/dist/opentelemetry.mjs',
      'package/dist/prometheus.cjs',
      'package/dist/prometheus.cjs.map',
      'package/dist/prometheus.d.cts',
      'package/dist/prometheus.d.mts',
      'package/dist/prometheus.mjs',
      'package/dist/testing.cjs',
      'package/dist/testing.cjs.map',
      'package/dist/testing.d.cts',
      'package/dist/testing.d.mts',
      'package/dist/testing.mjs',
      'package/nestjs/package.json',
      'package/package.json',
    ]);
    const types = files.filter((f) => f.startsWith('package/dist/types/'));
    expect(types).toContain('package/dist/types/index.d.ts');
    expect(types).toContain('package/dist/types/package.json');
    expect(types.filter((f) => !f.endsWith('.d.ts') && !f.endsWith('/package.json'))).toEqual([]);
    expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('LICENSE is the MIT license that package.json names', () => {
    const pkg = JSON.parse(readFileSync(join(unpacked, 'package', 'package.json'), 'utf8')) as { license: string };
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(unpacked, 'package', 'LICENSE'), 'utf8').split('\n')[0]).toBe('MIT License');
  });

  it('the source map carries every source it names (nothing points at an unshipped src/)', () => {
    const map = JSON.parse(readFileSync(join(unpacked, 'package', 'dist', 'index.cjs.map'), 'utf8')) as { sources: string[]; sourcesContent: Array<string | null> };
    expect(map.sources.length).toBeGreaterThan(50);
    expect(map.sourcesContent.length).toBe(map.sources.length);
    expect(map.sources.filter((_, i) => typeof map.sourcesContent[i] !== 'string' || map.sourcesContent[i] === '')).toEqual([]);
  });

  it('p-queue is bundled into the CommonJS entry; it requires only the other dependencies, and imports nothing', () => {
    const code = readFileSync(join(unpacked, 'package', 'dist', 'index.cjs'), 'utf8');
    const required = new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!).filter((m) => !m.startsWith('node:')));
    expect([...required].sort()).toEqual(['ioredis', 'ioredis/built/DataHandler.js', 'msgpackr', 'reflect-metadata']);
    expect(code).not.toMatch(/\bimport\(/); // Jest's CommonJS runtime cannot import()
  });

  it('cachekit/testing requires cachekit itself (./index.cjs, one runtime) and Node built-ins only, and lists its exports in the ES module entry', () => {
    const code = readFileSync(join(unpacked, 'package', 'dist', 'testing.cjs'), 'utf8');
    const required = new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!).filter((m) => !m.startsWith('node:')));
    expect([...required]).toEqual(['./index.cjs']);
    const esm = readFileSync(join(unpacked, 'package', 'dist', 'testing.mjs'), 'utf8');
    for (const name of ['createTestCache', 'recordingStore', 'disableCaching', 'runStoreSuite', 'chaosStore']) expect(esm).toContain(`  ${name},`);
    expect(readFileSync(join(unpacked, 'package', 'dist', 'testing.d.cts'), 'utf8')).toBe("export * from './types/testing/index.js';\n");
    expect(execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n')).toContain('package/dist/types/testing/index.d.ts');
  });

  it('publint finds nothing (strict)', () => {
    const run = spawnSync(bin('publint'), ['--strict', tarball], { encoding: 'utf8' });
    expect(run.stdout).toContain('All good!');
    expect(run.status).toBe(0);
  });

  it('@arethetypeswrong/cli finds no problem for node10, node16 (CJS and ESM) and bundler resolution', () => {
    const run = spawnSync(bin('attw'), [tarball, '--format', 'ascii'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(run.stdout).toContain('No problems found');
    expect(run.status).toBe(0);
  });
});
