import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The web UI, served by the API at /ui/ from dist/web: no CDN, every file from this origin. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    // The page's Content-Security-Policy allows no inline script.
    modulePreload: { polyfill: false },
    target: 'es2022',
  },
});
