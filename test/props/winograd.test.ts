import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConvGeometry } from '../../kernels/conv.js';
import { convReference } from '../../kernels/reference/conv.js';
import {
  type PackedWinogradF32, type WinogradTile, packTransformedWinogradF32, winogradPlanFor,
} from '../../kernels/winograd-f32.js';
import type { GemmEngine } from '../../kernels/gemm-f32.js';
import { wasmSimdGemmEngine } from '../../kernels/wasm/engine.js';
import { InferenceSession } from '../../src/api/session.js';
import { Tensor } from '../../src/tensor.js';
import {
  type WinogradProblem, TRANSFORMS, allActs, exactActs, mismatch, runWinograd, sandwich, smallInt, special, transpose,
  wide, winogradExpected, winogradProblem,
} from '../helpers/conv-problems.js';
import { f32raw, writeModel } from '../helpers/onnx-writer.js';

// Winograd F(2x2, 3x3) and F(4x4, 3x3) (kernels/winograd-f32.ts) with its fused epilogue,
// against the direct sum in kernels/reference/conv.ts, within the bound of the kernel's header:
//     |y~ - y| <= eps |y| + (3 + ceil(Cin / 256)) eps P,   eps = 2^-24,
//     P = sum_c sum_xi |A^T[o, xi]| (|G| |g_c| |G|^T)_xi (|B^T| |d_c| |B|)_xi
// (P is the sum of |tap| x |input| over every tap and every input of the output's tile,
// weighted by the transforms' absolute coefficients; computed here from the textbook matrices).

type Problem = WinogradProblem;
const problem = winogradProblem;
const runFast = (p: Problem, packed?: PackedWinogradF32): Float32Array => runWinograd(p, packed);
/** The header's bound with the JS GEMM: one float32 rounding per 256-deep K block. */
const runReference = (p: Problem) => winogradExpected(p, Math.ceil(p.g.inChannels / 256));

const bounded = (p: Problem) => {
  const { want, tol } = runReference(p);
  const bad = mismatch(runFast(p), want, tol);
  if (bad !== null) throw new Error(bad);
};

/** U = G g G^T with the given G (a x 3), packed as the kernel packs it. */
function packWith(w: Float32Array, g: ConvGeometry, tile: WinogradTile, tilesAsRows: boolean, G: number[][]): PackedWinogradF32 {
  const a = tile + 2;
  const { outChannels: M, inChannels: C } = g;
  const u = new Float32Array(a * a * M * C);
  for (let o = 0; o < M; o++) {
    for (let c = 0; c < C; c++) {
      const k = [0, 1, 2].map((r) => [0, 1, 2].map((q) => w[(o * C + c) * 9 + r * 3 + q]!));
      const U = sandwich(G, k, transpose(G));
      for (let i = 0; i < a; i++) for (let j = 0; j < a; j++) u[((i * a + j) * M + o) * C + c] = U[i]![j]!;
    }
  }
  return packTransformedWinogradF32(u, w, g, tile, tilesAsRows);
}

