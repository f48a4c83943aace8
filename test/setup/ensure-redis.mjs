// `npm test` runs this first: when redis-server is missing and REDIS_URL is unset, install it
// with apt-get (as root); otherwise print how to get it. The Jest global setup starts it.
import { spawnSync } from 'node:child_process';
import { hasRedisServer, INSTALL_HINT } from './redis-server.mjs';

if (!process.env.REDIS_URL && !hasRedisServer()) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (isRoot && hasApt) {
    console.log('redis-server is missing: installing it with apt-get ...');
    const run = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    run(['update']);
    run(['install', '-y', 'redis-server']);
  }
  if (!hasRedisServer()) {
    console.error(INSTALL_HINT);
    process.exit(1);
  }
}
