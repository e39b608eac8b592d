import { defineConfig } from 'vite';

/** The admin page: built into dist/web, served by the relay at /admin (src/admin/page.ts). */
export default defineConfig({
  root: import.meta.dirname,
  // Relative asset paths: the page works behind a proxy that adds a path prefix.
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // Charts and the YAML parser of the rule preview load with the views that use them.
    chunkSizeWarningLimit: 200,
  },
});
