import { buildWebUi } from './web-build.ts';

// `npm run build` and `npm start` build the web UI through this, as the browser tests do.
await buildWebUi();
