// The cachekit demo: `npm run demo` (or `npx tsx samples/ecommerce/main.ts --help`).
// A small shop on SQLite runs the same workload without a cache and with cachekit's four
// patterns, prints what each pattern saved, flushes, and checks every write reached the database.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDemoDashboard, type DemoDashboard } from './dashboard-server.js';
import { ProgressBar } from './progress-bar.js';
import { formatHeader, formatReport } from './report.js';
import { DEMO_DEFAULTS, runDemo, type DemoOptions } from './run-demo.js';

const HELP = `Usage: npm run demo -- [options]   (or: npx tsx samples/ecommerce/main.ts [options])

  --latency=MS    simulated database round trip, ms      (env DEMO_LATENCY_MS, default ${DEMO_DEFAULTS.latencyMs})
  --requests=N    requests in the workload               (env DEMO_REQUESTS, default ${DEMO_DEFAULTS.requests})
  --clients=N     concurrent clients                     (default ${DEMO_DEFAULTS.clients})
  --think=MS      each client's pause between requests   (default ${DEMO_DEFAULTS.thinkMs})
  --products=N    products in the catalog                (default ${DEMO_DEFAULTS.products})
  --users=N       users                                  (default ${DEMO_DEFAULTS.users})
  --zipf=S        Zipf exponent of popularity            (default ${DEMO_DEFAULTS.zipf})
  --seed=N        seed of the data and the workload      (default ${DEMO_DEFAULTS.seed})
  --out=DIR       directory of the SQLite files          (default samples/ecommerce/out)
  --dashboard     serve cachekit/dashboard on 127.0.0.1 while the run with the cache goes on,
                  and print its URL (token included)
  --dashboard-port=N  its port                           (default: any free port)

With REDIS_URL set (e.g. REDIS_URL=redis://127.0.0.1:6379) the cache is a TieredStore:
MemoryStore L1 + RedisStore L2.`;

/** Parses flags and environment into demo options. @throws RangeError on a malformed number */
export function parseDemoArgs(argv: string[], env: NodeJS.ProcessEnv): DemoOptions & { help: boolean; dashboard: boolean; dashboardPort: number } {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      dashboard: { type: 'boolean' },
      'dashboard-port': { type: 'string' },
      ...Object.fromEntries(['latency', 'requests', 'clients', 'think', 'products', 'users', 'zipf', 'seed', 'out'].map((name) => [name, { type: 'string' as const }])),
    },
    allowPositionals: false,
  });
  const number = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new RangeError(`--${name}: expected a number; got '${raw}'`);
    return value;
  };
  const flag = (name: string) => (values as Record<string, unknown>)[name] as string | undefined;
  return {
    help: values.help === true,
    dashboard: values.dashboard === true,
    dashboardPort: number('dashboard-port', flag('dashboard-port')) ?? 0,
    latencyMs: number('latency', flag('latency') ?? env.DEMO_LATENCY_MS),
    requests: number('requests', flag('requests') ?? env.DEMO_REQUESTS),
    clients: number('clients', flag('clients')),
    thinkMs: number('think', flag('think')),
    products: number('products', flag('products')),
    users: number('users', flag('users')),
    zipf: number('zipf', flag('zipf')),
    seed: number('seed', flag('seed')),
    outDir: flag('out') ?? fileURLToPath(new URL('./out/', import.meta.url)),
    redisUrl: env.REDIS_URL || undefined,
  };
}

/** Runs the demo from the command line; resolves with the exit code (0: every check passed). */
export async function main(argv = process.argv.slice(2), env = process.env): Promise<number> {
  let options: ReturnType<typeof parseDemoArgs>;
  try {
    options = parseDemoArgs(argv, env);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (options.help) {
    console.log(HELP);
    return 0;
  }
  const bar = ProgressBar.create(process.stderr);
  let board: DemoDashboard | undefined;
  try {
    const { dashboard, dashboardPort, ...demoOptions } = options;
    const result = await runDemo({
      ...demoOptions,
      onStart: (info) => console.log(formatHeader(info)),
      onRuntime: dashboard
        ? async (runtime) => {
            board = await startDemoDashboard(runtime, dashboardPort);
            bar?.clear();
            console.log(`Dashboard: ${board.url}`);
          }
        : undefined,
      onProgress: bar && ((done, total, phase) => bar.update(done, total, phase === 'no cache' ? 'running without a cache' : 'running with cachekit')),
    });
    bar?.clear();
    console.log(formatReport(result));
    return result.checks.ok ? 0 : 1;
  } catch (error) {
    bar?.clear();
    console.error(error instanceof RangeError ? `${error.message}\n\n${HELP}` : error);
    return error instanceof RangeError ? 2 : 1;
  } finally {
    await board?.close();
  }
}

if (process.argv[1]?.endsWith('main.ts') && process.argv[1].includes('ecommerce')) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
