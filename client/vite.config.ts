// The browser app's build. `npm run build:client` writes client/dist, which the
// Rinki server serves at `/`; `npm run dev:client` proxies the APIs to a server on :8080.
import { defineConfig } from 'vite';

const server = process.env.RINKI_URL ?? 'http://localhost:8080';

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  // Preact's JSX runtime; no React.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // matrix-js-sdk and its crypto WebAssembly are big; the warning says nothing new.
    chunkSizeWarningLimit: 4000,
    sourcemap: false,
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
