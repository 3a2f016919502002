import { defineConfig } from 'vitest/config';

// Each package is its own project; the `portcullis-source` export condition makes a package
// import its siblings' TypeScript sources rather than their builds, so tests need no build.
const shared = {
  ssr: { resolve: { conditions: ['portcullis-source'] } },
  resolve: { conditions: ['portcullis-source'] },
};

export default defineConfig({
  test: {
    projects: [
      {
        ...shared,
        test: {
          name: 'core',
          root: 'packages/core',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'rego',
          root: 'packages/rego',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'pg',
          root: 'adapters/pg',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'fetch',
          root: 'adapters/fetch',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'http',
          root: 'adapters/http',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'ssh',
          root: 'adapters/ssh',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'gateway',
          root: 'packages/gateway',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
