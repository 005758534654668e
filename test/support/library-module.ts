// Moved to the observability library's testing entry; kept here for the
// specs and end-to-end tests that import it from test/support.
export {
  startLibraryModule,
  type LibraryModuleOptions,
} from '@app/observability/testing';
