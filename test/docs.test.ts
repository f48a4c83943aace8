import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

// The documentation links to itself and names source files: every relative link in README.md and
// docs/**/*.md must reach an existing file (and, with a #fragment, an existing heading of it), and
// every `src/...` path named in docs/internals/ must exist, so a moved file or a renamed heading
// fails here rather than in a reader's browser.

const root = join(__dirname, '..');

function markdownUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return path === 'docs/api' ? [] : markdownUnder(path);
    return e.name.endsWith('.md') ? [path] : [];
  });
}

const pages = ['README.md', ...markdownUnder('docs')];

/** Text outside fenced code blocks (links and paths inside code are examples, not references). */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2, ... */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The relative links of a page: [text](target), without the external ones. */
function relativeLinks(text: string): string[] {
  return [...prose(text).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

describe('docs: relative links resolve', () => {
  it('finds the pages (README.md and docs/)', () => {
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/README.md', 'docs/internals/architecture.md', 'docs/internals/design-decisions.md', 'docs/internals/staleness.md']));
  });

  it.each(pages)('every relative link of %s reaches a file and heading that exist', (page) => {
    const broken: string[] = [];
    for (const link of relativeLinks(readFileSync(join(root, page), 'utf8'))) {
      const [path, fragment] = link.split('#') as [string, string | undefined];
      const target = path === '' ? page : normalize(join(dirname(page), path));
      if (!existsSync(join(root, target))) {
        broken.push(`${link}: no file ${target}`);
        continue;
      }
      if (fragment !== undefined && target.endsWith('.md') && !anchorsOf(readFileSync(join(root, target), 'utf8')).has(fragment)) {
        broken.push(`${link}: no heading #${fragment} in ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the anchor rule matches GitHub on the headings these pages use', () => {
    const anchors = anchorsOf('# `@Cacheable(options?)`: cache-aside\n## Durable mode, delivery at least once\n## Order\n## Order\n');
    expect([...anchors]).toEqual(['cacheableoptions-cache-aside', 'durable-mode-delivery-at-least-once', 'order', 'order-1']);
  });
});

describe('docs: pages named in doc comments exist', () => {
  const sources = ['src/index.ts', ...readdirSync(join(root, 'src', 'options')).map((f) => `src/options/${f}`)];

  it.each(sources)('every docs/... page (and #heading) named in %s exists', (source) => {
    const text = readFileSync(join(root, source), 'utf8');
    const broken: string[] = [];
    for (const m of text.matchAll(/\bdocs\/[\w./-]*\.md(?:#[\w-]+)?/g)) {
      const [path, fragment] = m[0].split('#') as [string, string | undefined];
      if (!existsSync(join(root, path))) broken.push(`${m[0]}: no file`);
      else if (fragment !== undefined && !anchorsOf(readFileSync(join(root, path), 'utf8')).has(fragment)) broken.push(`${m[0]}: no heading`);
    }
    expect(broken).toEqual([]);
  });

  it('the option types link to their pages', () => {
    const linked = sources.filter((s) => /\bdocs\/[\w./-]*\.md/.test(readFileSync(join(root, s), 'utf8')));
    expect(linked.length).toBeGreaterThanOrEqual(9);
  });
});

describe('docs: source paths named in docs/internals exist', () => {
  const internals = markdownUnder('docs/internals');

  it.each(internals)('every src/... path in %s exists', (page) => {
    const text = readFileSync(join(root, page), 'utf8');
    const paths = [...new Set([...text.matchAll(/\bsrc\/[\w./-]*[\w/]/g)].map((m) => m[0]))];
    expect(paths.filter((p) => !existsSync(join(root, p)))).toEqual([]);
  });
});
