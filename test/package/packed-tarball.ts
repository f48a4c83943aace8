import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { root } from './built-package.js';

/** What a fresh clone needs to pack: the sources and the packaging files (no dist/, no tests; nestjs/package.json points node10 resolution at dist/). */
const PACKED_FROM = ['src', 'scripts', 'nestjs', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'CHANGELOG.md'];

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)));
}

/**
 * `npm pack` of the repository as a fresh clone has it: the sources and packaging files copied
 * to a temp dir without dist/ (node_modules linked), so `prepack` must build. Returns the path
 * of the tarball, cached in the OS temp dir by the content of those files (one pack per change,
 * shared by every test file and run).
 */
export function packedTarball(): string {
  const files = PACKED_FROM.flatMap((p) => filesUnder(join(root, p)));
  const hash = createHash('sha256');
  for (const file of files) hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const cached = join(tmpdir(), 'cachekit-packed', hash.digest('hex').slice(0, 16));
  const tarball = join(cached, `cachekit-${version}.tgz`);
  if (existsSync(tarball)) return tarball;

  const work = mkdtempSync(join(tmpdir(), 'cachekit-clone-'));
  try {
    const clone = join(work, 'clone');
    const out = join(work, 'out');
    mkdirSync(out);
    for (const file of files) cpSync(file, join(clone, relative(root, file)));
    symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
    execFileSync('npm', ['pack', '--pack-destination', out], { cwd: clone, stdio: 'pipe', env: { ...process.env, npm_config_loglevel: 'error' } });
    mkdirSync(join(tmpdir(), 'cachekit-packed'), { recursive: true });
    try {
      renameSync(out, cached);
    } catch (error) {
      if (!existsSync(tarball)) throw error; // another process packed the same content first
    }
    return tarball;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
