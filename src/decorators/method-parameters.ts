/** The parameters a method declares, as far as a decorator can tell. */
export interface MethodParameters {
  /** Declared parameters, those with a default value included. */
  readonly count: number;
  /** Whether the last one is a rest parameter (`...args`): any index may be passed. */
  readonly rest: boolean;
}

/**
 * The parameters `method` declares. `method.length` stops at the first parameter with a
 * default value and leaves out a rest parameter, so when the source is readable the parameter
 * list is counted from it (`(id, options = {})` has 2, `(...ids)` any number). When it is not
 * (a native or bound function, a source this scanner cannot follow) every index is allowed, and
 * what is missing shows at call time instead.
 */
export function methodParameters(method: Function): MethodParameters {
  let source: string;
  try {
    source = Function.prototype.toString.call(method);
  } catch {
    return { count: method.length, rest: true };
  }
  // a native or bound function shows no parameters; a downlevelled rest parameter reads `arguments`
  if (/\[native code\]\s*\}\s*$/.test(source) || /\barguments\b/.test(source)) return { count: method.length, rest: true };
  const scanned = scanParameterList(source);
  return scanned === undefined ? { count: method.length, rest: true } : { count: Math.max(scanned.count, method.length), rest: scanned.rest };
}

/** Counts the top-level parameters of the first parenthesised list in `source`; undefined when it cannot tell. */
function scanParameterList(source: string): MethodParameters | undefined {
  const open = source.indexOf('(');
  if (open === -1) return undefined;
  let depth = 0;
  let count = 0;
  let segment = '';
  let rest = false;
  const finishSegment = (): void => {
    const text = segment.trim();
    if (text !== '') {
      count++;
      if (text.startsWith('...')) rest = true;
    }
    segment = '';
  };
  for (let i = open + 1; i < source.length; i++) {
    const c = source[i]!;
    if (c === '"' || c === "'" || c === '`') {
      const end = closingQuote(source, i);
      if (end === -1) return undefined;
      segment += source.slice(i, end + 1);
      i = end;
      continue;
    }
    if (c === '/' && (source[i + 1] === '/' || source[i + 1] === '*')) {
      const end = source[i + 1] === '/' ? source.indexOf('\n', i) : source.indexOf('*/', i + 2) + 1;
      if (end <= 0) return undefined;
      i = end;
      continue;
    }
    if (c === '/' && /[=(,:[!&|?{};+\-*%<>~^]$/.test(segment.trimEnd() || '(')) {
      // a regular expression literal in a default value (`a = /\)/`): skip it whole
      const end = closingSlash(source, i);
      if (end === -1) return undefined;
      segment += source.slice(i, end + 1);
      i = end;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ')') {
      if (depth === 0) {
        finishSegment();
        return { count, rest };
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      finishSegment();
      continue;
    }
    segment += c;
  }
  return undefined;
}

/** The index of the quote that closes the string opening at `start` (template literals with `${}` give up: -1). */
function closingQuote(source: string, start: number): number {
  const quote = source[start];
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (quote === '`' && c === '$' && source[i + 1] === '{') return -1;
    else if (c === quote) return i;
  }
  return -1;
}

/** The index of the slash that closes the regular expression literal opening at `start` (a `/` inside `[...]` does not close it); -1 if none. */
function closingSlash(source: string, start: number): number {
  let inClass = false;
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === '\n') return -1;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) return i;
  }
  return -1;
}
