// Backend choice (src/runtime/backend.ts): onnxruntime-web's executionProviders option picks the
// kernels a session runs on, unknown names are refused, and the choice is visible.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InferenceSession, InvalidArgumentError, parseNpy, Tensor } from '../../src/node.js';

const DIGITS = join(import.meta.dirname, '..', '..', 'spec-models', 'digits');
const onnxBytes = () => new Uint8Array(readFileSync(join(DIGITS, 'digits_cnn_opset17.onnx')));
const tsBytes = () => new Uint8Array(readFileSync(join(DIGITS, 'digits_cnn_script.pt')));

const images = () => {
  const npy = parseNpy(new Uint8Array(readFileSync(join(DIGITS, 'test_images.npy'))));
  return new Tensor('float32', npy.data as Float32Array, npy.dims);
};
const logits = () => parseNpy(new Uint8Array(readFileSync(join(DIGITS, 'test_logits.npy'))));

describe('executionProviders', () => {
  it("defaults to 'wasm' here (Node compiles SIMD modules), and both backends match PyTorch's logits", async () => {
    expect((await InferenceSession.create(onnxBytes())).backend).toBe('wasm');
    const want = logits();
    for (const [bytes, name] of [[onnxBytes(), 'image'], [tsBytes(), undefined]] as const) {
      for (const ep of ['wasm', 'cpu'] as const) {
        const s = await InferenceSession.create(bytes, { executionProviders: [ep] });
        expect(s.backend).toBe(ep);
        const out = await s.run({ [name ?? s.inputNames[0]!]: images() });
        const got = out[s.outputNames[0]!]!;
        expect(got.dims).toEqual(want.dims);
        const g = got.data as Float32Array, w = want.data as Float32Array;
        let worst = 0;
        for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(g[i]! - w[i]!));
        expect(worst, `${ep} ${name ? 'onnx' : 'torchscript'}`).toBeLessThan(1e-4);
      }
    }
  });

  it("'cpu' runs the JS kernels, by name or as { name }, for ONNX and TorchScript", async () => {
    for (const executionProviders of [['cpu'], [{ name: 'cpu' }], ['webgpu', 'cpu']]) {
      const s = await InferenceSession.create(onnxBytes(), { executionProviders });
      expect(s.backend).toBe('cpu');
    }
    const ts = await InferenceSession.create(tsBytes(), { executionProviders: ['cpu'] });
    expect(ts.backend).toBe('cpu');
  });

  it('refuses unknown names and malformed entries with a typed error naming them', async () => {
    await expect(InferenceSession.create(onnxBytes(), { executionProviders: ['gpu-turbo'] })).rejects.toThrow(InvalidArgumentError);
    await expect(InferenceSession.create(onnxBytes(), { executionProviders: ['gpu-turbo'] })).rejects.toThrow(/unknown execution provider 'gpu-turbo'/);
    await expect(InferenceSession.create(onnxBytes(), { executionProviders: [42 as unknown as string] })).rejects.toThrow(/name or \{ name \}/);
    await expect(InferenceSession.create(onnxBytes(), { executionProviders: 'cpu' as unknown as string[] })).rejects.toThrow(/must be an array/);
  });

  it('fails when no listed provider can run here, saying why each was skipped', async () => {
    await expect(InferenceSession.create(onnxBytes(), { executionProviders: ['webgpu', 'webnn'] }))
      .rejects.toThrow(/none of the execution providers can run here: webgpu .*webnn/);
  });
});

describe('executionProviders in a worker session', () => {
  it('reaches the worker, which reports the backend it took', async () => {
    const s = await InferenceSession.create(onnxBytes(), { worker: true, executionProviders: ['cpu'] });
    try {
      expect(s.backend).toBe('cpu');
    } finally {
      await s.release();
    }
  });
});
