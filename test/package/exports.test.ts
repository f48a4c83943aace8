import { execFileSync, spawnSync } from 'node:child_process';
import { ensureBuilt, root } from './built-package.js';

/** Runs a snippet in a fresh Node process from the project root and returns what it printed. */
function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

const probe = `const names = ['configureCache','getCacheRuntime','MemoryStore','Cacheable','WriteThrough','WriteBehind','Invalidate','CacheDefaults','errors'];
  console.log(names.map((n) => n + ':' + typeof ck[n]).join(','));`;
const expected = 'configureCache:function,getCacheRuntime:function,MemoryStore:function,Cacheable:function,WriteThrough:function,WriteBehind:function,Invalidate:function,CacheDefaults:function,errors:object';

describe('the built package', () => {
  beforeAll(ensureBuilt, 120_000);

  it('loads through import', () => {
    expect(node(['--input-type=module', '-e', `import * as ck from 'cachekit'; ${probe}`])).toBe(expected);
  });

  it('loads through require, without a warning', () => {
    const run = spawnSync(process.execPath, ['-e', `const ck = require('cachekit'); ${probe}`], { cwd: root, encoding: 'utf8' });
    expect(run.stdout.trim()).toBe(expected);
    expect(run.stderr).toBe('');
  });

  it('caches through the built decorators (legacy form applied by hand)', () => {
    const script = `const ck = require('cachekit');
      let calls = 0;
      class S { async get(id) { calls++; return id + '!'; } }
      const d = Object.getOwnPropertyDescriptor(S.prototype, 'get');
      Object.defineProperty(S.prototype, 'get', ck.Cacheable({ key: (id) => id })(S.prototype, 'get', d));
      const s = new S();
      (async () => { const a = await s.get('x'); const b = await s.get('x'); console.log(a, b, calls); })();`;
    expect(node(['-e', script])).toBe('x! x! 1');
  });
});
