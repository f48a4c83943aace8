import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const root = join(__dirname, '..', '..');

/** Builds dist/ (scripts/build.mjs) unless it is there; `npm test` builds before Jest runs. */
export function ensureBuilt(): void {
  if (existsSync(join(root, 'dist', 'index.cjs')) && existsSync(join(root, 'dist', 'index.mjs'))) return;
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'pipe' });
}
