// Runs the Vitest example against the sources, with legacy decorators (Vitest 4 on Vite 8 lowers those
// only); test/testing/readme-examples.test.ts runs it.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = fileURLToPath(new URL('../../src/', import.meta.url));
export default defineConfig({
  oxc: { decorator: { legacy: true } },
  resolve: { alias: [
    { find: /^cachekit$/, replacement: `${src}index.ts` },
    { find: /^cachekit\/testing$/, replacement: `${src}testing/index.ts` },
    { find: /^(\.{1,2}\/.*)\.js$/, replacement: '$1' },
  ] },
  test: { include: ['samples/testing/*.vitest.ts'], root: fileURLToPath(new URL('../..', import.meta.url)) },
});