describe('winogradConvF32 vs the direct sum', () => {
  it('F(2x2) on small integers is exact (its transforms only halve), with every exact epilogue', () => {
    fc.assert(fc.property(problem(smallInt, smallInt, exactActs, { tiles: [2] }), (p) => {
      const { want } = runReference(p);
      expect(Array.from(runFast(p), (v) => v + 0)).toEqual(want.map((v) => v + 0));
    }), { numRuns: 150 });
  });

  it('F(2x2) and F(4x4), small integers and values in ±1e3, every activation: within the bound', () => {
    fc.assert(fc.property(problem(smallInt, smallInt, allActs), bounded), { numRuns: 150 });
    fc.assert(fc.property(problem(wide, wide, allActs), bounded), { numRuns: 150 });
  });

  it('many channels (two 256-deep K blocks) and more output channels than one GEMM tile', () => {
    fc.assert(fc.property(problem(wide, wide, allActs, { maxSize: 6, cin: [250, 300], cout: [1, 6] }), bounded), { numRuns: 12 });
    fc.assert(fc.property(problem(wide, wide, exactActs, { maxSize: 7, cin: [5, 20], cout: [30, 70] }), bounded), { numRuns: 20 });
  });

  it('images wider than one chunk of tiles (several chunks, a chunk spanning two images)', () => {
    fc.assert(fc.property(problem(wide, wide, allActs, { maxSize: 70, cin: [1, 3], cout: [1, 3] }), bounded), { numRuns: 15 });
  });

  it('NaN and ±Inf propagate as in the direct sum (the kernel takes the im2col path for them)', () => {
    const values = fc.oneof({ weight: 1, arbitrary: special }, { weight: 8, arbitrary: smallInt });
    fc.assert(fc.property(problem(values, smallInt, allActs), bounded), { numRuns: 100 });
    fc.assert(fc.property(problem(smallInt, values, allActs), bounded), { numRuns: 60 });
  });

  it('inputs large enough that a transformed value could overflow float32 give the direct result', () => {
    // |y| <= 3 channels x 9 taps x 1e37 stays finite; F(4x4)'s V = B^T d B can reach 100 x 1e37.
    const huge = fc.oneof(fc.constantFrom(1e37, -1e37, 0), fc.double({ min: -1e37, max: 1e37, noNaN: true }));
    const unit = fc.constantFrom(1, -1, 0);
    fc.assert(fc.property(problem(huge, unit, exactActs, { cin: [1, 3] }), bounded), { numRuns: 60 });
    // Near the float32 limit with tiny weights: y is small, but V of F(2x2) can reach 4 |d|.
    const top = fc.constantFrom(3e38, -3e38, 1e38, 0, 1);
    const tiny = fc.constantFrom(1e-30, -1e-30, 0);
    fc.assert(fc.property(problem(top, tiny, exactActs, { cin: [1, 3] }), bounded), { numRuns: 60 });
  });

  it('the weight transform of the test reproduces the kernel, and a transform off by 2^-10 fails the bound', () => {
    const rnd = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 12.9898) * 8);
    for (const [tile, tilesAsRows] of [[2, true], [2, false], [4, true], [4, false]] as const) {
      const g: ConvGeometry = {
        batch: 1, inChannels: 5, outChannels: 6, group: 1, inSize: [9, 10], outSize: [9, 10],
        kernel: [3, 3], strides: [1, 1], dilations: [1, 1], padsBegin: [1, 1],
      };
      const p: Problem = { g, tile, tilesAsRows, x: Array.from(rnd(5 * 90, 1)), w: Array.from(rnd(6 * 5 * 9, 2)), bias: null, residual: null, act: { kind: 'none' } };
      const { want, tol } = runReference(p);
      const w = Float32Array.from(p.w);
      const G = TRANSFORMS[tile].G;
      expect(mismatch(runFast(p, packWith(w, g, tile, tilesAsRows, G)), want, tol)).toBeNull();
      // One coefficient of G off by one part in 1024, in each row in turn: every one is caught.
      for (let row = 0; row < G.length; row++) {
        const broken = G.map((r, i) => (i === row ? r.map((v, j) => (j === row % 3 ? v * (1 + 2 ** -10) + (v === 0 ? 2 ** -10 : 0) : v)) : r));
        expect(mismatch(runFast(p, packWith(w, g, tile, tilesAsRows, broken)), want, tol), `G row ${row}`).not.toBeNull();
      }
    }
  });
});

