// Backend choice (src/runtime/backend.ts): onnxruntime-web's executionProviders option picks the
// kernels a session runs on, unknown names are refused, and the choice is visible.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InferenceSession, InvalidArgumentError } from '../../src/node.js';

const DIGITS = join(import.meta.dirname, '..', '..', 'spec-models', 'digits');
const onnxBytes = () => new Uint8Array(readFileSync(join(DIGITS, 'digits_cnn_opset17.onnx')));
const tsBytes = () => new Uint8Array(readFileSync(join(DIGITS, 'digits_cnn_script.pt')));

describe('executionProviders', () => {
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
