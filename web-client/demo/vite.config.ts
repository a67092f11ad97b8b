import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The demo app. `vite build` writes demo/dist, which demo/server.mjs serves together with
// the API and the proxied stream (one origin). For `vite dev`, /api goes to a running
// demo server (DEMO_API, default http://127.0.0.1:5173).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    port: 5174,
    proxy: { '/api': { target: process.env.DEMO_API ?? 'http://127.0.0.1:5173', changeOrigin: false } },
  },
});
