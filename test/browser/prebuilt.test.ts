// The prebuilt browser file (issue 13): `npm run build` writes dist/tessera.min.mjs with its two
// worker scripts beside it (dist/worker-entry.js, dist/threads-worker.js); a page imports it as
// it is, no bundler, and runs the digits model on wasm, on two threads (bit-identical to one) and
// in a worker session. References: PyTorch's logits (spec-models/digits/test_logits.npy).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy as readNpy } from '../../src/formats/npy/npy.js';
import { openTestPage, root, type TestPage } from './harness.js';
import { readFileSync } from 'node:fs';

const DIST = join(root, 'dist');
let page: Page;

let t: TestPage | undefined;

beforeAll(async () => {
  if (!existsSync(join(DIST, 'tessera.min.mjs'))) throw new Error('dist/tessera.min.mjs is missing: run npm run build (npm test does)');
  t = await openTestPage({
    '/dist/tessera.min.mjs': join(DIST, 'tessera.min.mjs'),
    '/dist/worker-entry.js': join(DIST, 'worker-entry.js'),
    '/dist/threads-worker.js': join(DIST, 'threads-worker.js'),
    '/digits.onnx': join(root, 'spec-models/digits/digits_cnn_opset17.onnx'),
  });
  ({ page } = t);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('browser: dist/tessera.min.mjs imported without a bundler', () => {
  it('runs the digits model on wasm (1 and 2 threads, bit-identical) and in a worker, as PyTorch computed it', async () => {
    const images = readNpy(new Uint8Array(readFileSync(join(root, 'spec-models/digits/test_images.npy'))));
    const want = readNpy(new Uint8Array(readFileSync(join(root, 'spec-models/digits/test_logits.npy'))));
    const n = 4;
    const x = Array.from((images.data as Float32Array).subarray(0, n * 64));
    // A string, so that vitest leaves its import() alone: the page loads the file itself.
    const got = await page.evaluate(`(async () => {
      const t = await import('/dist/tessera.min.mjs');
      const x = ${JSON.stringify(x)}, n = ${n};
      const feeds = { image: new t.Tensor('float32', Float32Array.from(x), [n, 1, 8, 8]) };
      const out = {};
      for (const [key, options] of [['one', { executionProviders: ['wasm'], intraOpNumThreads: 1 }],
        ['two', { executionProviders: ['wasm'], intraOpNumThreads: 2 }], ['worker', { executionProviders: ['wasm'], worker: true }]]) {
        const s = await t.InferenceSession.create('/digits.onnx', options);
        const r = await s.run(feeds);
        out[key] = { backend: s.backend, threads: s.threads, logits: Array.from(r[s.outputNames[0]].data) };
        await s.release();
      }
      return { out, version: t.VERSION };
    })()`) as { out: Record<string, { backend: string; threads: number; logits: number[] }>; version: string };
    expect(got.out.one!.backend).toBe('wasm');
    expect(got.out.two!.threads).toBe(2);
    expect(got.out.two!.logits).toEqual(got.out.one!.logits);
    expect(got.out.worker!.logits).toEqual(got.out.one!.logits);
    const ref = Array.from((want.data as Float32Array).subarray(0, n * 10));
    const worst = Math.max(...ref.map((v, i) => Math.abs(v - got.out.one!.logits[i]!)));
    expect(worst).toBeLessThan(1e-4);
    expect(got.version).toMatch(/^\d+\.\d+\.\d+$/);
  }, 120_000);
});
