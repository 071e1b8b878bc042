// Weights packed once per parameter tensor (ops/aten/prepared.ts) must follow in-place writes:
// mutating a parameter from TorchScript code, then calling the module again, gives the result
// of the new values. References are plain loops over the tensors' current values.

import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor.js';
import { loadTorchScript } from '../../src/runtime/torchscript/module.js';
import { buildArchive } from './archive-builder.js';

/**
 * A root module with tensor attributes `weight` and `bias`, forward(x) running `fwd` (lines; the
 * last is returned) and mutate(s) running `mutate`.
 */
function load(fwd: string, mutate: string) {
  const src = [
    'class M(Module):',
    '  __parameters__ = ["weight", "bias", ]',
    '  __buffers__ = []',
    '  training : bool',
    '  weight : Tensor',
    '  bias : Tensor',
    '  def forward(self: __torch__.M,',
    '    x: Tensor) -> Tensor:',
    ...fwd.split('\n').map((l, i, all) => `    ${i === all.length - 1 ? 'return ' : ''}${l}`),
    '  def mutate(self: __torch__.M,',
    '    s: float) -> Tensor:',
    ...mutate.split('\n').map((l) => `    ${l}`),
    '',
  ].join('\n');
  return loadTorchScript(buildArchive({ '__torch__.py': src }));
}

function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s / 2147483648) * 2 - 1;
  }
  return out;
}

/** x [rows, k] @ w^T ([n, k]) + b [n]. */
function linearRef(x: Tensor, w: Tensor, b: Tensor): number[] {
  const [rows, k] = x.dims as [number, number];
  const n = w.dims[0]!;
  const xd = x.data as Float32Array, wd = w.data as Float32Array, bd = b.data as Float32Array;
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < n; j++) {
      let s = bd[j]!;
      for (let p = 0; p < k; p++) s += xd[i * k + p]! * wd[j * k + p]!;
      out.push(s);
    }
  }
  return out;
}

