import { EXPECTED, runScenario } from './scenario';

describe('cachekit in a Jest project with only the ts-jest preset (module commonjs, legacy decorators)', () => {
  it('caches a hit, writes behind on flush, and rejects a bad key with its own error class', async () => {
    expect(await runScenario()).toEqual(EXPECTED);
  });

  it('loads the CommonJS entry', () => {
    expect(require.resolve('cachekit')).toMatch(/dist[\\/]index\.cjs$/);
  });
});
