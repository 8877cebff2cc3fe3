import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The admin UI, served by the API under /admin (`npm run dev` proxies the API on port 3000). */
export default defineConfig({
  base: '/admin/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
  server: {
    proxy: {
      '/api': 'http://localhost:3000',
      '/admin/queues': 'http://localhost:3000',
    },
  },
});
