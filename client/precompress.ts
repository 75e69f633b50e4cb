// Brotli and gzip copies of the built assets, made once at build time, so the
// server sends them as they are (server/src/http/web-app.ts) instead of
// compressing on every request. Brotli at its best quality takes tens of
// seconds on the crypto WebAssembly, so results are kept in a cache by content
// hash: a rebuild compresses only the files that changed.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Plugin } from 'vite';

const COMPRESSIBLE = /\.(js|css|wasm|svg|json)$/;
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** File suffix → how its copy is made. */
const ENCODINGS: Record<'br' | 'gz', (content: Buffer) => Promise<Buffer>> = {
  br: (content) =>
    brotli(content, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: content.length } }),
  gz: (content) => gzip(content, { level: 9 }),
};

export function precompress(cacheDir: string): Plugin {
  return {
    name: 'rinki-precompress',
    apply: 'build',
    async writeBundle(options) {
      const assets = path.join(options.dir!, 'assets');
      const files = (await fs.readdir(assets)).filter((f) => COMPRESSIBLE.test(f));
      await fs.mkdir(cacheDir, { recursive: true });
      const used = new Set<string>();
      await Promise.all(
        files.map(async (file) => {
          const content = await fs.readFile(path.join(assets, file));
          const hash = createHash('sha256').update(content).digest('hex');
          for (const [suffix, compress] of Object.entries(ENCODINGS)) {
            const cached = path.join(cacheDir, `${hash}.${suffix}`);
            used.add(path.basename(cached));
            let compressed: Buffer | undefined = await fs.readFile(cached).catch(() => undefined);
            if (!compressed) {
              compressed = await compress(content);
              // Written aside and renamed: a build running at the same time never reads half a file.
              const partial = `${cached}.${process.pid}.partial`;
              await fs.writeFile(partial, compressed);
              await fs.rename(partial, cached);
            }
            // A copy that saves nothing is left out: the server then sends the file itself.
            if (compressed.length < content.length) await fs.writeFile(path.join(assets, `${file}.${suffix}`), compressed);
          }
        }),
      );
      // Only what the last build used is kept, so the cache does not grow with every change.
      for (const entry of await fs.readdir(cacheDir)) if (!used.has(entry) && !entry.endsWith('.partial')) await fs.rm(path.join(cacheDir, entry), { force: true });
    },
  };
}
