// A private redis-server for a benchmark: started on a free loopback port with the test
// helper, stopped by pid when the suite ends (also on Ctrl-C).
import { hasRedisServer, INSTALL_HINT, startRedisServer } from '../../test/setup/redis-server.mjs';

/**
 * Starts a redis-server, or returns undefined (after printing why) when none is installed.
 * @returns {Promise<{ port: number, pid: number, stop(): void } | undefined>}
 */
export async function startBenchRedis(label) {
  if (!hasRedisServer()) {
    console.log(`${label}: skipped, ${INSTALL_HINT}`);
    return undefined;
  }
  const server = await startRedisServer();
  const stop = () => server.stop();
  process.once('SIGINT', () => {
    stop();
    process.exit(130);
  });
  process.once('exit', stop);
  return server;
}
