import { defineConfig } from 'vitest/config';

// Unit tests: fakes only (no network, no database). The browser tests are e2e/.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
  },
});