function expectClose(t: Tensor, ref: readonly number[]): void {
  expect(t.size).toBe(ref.length);
  const d = t.data as Float32Array;
  for (let i = 0; i < ref.length; i++) expect(Math.abs(d[i]! - ref[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(ref[i]!)));
}

describe('packed weights follow in-place writes to the parameter', () => {
  const x = new Tensor('float32', rand(5 * 24, 1), [5, 24]);
  const mutations: [string, string][] = [
    ['mul_ on the parameter', 'return torch.mul_(self.weight, s)'],
    ['copy_ into the parameter', 'return torch.copy_(self.weight, torch.mul(self.weight, s))'],
    ['add_ through a view (shared storage)', 'v = torch.view(self.weight, [-1])\nreturn torch.add_(v, torch.mul(v, s - 1.))'],
    ['zero_ of a row (a select written back into the weight)', 'r = torch.select(self.weight, 0, 3)\nreturn torch.zero_(r)'],
    ['fill_ of a slice', 'r = torch.slice(self.weight, 1, 2, 9)\nreturn torch.fill_(r, s)'],
    ['t() then mul_ (a transposed copy written back)', 'r = torch.t(self.weight)\nreturn torch.mul_(r, s)'],
  ];
  for (const [name, mutate] of mutations) {
    it(`linear, after ${name}`, () => {
      const m = load('torch.linear(x, self.weight, self.bias)', mutate);
      const w = new Tensor('float32', rand(40 * 24, 2), [40, 24]);
      const b = new Tensor('float32', rand(40, 3), [40]);
      m.root.attributes.set('weight', w);
      m.root.attributes.set('bias', b);
      expectClose(m.forward(x) as Tensor, linearRef(x, w, b));
      expectClose(m.forward(x) as Tensor, linearRef(x, w, b)); // from the packed weight
      const before = Float32Array.from(w.data as Float32Array);
      m.call('mutate', [2.5]);
      expect(Array.from(w.data as Float32Array)).not.toEqual(Array.from(before)); // the write reached the weight
      expectClose(m.forward(x) as Tensor, linearRef(x, w, b));
    });
  }

  it('matmul with a weight as B (packed from its second use)', () => {
    // `bias` holds a [24, 40] matrix here.
    const b = new Tensor('float32', rand(24 * 40, 4), [24, 40]);
    const m = load('torch.matmul(x, self.bias)', 'return torch.mul_(self.bias, s)');
    m.root.attributes.set('bias', b);
    const ref = () => {
      const w = new Tensor('float32', new Float32Array(40 * 24), [40, 24]);
      const bd = b.data as Float32Array;
      for (let p = 0; p < 24; p++) for (let j = 0; j < 40; j++) (w.data as Float32Array)[j * 24 + p] = bd[p * 40 + j]!;
      return linearRef(x, w, new Tensor('float32', new Float32Array(40), [40]));
    };
    for (let i = 0; i < 3; i++) expectClose(m.forward(x) as Tensor, ref());
    m.call('mutate', [-3]);
    expectClose(m.forward(x) as Tensor, ref());
  });

  // [Cout, Cin, H, W]: 4x3 on 6x5 runs the im2col kernel; 8x4 on 16x16 runs Winograd (kernels/winograd-f32.ts).
  for (const [M, C, H, W] of [[4, 3, 6, 5], [8, 4, 16, 16]] as const) {
    it(`conv2d ${M}x${C} on ${H}x${W}, after mul_ on one output channel of the weight`, () => {
      const m = load('torch.conv2d(x, self.weight, self.bias, [1, 1], [1, 1])', 'r = torch.select(self.weight, 0, 1)\nreturn torch.mul_(r, s)');
      const w = new Tensor('float32', rand(M * C * 9, 5), [M, C, 3, 3]);
      const b = new Tensor('float32', rand(M, 6), [M]);
      m.root.attributes.set('weight', w);
      m.root.attributes.set('bias', b);
      const xi = new Tensor('float32', rand(C * H * W, 7), [1, C, H, W]);
      const ref = (): number[] => {
        const out: number[] = [];
        const xd = xi.data as Float32Array, wd = w.data as Float32Array, bd = b.data as Float32Array;
        for (let o = 0; o < M; o++) {
          for (let y = 0; y < H; y++) {
            for (let z = 0; z < W; z++) {
              let s = bd[o]!;
              for (let c = 0; c < C; c++) {
                for (let ky = 0; ky < 3; ky++) {
                  for (let kz = 0; kz < 3; kz++) {
                    const iy = y + ky - 1, iz = z + kz - 1;
                    if (iy >= 0 && iy < H && iz >= 0 && iz < W) s += xd[(c * H + iy) * W + iz]! * wd[((o * C + c) * 3 + ky) * 3 + kz]!;
                  }
                }
              }
              out.push(s);
            }
          }
        }
        return out;
      };
      expectClose(m.forward(xi) as Tensor, ref());
      expectClose(m.forward(xi) as Tensor, ref());
      m.call('mutate', [-2]);
      expectClose(m.forward(xi) as Tensor, ref());
    });
  }
});

describe('prepared LSTM weights follow in-place writes', () => {
  it('aten::lstm after mul_ on one weight gives what fresh (never prepared) weights give', () => {
    // weight = W_ih [4 * 5, 3], bias = W_hh [4 * 5, 5]; no biases.
    const fwd = 'out = torch.lstm(x, [torch.zeros([1, 2, 5]), torch.zeros([1, 2, 5])], [self.weight, self.bias], False, 1, 0., False, False, False)\nout[0]';
    const m = load(fwd, 'return torch.mul_(self.bias, s)');
    const x = new Tensor('float32', rand(4 * 2 * 3, 8), [4, 2, 3]);
    m.root.attributes.set('weight', new Tensor('float32', rand(20 * 3, 9), [20, 3]));
    m.root.attributes.set('bias', new Tensor('float32', rand(20 * 5, 10), [20, 5]));
    const fresh = (): Tensor => {
      const f = load(fwd, 'return self.bias');
      for (const k of ['weight', 'bias']) {
        const t = m.root.attributes.get(k) as Tensor;
        f.root.attributes.set(k, new Tensor('float32', Float32Array.from(t.data as Float32Array), t.dims));
      }
      return f.forward(x) as Tensor;
    };
    const first = m.forward(x) as Tensor;
    expectClose(m.forward(x) as Tensor, Array.from(first.data as Float32Array));
    m.call('mutate', [-1.5]);
    const after = m.forward(x) as Tensor;
    expect(Array.from(after.data as Float32Array)).not.toEqual(Array.from(first.data as Float32Array));
    expectClose(after, Array.from(fresh().data as Float32Array));
  });
});
