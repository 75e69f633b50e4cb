// The browser app's build. `npm run build:client` writes client/dist, which the
// Rinki server serves at `/`; `npm run dev:client` proxies the APIs to a server on :8080.
import { defineConfig } from 'vite';
import { precompress } from './precompress.ts';

const server = process.env.RINKI_URL ?? 'http://localhost:8080';

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  // Preact's JSX runtime; no React.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [precompress(new URL('../node_modules/.cache/rinki-precompressed', import.meta.url).pathname)],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // matrix-js-sdk and its crypto WebAssembly are big, but load only after sign-in (app.tsx).
    chunkSizeWarningLimit: 4000,
    sourcemap: false,
    // The first build's brotli pass takes long by design (precompress.ts); no timing warning for it.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  server: {
    proxy: {
      '/api': server,
      '/_matrix': server,
      '/.well-known': server,
      '/socket.io': { target: server, ws: true },
    },
  },
});
