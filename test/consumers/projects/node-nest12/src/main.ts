// cachekit/nestjs on NestJS 12: CachekitModule configures and injects the runtime, and
// app.close() writes a queued write-behind write before the runtime closes.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createRequire } from 'node:module';
import { CacheRuntime, getCacheRuntime, ManualScheduler, WriteBehind } from 'cachekit';
import { CachekitModule, InjectCacheRuntime } from 'cachekit/nestjs';

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

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
const counter = app.get(Counter);
await counter.add('a', 2);
await counter.add('a', 3);
const before = counter.rows.get('a') ?? null;
await app.close();
const require = createRequire(import.meta.url);
console.log(
  JSON.stringify({
    nest: (require('@nestjs/core/package.json') as { version: string }).version.split('.')[0],
    injected: counter.runtime === getCacheRuntime(),
    before,
    after: counter.rows.get('a'),
    closed: counter.runtime.isClosed,
  }),
);
console.log(import.meta.resolve('cachekit/nestjs'));
