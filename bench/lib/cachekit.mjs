// The cachekit build under test: ../dist by default (built by `npm run bench`), or the build
// named by CACHEKIT_DIST (a path to another build's index.mjs or index.js), to A/B a change in src/.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const override = process.env.CACHEKIT_DIST;
const here = dirname(fileURLToPath(import.meta.url));
const url = pathToFileURL(override ? resolve(override) : join(here, '..', '..', 'dist', 'index.mjs')).href;

/** The cachekit module (every public export). */
export const cachekit = await import(url);

/** Where it was loaded from, for the report. */
export const cachekitSource = override ? `CACHEKIT_DIST=${override}` : 'dist/';
