// The 'webgl' execution provider in headless Chromium (WebGL2 on SwiftShader, from
// test/browser/harness.ts): gpu.js kernels for MatMul, Gemm and Conv. The ONNX backend suite's
// MatMul, Gemm and Conv node tests on ['webgl'] with every product on the GPU, a CNN on webgl
// against the JS kernels, and how many values a mixed graph reads back from the GPU.
//
// Tolerance: the shaders sum each product in float32, in order of depth, where the CPU kernels
// sum in float64 per block; the suite's outputs are compared with rtol 1e-4 + atol 1e-5, the CNN's
// logits within 1e-3 of the JS backend's (a 9-layer-deep sum over up to 4608 products each).

import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { Tensor } from '../../src/tensor.js';
import { caseFile, decodeValue, listCases } from '../conformance/backend-suite.js';
import { loadOnnxModel } from '../../src/formats/onnx/load.js';
import { compareTensors } from '../helpers/allclose.js';
import { writeModel } from '../helpers/onnx-writer.js';
import { openPage, type PageServer, root, servePage, startBrowser } from './harness.js';
import type { Feed, TesseraWebgl, WebglRequest, WebglResult } from './webgl-page.js';

const RESNET = join(root, 'spec-models/onnx/large/bench_resnet18_96.onnx');

let browser: Browser | undefined;
let server: PageServer | undefined;
let page: Page;
let log: string[];

