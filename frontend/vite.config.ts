import react from '@vitejs/plugin-react';
import { loadEnv } from 'vite';
import type { ProxyOptions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig(({ command, mode }) => {
  // The dev server forwards everything Django owns, so `npm run dev` runs against `make run`;
  // DEV_BACKEND points it at another port.
  const backend = loadEnv(mode, '.', '').DEV_BACKEND || 'http://127.0.0.1:8000';
  // Django's CSRF check wants the Origin of a write to be the host it serves; through the proxy
  // the browser's Origin is the dev server's, so the proxy presents the backend's own instead.
  const sameOrigin: ProxyOptions = {
    target: backend,
    changeOrigin: true,
    configure: (proxy) => {
      proxy.on('proxyReq', (req) => {
        if (req.getHeader('origin')) req.setHeader('origin', backend);
      });
    },
  };
  return {
    plugins: [react()],
    resolve: { alias: { '@': new URL('./src', import.meta.url).pathname } },
    // Django serves the build under STATIC_URL; the dev server serves the app at its root.
    base: command === 'build' ? '/static/' : '/',
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      // Django's template tag reads dist/.vite/manifest.json to emit the hashed script/css tags.
      manifest: true,
      rollupOptions: { input: 'src/main.tsx' },
    },
    server: {
      proxy: {
        '/api': sameOrigin,
        '/auth': sameOrigin,
        '/health': sameOrigin,
        '/ws': { target: backend, ws: true },
      },
    },
    test: {
      environment: 'jsdom',
      setupFiles: ['src/test/setup.ts'],
      css: false,
      restoreMocks: true,
    },
  };
});
