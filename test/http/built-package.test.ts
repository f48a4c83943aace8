/** cachekit/http and cachekit/nestjs as published: built, loaded by name, sharing cachekit's one runtime. */
import { execFileSync } from 'node:child_process';
import { ensureBuilt, root } from '../package/built-package.js';

const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

// a plain node:http server behind the built middleware, on 127.0.0.1; prints x-cache of two GETs and the runtime's stats of the namespace
const serve = (load: string) => `${load}
  const http = require('node:http');
  const runtime = configureCache({ ttl: '1m' });
  let n = 0;
  const mw = cacheMiddleware({ namespace: 'built' });
  const server = http.createServer((req, res) => mw(req, res, () => { res.setHeader('content-type', 'text/plain'); res.end('n=' + ++n); }));
  server.listen(0, '127.0.0.1', async () => {
    const url = 'http://127.0.0.1:' + server.address().port + '/x';
    const a = await fetch(url); const b = await fetch(url);
    const s = runtime.stats().methods['cache(built)'];
    console.log(a.headers.get('x-cache'), await a.text(), b.headers.get('x-cache'), await b.text(), s.hits, s.misses);
    server.close(); await runtime.close();
  });`;

describe('the built cachekit/http and cachekit/nestjs', () => {
  beforeAll(ensureBuilt, 120_000);

  it('cachekit/http loads through require and caches on the runtime configureCache made', () => {
    expect(node(['-e', serve("const { configureCache } = require('cachekit'); const { cacheMiddleware } = require('cachekit/http');")])).toBe('miss n=1 hit n=1 1 1');
  });

  it('cachekit/http loads through import, on the same runtime', () => {
    const script = serve("import { configureCache } from 'cachekit'; import { cacheMiddleware } from 'cachekit/http'; import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);");
    expect(node(['--input-type=module', '-e', script])).toBe('miss n=1 hit n=1 1 1');
  });

  it('cachekit/nestjs exports the interceptor and the route decorators', () => {
    const probe = "console.log(['CachekitInterceptor', 'CacheTtl', 'NoCache'].map((n) => n + ':' + typeof m[n]).join(','))";
    const expected = 'CachekitInterceptor:function,CacheTtl:function,NoCache:function';
    expect(node(['-e', `require('reflect-metadata'); const m = require('cachekit/nestjs'); ${probe}`])).toBe(expected);
    expect(node(['--input-type=module', '-e', `import 'reflect-metadata'; import * as m from 'cachekit/nestjs'; ${probe}`])).toBe(expected);
  });
});
