import { defineConfig } from 'vitest/config';

// Browser tests: headless Debian chromium (playwright-core) against the real deltacast,
// deltacast-agent --serve, demo/server.mjs and PostgreSQL, all started by global-setup.ts.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['e2e/**/*.e2e.test.ts'],
    globalSetup: ['e2e/global-setup.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
