import { defineConfig } from '@playwright/test';

const PORT = Number(process.env.E2E_PORT ?? 4179);
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Flags for Debian's Chromium on a machine with no network and no GPU.
const baseArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Playwright's launch() already gives every browser a fresh temporary user-data-dir.

export default defineConfig({
  testDir: 'e2e',
  timeout: 90_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}/`,
    trace: 'retain-on-failure',
    viewport: { width: 1280, height: 800 },
  },
  webServer: {
    command: `node tools/start.mjs`,
    env: { PORT: String(PORT) },
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
    timeout: 120_000,
  },
  projects: [
    {
      name: 'wasm',
      testIgnore: /\.webgpu\.spec\.ts$/,
      use: { launchOptions: { executablePath, args: baseArgs } },
    },
    {
      // Chromium exposes a SwiftShader WebGPU adapter with this flag: the WebGPU path without a GPU.
      name: 'webgpu',
      testMatch: /\.webgpu\.spec\.ts$/,
      use: {
        launchOptions: {
          executablePath,
          args: [...baseArgs.filter((a) => a !== '--disable-gpu'), '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'],
        },
      },
    },
  ],
});
