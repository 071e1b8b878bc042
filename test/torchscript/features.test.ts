// One small scripted module per TorchScript language feature (spec-models/torchscript/feature_*),
// each run on PyTorch's inputs and compared with PyTorch's outputs (or the error it raised).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTorchScript } from '../../src/runtime/torchscript/module.js';
import { TsTuple } from '../../ops/aten/aten-op.js';
import { Tensor } from '../../src/tensor.js';
import { loadManifests, mismatch } from './manifest.js';

const manifests = loadManifests((n) => n.startsWith('feature_'));

describe('TorchScript language features (outputs from PyTorch 1.13)', () => {
  it('the comparison can fail: values, shapes, dtypes, int vs float, list vs tuple', () => {
    const t = new Tensor('float32', [1, 2, 3], [3]);
    expect(mismatch(t, new Tensor('float32', [1, 2, 3.001], [3]))).toMatch(/\[2\] = 3, expected 3.0009/);
    expect(mismatch(t, new Tensor('float32', [1, 2, 3], [1, 3]))).toMatch(/shape/);
    expect(mismatch(t, new Tensor('float64', [1, 2, 3], [3]))).toMatch(/dtype/);
    expect(mismatch(1, 1n)).toMatch(/expected int/);
    expect(mismatch([1n], new TsTuple([1n]))).toMatch(/kind differs/);
    expect(mismatch(new Tensor('float32', [NaN], [1]), new Tensor('float32', [NaN], [1]))).toBeUndefined();
    expect(mismatch(new Tensor('float32', [1e30], [1]), new Tensor('float32', [Infinity], [1]))).toMatch(/expected Infinity/);
    expect(mismatch(t, new Tensor('float32', [1, 2, 3.00005], [3]))).toBeUndefined();
  });
  it('has at least 25 feature modules', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(25);
  });
  for (const m of manifests) {
    it(m.name.replace(/^feature_/, ''), () => {
      const mod = loadTorchScript(new Uint8Array(readFileSync(m.path)));
      m.cases.forEach((c, i) => {
        const label = `${m.name} case ${i}`;
        if (c.raises !== undefined) {
          // PyTorch reports '<class>: <message>'; the message part must appear in ours.
          const text = c.raises.replace(/^[\w.]+: /, '');
          expect(() => mod.call(m.method, c.inputs), label).toThrow(text);
          return;
        }
        const got = mod.call(m.method, c.inputs);
        expect(mismatch(got, c.output!), label).toBeUndefined();
      });
    });
  }
});
