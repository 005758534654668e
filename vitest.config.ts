import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (`*.spec.ts`); end-to-end tests in `test/`
// run the built service (`npm run build` first, which `npm test` does).
export default defineConfig({
  resolve: { tsconfigPaths: true },
  test: {
    globals: true,
    root: './',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // One module graph per worker, not per file: importing Nest, the
          // SDKs and the libraries again for each of 80 spec files cost two
          // thirds of the unit suite's time. Specs keep no state across
          // files (each builds its own module; metrics are reset).
          isolate: false,
          include: [
            'apps/**/*.spec.ts',
            'libs/**/*.spec.ts',
            'bench/**/*.spec.ts',
          ],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
