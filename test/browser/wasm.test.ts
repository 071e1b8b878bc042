// tessera in headless Chromium (test/browser/harness.ts): the browser bundle fetches the digits
// model by URL and must reproduce PyTorch's logits on the JS ('cpu') and WebAssembly SIMD ('wasm')
// backends, on two threads (Web Workers over SharedArrayBuffer, the page being cross-origin
// isolated) bit for bit as on one, and in a session worker; resnet18 matches onnxruntime-node.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../../src/formats/npy/npy.js';
import { reportAbsent } from '../helpers/absent-files.js';
import { openPage, type PageServer, root, servePage, startBrowser } from './harness.js';
import type { RunRequest, RunResult, TesseraPage } from './page.js';

const DIGITS = join(root, 'spec-models/digits');
const RESNET = join(root, 'spec-models/onnx/large/bench_resnet18_96.onnx');

let browser: Browser | undefined;
let server: PageServer | undefined;
let page: Page;
let log: string[];

beforeAll(async () => {
  server = await servePage({
    '/digits/model.onnx': join(DIGITS, 'digits_cnn_opset17.onnx'),
    '/digits/test_images.npy': join(DIGITS, 'test_images.npy'),
    '/resnet18_96.onnx': RESNET,
  });
  browser = await startBrowser();
  ({ page, log } = await openPage(browser, server));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Runs `request` in the page (default: the cross-origin isolated one); a failure carries the page's console. */
async function run(request: RunRequest, on: { page: Page; log: string[] } = { page, log }): Promise<RunResult> {
  try {
    return await on.page.evaluate((r) => (globalThis as unknown as { tesseraPage: TesseraPage }).tesseraPage.run(r), request);
  } catch (e) {
    throw new Error(`in the browser: ${(e as Error).message}\n${on.log.join('\n')}`);
  }
}

const digitsRequest = (executionProviders: string[], extra: Partial<RunRequest> = {}): RunRequest =>
  ({ model: '/digits/model.onnx', input: { npy: '/digits/test_images.npy' }, executionProviders, ...extra });
const digits = (executionProviders: string[], extra: Partial<RunRequest> = {}): Promise<RunResult> => run(digitsRequest(executionProviders, extra));

const reference = parseNpy(new Uint8Array(readFileSync(join(DIGITS, 'test_logits.npy'))), 'test_logits.npy');

/** Largest absolute difference from PyTorch's logits (the Node digits tests' bound is 1e-4). */
function worstAgainstPyTorch(r: RunResult): number {
  expect(r.dims).toEqual(reference.dims);
  const want = reference.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(r.output[i]! - want[i]!));
  return worst;
}

describe('browser: the digits CNN fetched by URL', () => {
  it("'cpu' (the JS kernels) matches PyTorch within 1e-4", async () => {
    const r = await digits(['cpu']);
    expect(r.backend).toBe('cpu');
    expect(worstAgainstPyTorch(r)).toBeLessThan(1e-4);
  });

  it("'wasm' is taken (the page compiles SIMD modules) and matches PyTorch within 1e-4", async () => {
    const simd = await page.evaluate(async () => (await (globalThis as unknown as { tesseraPage: TesseraPage }).tesseraPage.capabilities()).wasmSimd);
    expect(simd).toBe(true);
    // 'wasm' alone: were SIMD missing, create would fail rather than fall back to 'cpu'.
    const r = await digits(['wasm']);
    expect(r.backend).toBe('wasm');
    expect(worstAgainstPyTorch(r)).toBeLessThan(1e-4);
  });

  it("'wasm' on 2 threads (Web Workers over SharedArrayBuffer) is bit-identical to 1 thread", async () => {
    const one = await digits(['wasm'], { intraOpNumThreads: 1 });
    const two = await digits(['wasm'], { intraOpNumThreads: 2 });
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(two.backend).toBe('wasm');
    expect(new Float32Array(two.output)).toEqual(new Float32Array(one.output));
    expect(worstAgainstPyTorch(two)).toBeLessThan(1e-4);
  });

  it('runs in a session worker (worker: true) on wasm, on 2 threads started from that worker, matching PyTorch within 1e-4', async () => {
    const r = await digits(['wasm'], { worker: true, intraOpNumThreads: 2 });
    expect(r.backend).toBe('wasm');
    expect(r.threads).toBe(2);
    expect(worstAgainstPyTorch(r)).toBeLessThan(1e-4);
  });
});

describe('browser: a page without cross-origin isolation (no COOP/COEP headers)', () => {
  it("'wasm' asked for 2 threads runs on 1 (no SharedArrayBuffer), bit-identical to the isolated page; worker: true still works", async () => {
    const plain = await openPage(browser!, server!, false);
    try {
      expect(await plain.page.evaluate(() => globalThis.crossOriginIsolated)).toBe(false);
      const isolated = await digits(['wasm'], { intraOpNumThreads: 1 });
      const r = await run(digitsRequest(['wasm'], { intraOpNumThreads: 2 }), plain);
      expect(r.backend).toBe('wasm');
      expect(r.threads).toBe(1);
      expect(new Float32Array(r.output)).toEqual(new Float32Array(isolated.output));
      const w = await run(digitsRequest(['wasm'], { worker: true }), plain);
      expect(w.threads).toBe(1);
      expect(new Float32Array(w.output)).toEqual(new Float32Array(isolated.output));
    } finally {
      await plain.page.close();
    }
  });
});

describe('browser: resnet18 at 96', () => {
  it.skipIf(!existsSync(RESNET))('wasm on 2 threads is bit-identical to 1 thread and matches onnxruntime-node within 1e-3', async () => {
    const x = new Float32Array(3 * 96 * 96);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) * 1.5;
    const ort = await import('onnxruntime-node');
    const ref = await ort.InferenceSession.create(RESNET);
    const want = (await ref.run({ [ref.inputNames[0]!]: new ort.Tensor('float32', x, [1, 3, 96, 96]) }))[ref.outputNames[0]!]!.data as Float32Array;
    const request = { model: '/resnet18_96.onnx', input: { data: Array.from(x), dims: [1, 3, 96, 96] }, executionProviders: ['wasm'] };
    const one = await run({ ...request, intraOpNumThreads: 1 });
    const got = await run({ ...request, intraOpNumThreads: 2 });
    expect(got.backend).toBe('wasm');
    expect(got.threads).toBe(2);
    expect(new Float32Array(got.output)).toEqual(new Float32Array(one.output));
    expect(got.dims).toEqual([1, 1000]);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got.output[i]! - want[i]!));
    expect(worst).toBeLessThan(1e-3);
  }, 120_000);
});
reportAbsent('browser: resnet18', existsSync(RESNET) ? [] : ['spec-models/onnx/large/bench_resnet18_96.onnx'], '/usr/bin/python3 spec-models/bench_models.py');
