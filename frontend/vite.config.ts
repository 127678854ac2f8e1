import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The dev server forwards everything Django owns, so `npm run dev` runs against `make run`.
const backend = 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react()],
  resolve: { alias: { '@': new URL('./src', import.meta.url).pathname } },
  base: '/static/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Django's template tag reads dist/.vite/manifest.json to emit the hashed script/css tags.
    manifest: true,
    rollupOptions: { input: 'src/main.tsx' },
  },
  server: {
    proxy: {
      '/api': backend,
      '/auth': backend,
      '/health': backend,
      '/ws': { target: backend, ws: true },
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['src/test/setup.ts'],
    css: false,
    restoreMocks: true,
  },
});
