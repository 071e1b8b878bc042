// torch.save files written by PyTorch 2.13 (spec-models/pickle_torch2_fixtures.py) with storages
// the 1.13 fixtures lack. Quantized tensors load as their integer representation with the
// quantization parameters in tensorSource (per tensor or per channel: scales, zero points, axis),
// as per-tensor ones always have; complex32 widens to complex64 and quint4x2 unpacks to one uint8
// per element (the first of each byte in its low nibble).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tensorSource, torchLoad } from '../../src/formats/pickle/index.js';
import { Tensor } from '../../src/tensor.js';

const DIR = join(import.meta.dirname, '../../spec-models/pickle2');

interface Entry {
  dtype: string; shape: number[]; int_repr?: number[]; values?: [number, number][];
  scheme?: string; scales?: number[]; zero_points?: number[]; axis?: number; scale?: number; zero_point?: number;
}

describe('torch 2.13 storages: per-channel quantized, complex32, quint4x2', () => {
  const want = JSON.parse(readFileSync(join(DIR, 'torch2_storages.pt.expected.json'), 'utf8')) as { entries: Record<string, Entry> };
  const got = torchLoad(new Uint8Array(readFileSync(join(DIR, 'torch2_storages.pt')))) as Map<string, Tensor>;
  it('has every entry', () => {
    expect([...got.keys()].sort()).toEqual(Object.keys(want.entries).sort());
  });
  for (const [name, e] of Object.entries(want.entries)) {
    it(name, () => {
      const t = got.get(name)!;
      expect(t).toBeInstanceOf(Tensor);
      expect(t.dims).toEqual(e.shape);
      const src = tensorSource(t)!;
      expect(src.dtype).toBe(e.dtype);
      if (e.int_repr) {
        expect(t.toNumbers()).toEqual(e.int_repr);
        const q = src.quantization!;
        expect(q.scheme).toBe(e.scheme);
        if (q.scheme === 'per_tensor_affine') expect([q.scale, q.zeroPoint]).toEqual([e.scale, e.zero_point]);
        else expect([q.scales, q.zeroPoints, q.axis]).toEqual([e.scales, e.zero_points, e.axis]);
      } else {
        expect(t.type).toBe('complex64');
        expect(Array.from(t.data as Float32Array)).toEqual(e.values!.flat());
      }
    });
  }
});
