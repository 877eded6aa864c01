export { WEB_ROOT, buildWebUi } from '../src/web-build.ts';
