// The digits CNN exported by PyTorch 1.13 (spec-models/generate.py) must reproduce PyTorch's own
// logits on the held-back digits within 1e-4, from both ONNX exports.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNpy } from '../../src/formats/npy/npy.js';
import { InferenceSession } from '../../src/api/session.js';
import { Tensor } from '../../src/tensor.js';

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../spec-models/digits');
const npy = (f: string) => parseNpy(new Uint8Array(readFileSync(join(dir, f))), f);

describe('spec-models/digits', () => {
  const images = npy('test_images.npy');
  const labels = npy('test_labels.npy').toNumbers();
  const reference = npy('test_logits.npy');
  for (const file of ['digits_cnn_opset13.onnx', 'digits_cnn_opset17.onnx']) {
    it(`${file} matches PyTorch within 1e-4 and classifies >= 95%`, async () => {
      const session = await InferenceSession.create(new Uint8Array(readFileSync(join(dir, file))));
      expect(session.inputNames).toEqual(['image']);
      const { logits } = await session.run({ image: new Tensor('float32', images.data, images.dims) });
      expect(logits!.dims).toEqual(reference.dims);
      const got = logits!.data as Float32Array;
      const want = reference.data as Float32Array;
      let maxDiff = 0;
      let correct = 0;
      for (let i = 0; i < labels.length; i++) {
        let best = 0;
        for (let k = 0; k < 10; k++) {
          maxDiff = Math.max(maxDiff, Math.abs(got[i * 10 + k]! - want[i * 10 + k]!));
          if (got[i * 10 + k]! > got[i * 10 + best]!) best = k;
        }
        if (best === labels[i]) correct++;
      }
      expect(maxDiff).toBeLessThan(1e-4);
      expect(correct / labels.length).toBeGreaterThanOrEqual(0.95);
    });
  }
});
