/// <reference types="vitest/config" />
import { writeFileSync } from 'node:fs'
import { fileURLToPath, URL } from 'node:url'
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// dist/.gitkeep is tracked so that `//go:embed all:dist` compiles before the
// UI is built; the build empties dist/, so put it back afterwards.
function keepGitkeep(): Plugin {
  return {
    name: 'banyan-keep-gitkeep',
    apply: 'build',
    closeBundle() {
      writeFileSync(fileURLToPath(new URL('./dist/.gitkeep', import.meta.url)), '')
    },
  }
}

// The SPA is served by the Go binary under /admin/ (see embed.go).
export default defineConfig({
  base: '/admin/',
  plugins: [
    vue(),
    keepGitkeep(),
    // Element Plus components are imported on demand (JS + per-component CSS);
    // components.d.ts is generated for vue-tsc and committed.
    Components({
      resolvers: [ElementPlusResolver({ importStyle: 'css' })],
      dts: 'components.d.ts',
      dirs: [],
    }),
  ],
  define: {
    // vue-i18n: Composition API only (drops the legacy API from the bundle)
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      output: {
        manualChunks(id: string) {
          if (id.includes('node_modules/element-plus') || id.includes('node_modules/@element-plus')) return 'element-plus'
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts'
          if (id.includes('node_modules/')) return 'vendor'
          return undefined
        },
      },
    },
  },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: 'http://localhost:8080', changeOrigin: true },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
    css: false,
    server: { deps: { inline: ['element-plus'] } },
    // Mounting Element Plus components takes < 1 s on an idle machine but
    // went past vitest's 5 s default on a loaded 2-core one.
    testTimeout: 30_000,
  },
})
