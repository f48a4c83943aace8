import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runScenario } from './scenario';

runScenario().then((report) => {
  console.log(JSON.stringify(report));
  // the strict layout: cachekit's own dependencies are not reachable from here
  console.log(JSON.stringify({ hoisted: ['reflect-metadata', 'ioredis'].filter((name) => existsSync(join(__dirname, '..', 'node_modules', name))) }));
});
