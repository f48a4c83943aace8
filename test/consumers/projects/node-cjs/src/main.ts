import { runScenario } from './scenario';

runScenario().then((report) => {
  console.log(JSON.stringify(report));
  console.log(require.resolve('cachekit'));
});
