// A module reuses the slabs its small float32 outputs are carved from, call after call
// (ops/aten/slabs.ts). Nothing a caller or the module can still reach may live in a reused slab:
// results are copied out, and a call that stores a tensor where it outlives the call (an
// attribute, a list) does not hand its slabs out again.

import { describe, expect, it } from 'vitest';
import { loadTorchScript } from '../../src/runtime/torchscript/module.js';
import { Tensor } from '../../src/tensor.js';
import { buildArchive } from './archive-builder.js';

function load(body: string) {
  const src = [
    'class M(Module):',
    '  __parameters__ = []',
    '  training : bool',
    '  saved : Tensor',
    '  history : List[Tensor]',
    '  def forward(self: __torch__.M, x: Tensor) -> Tensor:',
    ...body.split('\n').map((l) => `    ${l}`),
  ].join('\n');
  return loadTorchScript(buildArchive({ '__torch__.py': src }));
}

const input = (v: number) => new Tensor('float32', Float32Array.from({ length: 24 }, (_, i) => v + i), [4, 6]);
const values = (t: Tensor) => Array.from(t.data as Float32Array);
const plus = (v: number, k: number) => Array.from({ length: 24 }, (_, i) => v + i + k);
const times = (v: number, k: number) => Array.from({ length: 24 }, (_, i) => (v + i) * k);

describe('slabs reused across module calls', () => {
  it('results of earlier calls keep their values', () => {
    const m = load('return torch.relu(torch.add(torch.mul(x, 1.), 1.))');
    const results = [1, 2, 3, 4].map((v) => m.forward(input(v)) as Tensor);
    results.forEach((r, i) => expect(values(r)).toEqual(plus(i + 1, 1)));
  });

  it('a tensor stored in an attribute keeps its values after later calls', () => {
    const m = load('self.saved = torch.mul(x, 2.)\nreturn torch.add(x, 1.)');
    m.forward(input(1));
    const first = m.root.attributes.get('saved') as Tensor;
    for (const v of [5, 9, 13]) m.forward(input(v));
    expect(values(first)).toEqual(times(1, 2));
    expect(values(m.root.attributes.get('saved') as Tensor)).toEqual(times(13, 2));
  });

  it('tensors appended to a module list keep their values after later calls', () => {
    const m = load('_0 = torch.append(self.history, torch.mul(x, 3.))\nreturn torch.add(x, 1.)');
    m.root.attributes.set('history', []);
    for (const v of [1, 7, 20]) m.forward(input(v));
    const history = m.root.attributes.get('history') as Tensor[];
    expect(history.map(values)).toEqual([times(1, 3), times(7, 3), times(20, 3)]);
  });

  it('after a call that fails, the next call is right', () => {
    const m = load('y = torch.mul(x, 2.)\nassert not bool(torch.gt(torch.sum(x), 1000.)), "too big"\nreturn torch.add(y, 1.)');
    expect(() => m.forward(input(100))).toThrow(/too big/);
    expect(values(m.forward(input(2)) as Tensor)).toEqual(times(2, 2).map((v) => v + 1));
  });
});
