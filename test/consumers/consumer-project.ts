import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../package/built-package.js';

const projects = join(__dirname, 'projects');
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** One command a consumer runs, and what it printed. */
export interface StepResult {
  command: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Lays out the consumer project `name` (test/consumers/projects/<name>, plus the shared
 * scenario in its src/) in a new temp dir. In its package.json, `"cachekit": "tarball"` becomes
 * the packed tarball and every `"root"` version the range this repository's own package.json
 * names (so the project's `npm install` warmed the npm cache for it). Returns the dir.
 */
export function layOut(name: string, tarball: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cachekit-consumer-${name}-`));
  cpSync(join(projects, name), dir, { recursive: true });
  mkdirSync(join(dir, 'src'), { recursive: true });
  cpSync(join(projects, 'shared', 'scenario.ts'), join(dir, 'src', 'scenario.ts'));
  const file = join(dir, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string> | undefined>;
  for (const field of ['dependencies', 'devDependencies']) {
    for (const [dep, version] of Object.entries(pkg[field] ?? {})) {
      if (dep === 'cachekit') pkg[field]![dep] = `file:${tarball}`;
      else if (version === 'root') {
        const range = rootPackage.devDependencies[dep] ?? rootPackage.dependencies[dep];
        if (range === undefined) throw new Error(`consumer ${name}: ${dep} is not a dependency of the repository`);
        pkg[field]![dep] = range;
      }
    }
  }
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  return dir;
}

/** Runs `command args` in `cwd` (no shell) and collects its output; never rejects. */
export function run(cwd: string, command: string, args: string[], env: Record<string, string> = {}): Promise<StepResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const line = [command, ...args].join(' ');
    child.on('error', (error) => resolve({ command: line, code: -1, stdout, stderr: `${stderr}${String(error)}` }));
    child.on('close', (code) => resolve({ command: line, code, stdout, stderr }));
  });
}

/** Runs the steps in order, stopping at the first that fails. */
export async function runSteps(cwd: string, steps: Array<[string, string[], Record<string, string>?]>): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const [command, args, env] of steps) {
    const result = await run(cwd, command, args, env);
    results.push(result);
    if (result.code !== 0) break;
  }
  return results;
}

/** Runs jobs with at most `limit` at a time; each job's promise settles with its own result. */
export function limited<T>(limit: number): (job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (job) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await job();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
