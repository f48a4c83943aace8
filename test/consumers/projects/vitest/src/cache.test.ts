import { expect, test } from 'vitest';
import { EXPECTED, runScenario } from './scenario.js';

test('caches a hit, writes behind on flush, and rejects a bad key with its own error class', async () => {
  expect(await runScenario()).toEqual(EXPECTED);
});
