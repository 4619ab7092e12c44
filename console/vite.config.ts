/**
 * The web console's build: a small single-page app, served by the API under /console/ (its
 * index at /). `npm run build:console` writes console/dist, which the console function serves.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: '/console/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One script and one stylesheet: the first load stays a few requests.
    modulePreload: false,
    chunkSizeWarningLimit: 400,
  },
  logLevel: 'warn',
});
