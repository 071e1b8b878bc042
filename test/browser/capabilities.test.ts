// What the test browser offers tessera, printed to the test log: WebGL2 and float render targets
// (the GPU backend will need both), wasm SIMD and relaxed SIMD, cross-origin isolation (hence
// SharedArrayBuffer and wasm threads), cores, and whether WebGPU has an adapter.

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type PageServer, servePage, startBrowser } from './harness.js';
import type { Capabilities, TesseraPage } from './page.js';

let browser: Browser | undefined;
let server: PageServer | undefined;
let caps: Capabilities;

beforeAll(async () => {
  server = await servePage({});
  browser = await startBrowser();
  const { page } = await openPage(browser, server);
  caps = await page.evaluate(() => (globalThis as unknown as { tesseraPage: TesseraPage }).tesseraPage.capabilities());
  console.log(`browser: Chromium ${browser.version()}\n${Object.entries(caps).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('browser: capabilities', () => {
  it('has WebGL2 with EXT_color_buffer_float (float32 render targets, for GPU kernels)', () => {
    expect(caps.webgl2).toBe(true);
    expect(caps.extColorBufferFloat).toBe(true);
  });

  it('is cross-origin isolated by the COOP/COEP headers, with SharedArrayBuffer and wasm SIMD', () => {
    expect(caps.crossOriginIsolated).toBe(true);
    expect(caps.sharedArrayBuffer).toBe(true);
    expect(caps.wasmSimd).toBe(true);
  });
});
