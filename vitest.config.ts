import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'tools/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['src/testing/jsdomCanvas.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