describe('winogradPlanFor (the dispatch rule)', () => {
  const conv = (c: number, m: number, h: number, w: number, o: Partial<ConvGeometry> = {}): ConvGeometry => ({
    batch: 1, inChannels: c, outChannels: m, group: 1, inSize: [h, w], outSize: [h, w], kernel: [3, 3],
    strides: [1, 1], dilations: [1, 1], padsBegin: [1, 1], ...o,
  });
  const plan = (g: ConvGeometry, perCall = false, engine?: GemmEngine) => {
    const p = winogradPlanFor(g, perCall, engine);
    return p === null ? 'im2col' : `F${p.tile} ${p.tilesAsRows ? 'rows' : 'columns'}`;
  };
  it('F(4x4) for large images, F(2x2) where it multiplies as little, im2col where Winograd would not pay', () => {
    expect(plan(conv(64, 64, 56, 56))).toBe('F4 rows');
    expect(plan(conv(512, 512, 7, 7))).toBe('F4 rows');
    expect(plan(conv(128, 128, 28, 28))).toBe('F4 columns');
    expect(plan(conv(256, 256, 6, 6))).toBe('F2 columns');
    expect(plan(conv(512, 512, 3, 3))).toBe('F4 columns');
    expect(plan(conv(64, 64, 2, 2))).toBe('F2 columns');
    expect(plan(conv(512, 512, 1, 1))).toBe('im2col');
    expect(plan(conv(1, 8, 28, 28))).toBe('im2col');
    expect(plan(conv(64, 64, 56, 56, { strides: [2, 2], outSize: [28, 28] }))).toBe('im2col');
    expect(plan(conv(64, 64, 56, 56, { group: 2 }))).toBe('im2col');
    expect(plan(conv(64, 64, 56, 56, { dilations: [2, 2], outSize: [54, 54] }))).toBe('im2col');
    expect(plan({ ...conv(64, 64, 56, 56), inSize: [56], outSize: [56], kernel: [3], strides: [1], dilations: [1], padsBegin: [1] })).toBe('im2col');
  });

  it('weights transformed per call: Winograd only where it saves enough multiplies to pay for the transform', () => {
    expect(plan(conv(128, 128, 28, 28), true)).toBe('F4 columns');
    expect(plan(conv(256, 256, 14, 14), true)).toBe('F4 rows');
    expect(plan(conv(512, 512, 7, 7), true)).toBe('im2col');
    expect(plan(conv(512, 512, 7, 7, { batch: 4 }), true)).toBe('F4 rows');
    expect(plan(conv(256, 256, 6, 6), true)).toBe('im2col');
  });

  it('on the wasm engine: tiles as rows, counting the rows of tiles padded to a multiple of 4', () => {
    const e = wasmSimdGemmEngine()!;
    expect(plan(conv(64, 64, 56, 56), false, e)).toBe('F4 rows');
    expect(plan(conv(128, 128, 28, 28), false, e)).toBe('F4 rows');
    expect(plan(conv(64, 64, 24, 24), false, e)).toBe('F4 rows');
    expect(plan(conv(512, 512, 7, 7), false, e)).toBe('F2 rows');
    expect(plan(conv(256, 256, 6, 6), false, e)).toBe('F2 rows');
    expect(plan(conv(512, 512, 3, 3), false, e)).toBe('im2col');
    expect(plan(conv(512, 512, 1, 1), false, e)).toBe('im2col');
    expect(plan(conv(1, 8, 28, 28), false, e)).toBe('im2col');
    expect(plan(conv(64, 64, 56, 56, { strides: [2, 2], outSize: [28, 28] }), false, e)).toBe('im2col');
    expect(plan(conv(512, 512, 7, 7), true, e)).toBe('im2col');
  });

  it('a Conv session whose input size changes between runs switches kernels and stays right', async () => {
    const [C, M] = [4, 6];
    const w = Float32Array.from({ length: M * C * 9 }, (_, i) => ((i * 5) % 9) - 4);
    const b = Float32Array.from({ length: M }, (_, i) => i - 3);
    const session = await InferenceSession.create(writeModel({
      opsets: [['', 13]],
      graph: {
        nodes: [{ op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: [{ name: 'pads', ints: [1, 1, 1, 1] }] }],
        inputs: [{ name: 'x', elemType: 1, shape: [1, C, 'h', 'w'] }],
        outputs: [{ name: 'y', elemType: 1 }],
        initializers: [
          { name: 'w', dataType: 1, dims: [M, C, 3, 3], raw: f32raw(Array.from(w)) },
          { name: 'b', dataType: 1, dims: [M], raw: f32raw(Array.from(b)) },
        ],
      },
    }));
    for (const [h, wd] of [[20, 17], [6, 6], [1, 1], [20, 17], [5, 9]] as const) {
      const g = conv(C, M, h, wd);
      expect(winogradPlanFor(g)?.tile ?? 0).toBe(h === 1 ? 0 : h === 6 ? 2 : 4);
      const x = Float32Array.from({ length: C * h * wd }, (_, i) => ((i * 7) % 11) - 5);
      const out = await session.run({ x: new Tensor('float32', x, [1, C, h, wd]) });
      const { out: want } = convReference(x, w, b, g);
      expect(Array.from(out.y!.data as Float32Array).map((v) => Math.round(v * 64) / 64 + 0)).toEqual(Array.from(want));
    }
  });
});