beforeAll(async () => {
  server = await servePage(existsSync(RESNET) ? { '/resnet18_96.onnx': RESNET } : {});
  browser = await startBrowser();
  ({ page, log } = await openPage(browser, server));
  await page.addScriptTag({ url: '/webgl-page.js', type: 'module' });
  await page.waitForFunction(() => (globalThis as { tesseraWebgl?: unknown }).tesseraWebgl !== undefined, undefined, { timeout: 30_000 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function run(request: WebglRequest): Promise<WebglResult> {
  try {
    return await page.evaluate((r) => (globalThis as unknown as { tesseraWebgl: TesseraWebgl }).tesseraWebgl.run(r), request);
  } catch (e) {
    throw new Error(`in the browser: ${(e as Error).message}\n${log.join('\n')}`);
  }
}

const TOLERANCE = { rtol: 1e-4, atol: 1e-5 };

/** The suite's MatMul, Gemm and Conv node cases tessera passes on the CPU (the checked-in pass list). */
const SUITE_CASES = listCases('node').filter((n) => /^test_(matmul_|gemm_|conv_with|basic_conv)/.test(n));
/**
 * Cases the GPU declines, each with its reason; they run on the CPU kernels (and must still match).
 * test_matmul_bcast: A [3, 1, 3, 4] @ B [1, 2, 4, 2] broadcasts both operands over a 2-D batch,
 * which is not one fixed batch stride per operand (the only form the GEMM shader takes).
 */
const DECLINED = new Set(['test_matmul_bcast']);

describe('browser: webgl provider', () => {
  it('gpu.js finds WebGL2 with float32 render targets here', async () => {
    const p = await page.evaluate(() => (globalThis as unknown as { tesseraWebgl: TesseraWebgl }).tesseraWebgl.probe());
    expect(p).toEqual({ webgl2: true, singlePrecision: true });
  });

  it(`runs the ONNX backend suite's MatMul, Gemm and Conv node tests on the GPU within rtol ${TOLERANCE.rtol} + atol ${TOLERANCE.atol}`, async () => {
    expect(SUITE_CASES.length).toBeGreaterThanOrEqual(20);
    const failures: string[] = [];
    for (const name of SUITE_CASES) {
      const bytes = caseFile('node', name, 'model.onnx')!;
      const model = await loadOnnxModel(bytes);
      const g = model.graph;
      const feeds: Feed[] = g.inputs.filter((i) => !g.initializers.has(i.name)).map((inp, i) => {
        const t = decodeValue(caseFile('node', name, `test_data_set_0/input_${i}.pb`)!, inp.type, `input_${i}.pb`) as Tensor;
        return { name: inp.name, data: Array.from(t.data as Float32Array), dims: [...t.dims] };
      });
      const r = await run({ model: Array.from(bytes), feeds, executionProviders: ['webgl'], minMultiplyAdds: 0 });
      expect(r.backend).toBe('webgl');
      const kernels = DECLINED.has(name) ? 0 : 1;
      if (r.kernelRuns !== kernels) failures.push(`${name}: ${r.kernelRuns} GPU kernels ran, expected ${kernels}`);
      g.outputs.forEach((o, i) => {
        const want = decodeValue(caseFile('node', name, `test_data_set_0/output_${i}.pb`)!, o.type, `output_${i}.pb`) as Tensor;
        const diff = compareTensors(new Tensor('float32', Float32Array.from(r.outputs[i]!.data), r.outputs[i]!.dims), want, TOLERANCE);
        if (diff) failures.push(`${name}: ${diff}`);
      });
    }
    expect(failures).toEqual([]);
  }, 60_000);
});

/** Seeded values in [-1, 1) (a 32-bit LCG), so both runs see the same numbers. */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** X [8, 32] -> MatMul W1 -> MatMul W2 -> Softmax (no GPU kernel) -> MatMul W3 -> Y [8, 16]. */
function mixedModel(): Uint8Array {
  const w = (name: string, k: number, n: number, seed: number) => ({ name, dataType: 1, dims: [k, n], floats: values(k * n, seed) });
  return writeModel({
    graph: {
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w1'], outputs: ['h1'], name: 'gpu1' },
        { op: 'MatMul', inputs: ['h1', 'w2'], outputs: ['h2'], name: 'gpu2' },
        { op: 'Softmax', inputs: ['h2'], outputs: ['s'], name: 'cpu', attrs: [{ name: 'axis', i: -1 }] },
        { op: 'MatMul', inputs: ['s', 'w3'], outputs: ['y'], name: 'gpu3' },
      ],
      inputs: [{ name: 'x', elemType: 1, shape: [8, 32] }],
      outputs: [{ name: 'y', elemType: 1, shape: [8, 16] }],
      initializers: [w('w1', 32, 64, 1), w('w2', 64, 24, 2), w('w3', 24, 16, 3)],
    },
  });
}

describe('browser: webgl values stay on the GPU between GPU ops', () => {
  it('reads back only where the CPU reads: the CPU op\'s input and the graph output (2 per run), and matches the JS kernels', async () => {
    const model = Array.from(mixedModel());
    const feeds = [{ name: 'x', data: values(8 * 32, 7), dims: [8, 32] }];
    const gpu = await run({ model, feeds, executionProviders: ['webgl'], minMultiplyAdds: 0, warmups: 1 });
    const cpu = await run({ model, feeds, executionProviders: ['cpu'] });
    expect(gpu.backend).toBe('webgl');
    expect(gpu.gpuNodes).toEqual(['gpu1', 'gpu2', 'gpu3']);
    // Per run: 3 kernels; h2 read back for Softmax, y at the end; x and Softmax's output uploaded
    // (the weights went up once, in the warm-up run).
    expect({ kernelRuns: gpu.kernelRuns, readbacks: gpu.readbacks, uploads: gpu.uploads }).toEqual({ kernelRuns: 3, readbacks: 2, uploads: 2 });
    const diff = compareTensors(new Tensor('float32', Float32Array.from(gpu.outputs[0]!.data), gpu.outputs[0]!.dims), new Tensor('float32', Float32Array.from(cpu.outputs[0]!.data), cpu.outputs[0]!.dims), TOLERANCE);
    expect(diff).toBe('');
  });

  it('keeps small products on the CPU under the default threshold', async () => {
    const r = await run({ model: Array.from(mixedModel()), feeds: [{ name: 'x', data: values(8 * 32, 7), dims: [8, 32] }], executionProviders: ['webgl'] });
    expect(r.backend).toBe('webgl');
    expect(r.kernelRuns).toBe(0);
    expect(r.readbacks).toBe(0);
  });
});

describe('browser: a CNN on webgl', () => {
  it('resnet18@96 on webgl matches the JS kernels (logits within 1e-3)', async (ctx) => {
    if (!existsSync(RESNET)) {
      console.warn(`skipped: ${RESNET} is absent (git-ignored large spec models: python spec-models/bench_models.py, or a symlink to a checkout that has them)`);
      ctx.skip();
    }
    const feeds = [{ name: 'image', data: values(3 * 96 * 96, 11), dims: [1, 3, 96, 96] }];
    const gpu = await run({ model: '/resnet18_96.onnx', feeds, executionProviders: ['webgl', 'cpu'] });
    const cpu = await run({ model: '/resnet18_96.onnx', feeds, executionProviders: ['cpu'] });
    console.log(`resnet18@96 on SwiftShader (a CPU rasterizer: this shows the path works, not GPU speed): webgl ${gpu.ms.toFixed(0)} ms (first run, shaders compiled), ${gpu.kernelRuns} GPU kernels, ${gpu.readbacks} readbacks, ${gpu.uploads} uploads; cpu ${cpu.ms.toFixed(0)} ms`);
    expect(gpu.backend).toBe('webgl');
    expect(gpu.kernelRuns).toBeGreaterThanOrEqual(15);
    let worst = 0;
    const g = gpu.outputs[0]!.data, c = cpu.outputs[0]!.data;
    expect(g.length).toBe(c.length);
    for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(g[i]! - c[i]!));
    expect(worst).toBeLessThan(1e-3);
  }, 60_000);
});
