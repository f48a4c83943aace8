// Runs the acceptance tests in legacy (experimentalDecorators) mode too:
// npx jest -c test/acceptance/legacy.jest.config.mjs
// (the root config's legacy project covers test/decorators and test/write-behind only)
import { fileURLToPath, URL } from 'node:url';
import root from '../../jest.config.js';

const rootDir = fileURLToPath(new URL('../..', import.meta.url));

const legacy = root.projects.find((p) => p.displayName === 'legacy');
export default {
  ...root,
  rootDir,
  projects: [
    {
      ...legacy,
      rootDir,
      displayName: 'acceptance-legacy',
      testMatch: ['<rootDir>/test/acceptance/**/*.test.ts'],
      // standard-decorator-only: a hand-written (method, context) decorator
      testPathIgnorePatterns: [...legacy.testPathIgnorePatterns, 'runtime\\.acceptance\\.test\\.ts$'],
    },
  ],
};
