// aten ops carve small float32 outputs from shared slabs (ops/aten/float32.ts); what a call
// returns must hold buffers of its own, so a caller keeping a result keeps only that result.

import { describe, expect, it } from 'vitest';
import { TsTuple } from '../../ops/aten/aten-op.js';
import { loadTorchScript } from '../../src/runtime/torchscript/module.js';
import { Tensor } from '../../src/tensor.js';
import { buildArchive } from './archive-builder.js';

const owns = (t: Tensor): boolean => {
  const d = t.data as Float32Array;
  return d.byteOffset === 0 && d.byteLength === d.buffer.byteLength;
};

describe('results own their buffers', () => {
  const src = [
    'class M(Module):',
    '  __parameters__ = []',
    '  training : bool',
    '  def forward(self: __torch__.M, x: Tensor) -> Tuple[Tensor, List[Tensor], Dict[str, Tensor]]:',
    '    a = torch.relu(torch.add(x, 1.))',
    '    b = torch.mul(x, 2.)',
    '    c = torch.transpose(x, 0, 1)',
    '    return a, [b, c], {"d": torch.sub(x, 3.)}',
  ].join('\n');

  it('tensors in tuples, lists and dicts are copied out of the slabs, with their values', () => {
    const m = loadTorchScript(buildArchive({ '__torch__.py': src }));
    const x = new Tensor('float32', Float32Array.from({ length: 6 }, (_, i) => i - 2), [2, 3]);
    const r = m.forward(x) as TsTuple;
    const [a, list, dict] = r.items as [Tensor, Tensor[], Map<string, Tensor>];
    const all = [a, ...list, dict.get('d')!];
    for (const t of all) expect(owns(t)).toBe(true);
    expect(a.toNumbers()).toEqual([0, 0, 1, 2, 3, 4]);
    expect(list[0]!.toNumbers()).toEqual([-4, -2, 0, 2, 4, 6]);
    expect(list[1]!.dims).toEqual([3, 2]);
    expect(list[1]!.toNumbers()).toEqual([-2, 1, -1, 2, 0, 3]);
    expect(dict.get('d')!.toNumbers()).toEqual([-5, -4, -3, -2, -1, 0]);
  });
});
