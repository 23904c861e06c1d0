// The sessions API over real HTTP on the site's default store (SQLite): see sessions-suite.ts.
import { runSessionsApiSuite } from './sessions-suite.js';

runSessionsApiSuite('me and sessions API');
