// A Node child process of a benchmark, spoken to line by line: started with `startWorker`,
// its stdout lines awaited by their first word, written to through stdin, SIGKILLed by pid.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';

/**
 * Starts `node <script> ...args` (stderr shown, stdout read line by line).
 * @returns { pid, startedAt (performance.now() at spawn), waitFor(word, timeoutMs), send(line), kill(), exited }
 */
export function startWorker(script, args) {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = [];
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const at = performance.now();
    const waiter = waiters.findIndex((w) => line.startsWith(`${w.word} `) || line === w.word);
    if (waiter >= 0) waiters.splice(waiter, 1)[0].resolve({ line, at });
    else lines.push({ line, at });
  });
  // a worker that dies before answering fails every wait at once
  void exited.then(({ code, signal }) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`${script} ${args[0] ?? ''} exited (code ${code}, signal ${signal}) before printing '${w.word}'`));
  });
  return {
    pid: child.pid,
    startedAt,
    exited,
    /** Resolves with `{ line, at }` (performance.now() when read) for the next line starting with `word`. */
    waitFor(word, timeoutMs) {
      const seen = lines.findIndex((l) => l.line.startsWith(`${word} `) || l.line === word);
      if (seen >= 0) return Promise.resolve(lines.splice(seen, 1)[0]);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`${script} ${args[0] ?? ''} has exited`));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${script} ${args[0] ?? ''}: no '${word}' line within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          word,
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
      });
    },
    send(line) {
      child.stdin.write(`${line}\n`);
    },
    /** SIGKILLs the worker by its pid (if it still runs) and resolves once it exited. */
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      return exited;
    },
  };
}
