// `@app/observability/testing`: helpers for the tests of every library (a
// library module started with the real configuration and observability
// around it, a logger that keeps its lines). The service never imports it.
export { CapturingLogger } from './capturing-logger.js';
export {
  startLibraryModule,
  type LibraryModuleOptions,
} from './library-module.js';
