import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** The ```ts blocks of the README's "Testing code that uses cachekit" section. */
function readmeSnippets(): string[] {
  const readme = read('README.md');
  const start = readme.indexOf('## Testing code that uses cachekit');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```ts\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
}

describe('README "Testing code that uses cachekit"', () => {
  it('shows the Jest and Vitest examples exactly as samples/testing/ has them', () => {
    expect(readmeSnippets()).toEqual([
      read('samples/testing/product-service.jest.ts').trimEnd(),
      read('samples/testing/product-service.vitest.ts').trimEnd(),
    ]);
  });

  it('its Vitest example passes under Vitest 4', () => {
    const run = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'samples/testing/vitest.config.mts'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', CI: 'true' },
    });
    expect(run.stdout + run.stderr).toMatch(/Tests {2}2 passed \(2\)/);
    expect(run.status).toBe(0);
  }, 120_000);
});

// The Jest example, run here by this repository's Jest
describe('README Jest example (samples/testing/product-service.jest.ts)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- registers the example's tests inside this describe
  require('../../samples/testing/product-service.jest');
});
