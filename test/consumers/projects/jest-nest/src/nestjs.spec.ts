import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { CacheRuntime, getCacheRuntime, ManualScheduler, WriteBehind } from 'cachekit';
import { CachekitModule, InjectCacheRuntime } from 'cachekit/nestjs';
import { EXPECTED, runScenario } from './scenario';

// cachekit/nestjs from the packed tarball, in a `nest new` Jest setup: the module loads,
// injects the runtime and closes it (queued write-behind written) on application shutdown.
@Injectable()
class Counter {
  readonly rows = new Map<string, number>();
  constructor(@InjectCacheRuntime() readonly runtime: CacheRuntime) {}

  @WriteBehind({ namespace: 'counter', key: (id: string) => id, merge: (a: number, b: number) => a + b })
  async add(id: string, n: number): Promise<void> {
    this.rows.set(id, (this.rows.get(id) ?? 0) + n);
  }
}

@Module({ imports: [CachekitModule.forRoot({ scheduler: new ManualScheduler(), isGlobal: true })], providers: [Counter] })
class AppModule {}

describe('cachekit/nestjs in a Nest project', () => {
  it('CachekitModule configures, injects and closes the runtime (Nest ' + require('@nestjs/core/package.json').version + ')', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const counter = moduleRef.get(Counter);
    expect(counter.runtime).toBe(getCacheRuntime());
    await counter.add('a', 2);
    await counter.add('a', 3);
    expect(counter.rows.get('a')).toBeUndefined();
    await moduleRef.close();
    expect(counter.rows.get('a')).toBe(5);
    expect(counter.runtime.isClosed).toBe(true);
  });

  it('NestFactory starts an application context with it, and the shared scenario still runs', async () => {
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    expect(app.get(Counter).runtime).toBe(getCacheRuntime());
    await app.close();
    expect(await runScenario()).toEqual(EXPECTED);
  });

  it('loads the CommonJS entries', () => {
    expect(require.resolve('cachekit/nestjs')).toMatch(/dist[\\/]nestjs\.cjs$/);
    expect(require('@nestjs/core/package.json').version).toMatch(new RegExp(`^${process.env.EXPECTED_NEST_MAJOR ?? '\\d+'}\\.`));
  });
});
