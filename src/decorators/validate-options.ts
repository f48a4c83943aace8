import { parseDuration, quote } from '../duration.js';
import { isKeyOption, parseTemplate } from '../runtime/keys.js';
import { methodParameters } from './method-parameters.js';
import { checkKnownOptions } from '../known-options.js';

/**
 * Checks shared by every decorator's options. Each throws a TypeError that names the
 * decorator and option and quotes the value, at the moment the decorator is applied.
 */

/**
 * Rejects a non-object and any option the decorator does not know (a typo such as `tll`).
 * @param path for a nested options object (`'retry'`), named in its errors (`retry`, `retry.attempt`)
 */
export function checkOptionNames(decorator: string, options: unknown, allowed: readonly string[], path?: string): Record<string, unknown> {
  return checkKnownOptions(`@${decorator}`, options, allowed, path);
}

/** A duration option (ms number or '5m'-style string); returns milliseconds or undefined. */
export function checkDuration(decorator: string, name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : parseDuration(value, `@${decorator}: ${name}`);
}

/** An optional function option. */
export function checkFunction(decorator: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`@${decorator}: ${name} must be a function; got ${quote(value)}`);
  }
}

/** An optional boolean option. */
export function checkBoolean(decorator: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`@${decorator}: ${name} must be a boolean; got ${quote(value)}`);
  }
}

/** An optional non-empty string option (namespace, store). */
export function checkName(decorator: string, name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
    throw new TypeError(`@${decorator}: ${name} must be a non-empty string; got ${quote(value)}`);
  }
}

/** An optional key option: a function of the arguments or a template string. */
export function checkKeyOption(decorator: string, value: unknown): void {
  if (value !== undefined && !isKeyOption(value)) {
    throw new TypeError(`@${decorator}: key must be a function of the arguments or a template string like 'user:{0}'; got ${quote(value)}`);
  }
  if (typeof value === 'string') {
    try {
      parseTemplate(value);
    } catch (error) {
      throw new TypeError(`@${decorator}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** An optional value that must be one of `choices`. */
export function checkChoice(decorator: string, name: string, value: unknown, choices: readonly string[]): void {
  if (value !== undefined && !choices.includes(value as string)) {
    throw new TypeError(`@${decorator}: ${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}; got ${quote(value)}`);
  }
}

/** An optional number in [min, max] (integer if asked). */
export function checkNumber(decorator: string, name: string, value: unknown, min: number, max: number, integer = false): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const range = max === Infinity ? `>= ${min}` : `between ${min} and ${max}`;
    throw new TypeError(`@${decorator}: ${name} must be ${integer ? 'an integer' : 'a number'} ${range}; got ${quote(value)}`);
  }
}

/** Tags: an array of non-empty strings, or a function that computes them. */
export function checkTags(decorator: string, name: string, value: unknown): void {
  if (value === undefined || typeof value === 'function') return;
  if (!Array.isArray(value) || !value.every((t) => typeof t === 'string' && t.length > 0)) {
    throw new TypeError(`@${decorator}: ${name} must be an array of non-empty strings or a function returning one; got ${quote(value)}`);
  }
}

/**
 * A key template against the method it decorates: every placeholder must read a parameter the
 * method declares (see {@link methodParameters}; a rest parameter allows any index).
 */
export function checkTemplateArguments(decorator: string, key: unknown, method: Function, methodName: string): void {
  if (typeof key !== 'string') return;
  const params = methodParameters(method);
  if (params.rest) return;
  for (const placeholder of parseTemplate(key).placeholders) {
    if (placeholder.index >= params.count) {
      throw new TypeError(
        `@${decorator}: key template ${quote(key)} reads argument ${placeholder.index} (${placeholder.text}), but '${methodName}' declares ${describeCount(params.count)}`,
      );
    }
  }
}

/** `valueArg` against the method it decorates: it must name a declared parameter. */
export function checkArgumentIndex(decorator: string, name: string, index: unknown, method: Function, methodName: string): void {
  if (typeof index !== 'number') return;
  const params = methodParameters(method);
  if (!params.rest && index >= params.count) {
    throw new TypeError(`@${decorator}: ${name} ${index} is beyond the parameters of '${methodName}', which declares ${describeCount(params.count)}; got ${quote(index)}`);
  }
}

function describeCount(count: number): string {
  return count === 0 ? 'no parameters' : `${count} parameter${count === 1 ? '' : 's'} (indexes 0..${count - 1})`;
}
