import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ensureBuilt, root } from './built-package.js';

const fixture = join(__dirname, 'fixtures', 'dual-load.mjs');

/** Runs the dual-load fixture in a fresh Node process (from the root: `cachekit` is the built package) and parses its report. */
function dualLoad(...args: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync(process.execPath, [fixture, ...args], { cwd: root, encoding: 'utf8' })) as Record<string, unknown>;
}

const sharesTheRuntime = {
  seesRuntime: true,
  values: ['x!', 'x!'],
  loads: 1,
  hits: 1,
  rowBeforeFlush: null,
  row: 1,
  flushed: 1,
  keyErrorCode: 'E_KEY_BUILD',
};

describe('one runtime per process', () => {
  beforeAll(ensureBuilt, 120_000);

  it('import and require get one module: configureCache through import is what decorators loaded by require use', () => {
    expect(dualLoad()).toEqual({ sameModule: true, cjs: { ...sharesTheRuntime, keyErrorIsEsmClass: true } });
  });

  it('a second copy of the package shares the runtime through the Symbol.for registry (hit, write-behind flush)', () => {
    // another install of the same build at another path: its own module instance, its own classes
    const copy = join(root, 'node_modules', `.cachekit-copy-${randomBytes(4).toString('hex')}`);
    mkdirSync(copy);
    try {
      cpSync(join(root, 'dist'), join(copy, 'dist'), { recursive: true });
      cpSync(join(root, 'package.json'), join(copy, 'package.json'));
      expect(dualLoad(copy)).toEqual({
        sameModule: true,
        cjs: { ...sharesTheRuntime, keyErrorIsEsmClass: true },
        // a copy has error classes of its own: compare `code` across copies
        copy: { ...sharesTheRuntime, keyErrorIsEsmClass: false },
      });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
