// `--only=<regexp>` on a suite's command line: measure only the matching rows (and the
// baseline rows every ratio needs). For profiling one row or A/B-ing a change quickly.

/** Marks the rows not selected by `--only=<regexp>` (if given) as skipped; `keep(row)` rows always run. */
export function selectRows(rows, keep, argv = process.argv) {
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (only === undefined) return;
  const pattern = new RegExp(only, 'i');
  for (const row of rows) {
    if (row.skip === undefined && !keep(row) && !pattern.test(row.name)) row.skip = `not selected by --only=${only}`;
  }
}
