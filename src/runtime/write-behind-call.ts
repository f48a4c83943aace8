import type { WriteBehindOptions } from '../decorators/write-behind.js';
import type { MethodCall } from './cacheable-call.js';
import type { EntryTarget } from './entry-target.js';
import type { MethodPlan } from './plan.js';

/** PLACEHOLDER: the write-behind call (cache the value, queue the method). */
export function createWriteBehindCall(_target: EntryTarget, _options: WriteBehindOptions, _plan: MethodPlan): MethodCall {
  return () => Promise.reject(new Error('@WriteBehind is not implemented yet'));
}
