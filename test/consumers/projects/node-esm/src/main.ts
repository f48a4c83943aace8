import { runScenario } from './scenario.js';

console.log(JSON.stringify(await runScenario()));
console.log(import.meta.resolve('cachekit'));
