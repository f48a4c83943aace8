// The NestJS sample: `npm run sample:nestjs`, or
// `npx tsx --tsconfig samples/nestjs/tsconfig.json samples/nestjs/main.ts` (Nest needs legacy decorators).
// Env: PORT (default 3000), SHOP_DB (default samples/nestjs/out/shop.db), REDIS_URL (optional),
// SHOP_HOLD_WRITES=1 (queued views wait for shutdown instead of the 1 s batch interval).
// SIGTERM / Ctrl-C: enableShutdownHooks() makes Nest close the app; CachekitModule flushes the
// queued views into SQLite before the database closes, then the process exits.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ManualScheduler } from 'cachekit';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppModule } from './app.module.js';

const here = dirname(fileURLToPath(import.meta.url));
const databaseFile = process.env.SHOP_DB ?? join(here, 'out', 'shop.db');
mkdirSync(dirname(databaseFile), { recursive: true });

const app = await NestFactory.create(AppModule.register({ databaseFile, redisUrl: process.env.REDIS_URL || undefined, cachePrefix: process.env.CACHE_PREFIX, scheduler: process.env.SHOP_HOLD_WRITES === '1' ? new ManualScheduler() : undefined }), {
  logger: ['error', 'warn'],
});
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
console.log(`listening on ${await app.getUrl()} (cache: ${process.env.REDIS_URL ? 'memory + Redis' : 'memory'}, database: ${databaseFile})`);
