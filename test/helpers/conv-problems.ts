// Convolution problems and their references, shared by the property suites of the JS conv and
// Winograd kernels (test/props/conv-f32.test.ts, winograd.test.ts) and of the WebAssembly engine
// (test/helpers/wasm-engine-properties.ts): the same generators, the same reference sums, and the
// tolerance as a count of float32 roundings that each suite derives from its kernel's bound.

import fc from 'fast-check';
import type { ConvGeometry } from '../../kernels/conv.js';
import { type ConvEpilogueF32, convPackedF32, convScratchElementsF32, packConvF32 } from '../../kernels/conv-f32.js';
import type { GemmActivation, GemmEngine } from '../../kernels/gemm-f32.js';
import { convReference } from '../../kernels/reference/conv.js';
import { activationReference } from '../../kernels/reference/gemm.js';
import { type PackedWinogradF32, type WinogradTile, packWinogradF32, winogradConvF32 } from '../../kernels/winograd-f32.js';

export const prod = (v: readonly number[]): number => v.reduce((x, y) => x * y, 1);
export const EPS = 2 ** -24;

export const smallInt = fc.integer({ min: -4, max: 4 });
export const wide = fc.double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true });
export const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, 1e3, -1e3);
export const exactActs = fc.constantFrom<GemmActivation>(
  { kind: 'none' }, { kind: 'relu' }, { kind: 'clip', min: 0, max: 6 }, { kind: 'leakyrelu', alpha: 0.5 },
);
export const allActs = fc.oneof(exactActs, fc.constantFrom<GemmActivation>(
  { kind: 'sigmoid' }, { kind: 'hardswish' }, { kind: 'silu' }, { kind: 'gelu' }, { kind: 'gelu-tanh' },
  { kind: 'hardsigmoid', alpha: 0.2, beta: 0.5 }, { kind: 'leakyrelu', alpha: 0.01 },
));

// ---- im2col / pointwise / depthwise convs ------------------------------------------------------

export interface ConvProblem {
  g: ConvGeometry;
  x: number[]; w: number[]; bias: number[] | null; residual: number[] | null;
  act: GemmActivation;
  scratch: boolean;
}

export interface ConvShape {
  rank?: number; maxSize?: number; kernels?: readonly number[]; strides?: readonly number[];
  depthwise?: boolean; cg?: [number, number]; mg?: [number, number];
}

/** Random convs: 1-D to 3-D, groups, strides, dilations, pads, batch 0-2, bias, residual. */
export function convProblem(values: fc.Arbitrary<number>, acts: fc.Arbitrary<GemmActivation>, s: ConvShape = {}): fc.Arbitrary<ConvProblem> {
  return (s.rank ? fc.constant(s.rank) : fc.integer({ min: 1, max: 3 })).chain((rank) => {
    const axis = fc.record({
      size: fc.integer({ min: 0, max: s.maxSize ?? (rank === 3 ? 5 : 9) }),
      k: s.kernels ? fc.constantFrom(...s.kernels) : fc.integer({ min: 1, max: rank === 3 ? 3 : 5 }),
      s: s.strides ? fc.constantFrom(...s.strides) : fc.integer({ min: 1, max: 3 }),
      d: fc.integer({ min: 1, max: 2 }),
      pb: fc.integer({ min: 0, max: 2 }),
      pe: fc.integer({ min: 0, max: 2 }),
    });
    return fc.record({
      axes: fc.array(axis, { minLength: rank, maxLength: rank }),
      batch: fc.integer({ min: 0, max: 2 }),
      group: fc.integer({ min: 1, max: 3 }),
      cg: s.depthwise ? fc.constant(1) : fc.integer({ min: s.cg?.[0] ?? 1, max: s.cg?.[1] ?? 3 }),
      mg: fc.integer({ min: s.mg?.[0] ?? 1, max: s.mg?.[1] ?? 3 }),
      hasBias: fc.boolean(), hasResidual: fc.boolean(), scratch: fc.boolean(), act: acts,
    });
  }).filter(({ axes }) => axes.every((a) => a.size + a.pb + a.pe >= (a.k - 1) * a.d + 1))
    .chain(({ axes, batch, group, cg, mg, hasBias, hasResidual, scratch, act }) => {
      const g: ConvGeometry = {
        batch, inChannels: group * cg, outChannels: group * mg, group,
        inSize: axes.map((a) => a.size),
        outSize: axes.map((a) => Math.floor((a.size + a.pb + a.pe - ((a.k - 1) * a.d + 1)) / a.s) + 1),
        kernel: axes.map((a) => a.k), strides: axes.map((a) => a.s), dilations: axes.map((a) => a.d),
        padsBegin: axes.map((a) => a.pb),
      };
      const ySize = batch * g.outChannels * prod(g.outSize);
      const arr = (v: fc.Arbitrary<number>, n: number) => fc.array(v, { minLength: n, maxLength: n });
      return fc.record({
        g: fc.constant(g),
        x: arr(values, batch * g.inChannels * prod(g.inSize)),
        w: arr(values, g.outChannels * cg * prod(g.kernel)),
        bias: hasBias ? arr(smallInt, g.outChannels) : fc.constant(null),
        residual: hasResidual ? arr(smallInt, ySize) : fc.constant(null),
        act: fc.constant(act), scratch: fc.constant(scratch),
      });
    });
}

/** convPackedF32 on `engine` (default: JS), into a Y full of NaN (every element must be written). */
export function runConv(p: ConvProblem, engine?: GemmEngine): Float32Array {
  const y = new Float32Array(p.g.batch * p.g.outChannels * prod(p.g.outSize)).fill(Number.NaN);
  const packed = packConvF32(Float32Array.from(p.w), p.g);
  // Caller scratch of exactly the advertised size, full of NaN: the kernel must not read stale values.
  const scratch = p.scratch ? new Float32Array(convScratchElementsF32(p.g)).fill(Number.NaN) : undefined;
  const ep: ConvEpilogueF32 = {
    bias: p.bias && Float32Array.from(p.bias),
    ...(p.residual ? { residual: Float32Array.from(p.residual) } : {}),
    activation: p.act,
    ...(scratch ? { scratch } : {}),
    ...(engine ? { engine } : {}),
  };
  convPackedF32(Float32Array.from(p.x), packed, y, p.g, ep);
  return y;
}

/**
 * The direct sum (float64) through the epilogue, and per element a tolerance of `roundings(p)`
 * float32 roundings of its magnitude (sum of |products| + |bias| + |residual|), 20% more for the
 * activation's Lipschitz constant, plus the activation's own rounding.
 */
export function convExpected(p: ConvProblem, roundings: number): { want: number[]; tol: number[] } {
  const x = Array.from(Float32Array.from(p.x));
  const w = Array.from(Float32Array.from(p.w));
  const { out, absSum } = convReference(x, w, p.bias, p.g);
  const want: number[] = [];
  const tol: number[] = [];
  out.forEach((v, i) => {
    const r = p.residual ? p.residual[i]! : 0;
    const y = activationReference(p.act, v + r);
    want.push(y);
    tol.push(1.2 * EPS * roundings * (absSum[i]! + Math.abs(r)) + 2 ** -22 * Math.abs(y) + 2 ** -126);
  });
  return { want, tol };
}

/** Where got and want disagree beyond tol (NaN and ±Inf must match exactly), or null. */
export function mismatch(got: Float32Array, want: readonly number[], tol: readonly number[]): string | null {
  if (got.length !== want.length) return `length ${got.length}, want ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const ok = Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= tol[i]!;
    if (!ok) return `element ${i}: got ${g}, want ${w} (tolerance ${tol[i]})`;
  }
  return null;
}

/** Exactly the reference (small integers: every partial sum exact in float32), -0 equal to 0. */
export function exactMismatch(got: Float32Array, want: readonly number[]): string | null {
  if (got.length !== want.length) return `length ${got.length}, want ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    if (got[i]! + 0 !== want[i]! + 0 && !(Number.isNaN(got[i]!) && Number.isNaN(want[i]!))) return `element ${i}: got ${got[i]}, want ${want[i]}`;
  }
  return null;
}

// ---- Winograd ----------------------------------------------------------------------------------


/** The transforms of Lavin & Gray, row-major: B^T (a x a), G (a x 3), A^T (m x a). */
export const TRANSFORMS: Record<WinogradTile, { BT: number[][]; G: number[][]; AT: number[][] }> = {
  2: {
    BT: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
    G: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
    AT: [[1, 1, 1, 0], [0, 1, -1, -1]],
  },
  4: {
    BT: [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
    G: [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
    AT: [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
  },
};

/** L X R for small dense matrices. */
export function sandwich(L: number[][], X: number[][], R: number[][]): number[][] {
  const LX = L.map((row) => X[0]!.map((_, j) => row.reduce((s, v, k) => s + v * X[k]![j]!, 0)));
  return LX.map((row) => R[0]!.map((_, j) => row.reduce((s, v, k) => s + v * R[k]![j]!, 0)));
}
export const transpose = (X: number[][]): number[][] => X[0]!.map((_, j) => X.map((r) => r[j]!));
const absM = (X: number[][]): number[][] => X.map((r) => r.map(Math.abs));

/** P of the header for every output element (N x M x OH x OW). */
export function winogradMagnitude(x: ArrayLike<number>, w: ArrayLike<number>, g: ConvGeometry, tile: WinogradTile): Float64Array {
  const { BT, G, AT } = TRANSFORMS[tile];
  const [aBT, aG, aAT] = [absM(BT), absM(G), absM(AT)];
  const a = tile + 2;
  const { batch: N, inChannels: C, outChannels: M } = g;
  const [H, W] = g.inSize as [number, number];
  const [OH, OW] = g.outSize as [number, number];
  const [pt, pl] = g.padsBegin as [number, number];
  const out = new Float64Array(N * M * OH * OW);
  // |U| bounds per (o, c), computed once.
  const uAbs: number[][][] = [];
  for (let o = 0; o < M; o++) {
    for (let c = 0; c < C; c++) {
      const k = [0, 1, 2].map((r) => [0, 1, 2].map((q) => Math.abs(w[(o * C + c) * 9 + r * 3 + q]!)));
      uAbs.push(sandwich(aG, k, transpose(aG)));
    }
  }
  for (let n = 0; n < N; n++) {
    for (let ty = 0; ty * tile < OH; ty++) {
      for (let tx = 0; tx * tile < OW; tx++) {
        const vAbs: number[][][] = [];
        for (let c = 0; c < C; c++) {
          const d = Array.from({ length: a }, (_, r) => Array.from({ length: a }, (__, q) => {
            const iy = ty * tile - pt + r;
            const ix = tx * tile - pl + q;
            return iy < 0 || iy >= H || ix < 0 || ix >= W ? 0 : Math.abs(x[((n * C + c) * H + iy) * W + ix]!);
          }));
          vAbs.push(sandwich(aBT, d, transpose(aBT)));
        }
        for (let o = 0; o < M; o++) {
          const m = Array.from({ length: a }, (_, i) => Array.from({ length: a }, (__, j) => {
            let s = 0;
            for (let c = 0; c < C; c++) s += uAbs[o * C + c]![i]![j]! * vAbs[c]![i]![j]!;
            return s;
          }));
          const y = sandwich(aAT, m, transpose(aAT));
          for (let i = 0; i < tile && ty * tile + i < OH; i++) {
            for (let j = 0; j < tile && tx * tile + j < OW; j++) {
              out[((n * M + o) * OH + ty * tile + i) * OW + tx * tile + j] = y[i]![j]!;
            }
          }
        }
      }
    }
  }
  return out;
}

export interface WinogradProblem {
  g: ConvGeometry;
  tile: WinogradTile;
  /** The GEMM layout (both are always correct; the plan picks the faster). */
  tilesAsRows: boolean;
  x: number[]; w: number[]; bias: number[] | null; residual: number[] | null;
  act: GemmActivation;
}

export interface WinogradShape { maxSize?: number; cin?: [number, number]; cout?: [number, number]; tiles?: WinogradTile[] }

/**
 * Random 3x3 stride-1 problems: sizes from 1 (smaller than a tile; the pads make room for the
 * kernel) up, odd and even, independent pads 0-2 per side, batch 1-2 (0 now and then).
 */
export function winogradProblem(xs: fc.Arbitrary<number>, ws: fc.Arbitrary<number>, acts: fc.Arbitrary<GemmActivation>, s: WinogradShape = {}): fc.Arbitrary<WinogradProblem> {
  const axis = fc.record({
    size: fc.integer({ min: 1, max: s.maxSize ?? 13 }),
    pb: fc.integer({ min: 0, max: 2 }),
    pe: fc.integer({ min: 0, max: 2 }),
  }).filter((a) => a.size + a.pb + a.pe >= 3);
  return fc.record({
    ay: axis, ax: axis,
    batch: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 2 }) }, { weight: 1, arbitrary: fc.constant(0) }),
    cin: fc.integer({ min: s.cin?.[0] ?? 1, max: s.cin?.[1] ?? 6 }),
    cout: fc.integer({ min: s.cout?.[0] ?? 1, max: s.cout?.[1] ?? 9 }),
    tile: fc.constantFrom(...(s.tiles ?? [2, 4] as WinogradTile[])),
    tilesAsRows: fc.boolean(),
    hasBias: fc.boolean(), hasResidual: fc.boolean(), act: acts,
  }).chain(({ ay, ax, batch, cin, cout, tile, tilesAsRows, hasBias, hasResidual, act }) => {
    const g: ConvGeometry = {
      batch, inChannels: cin, outChannels: cout, group: 1,
      inSize: [ay.size, ax.size],
      outSize: [ay.size + ay.pb + ay.pe - 2, ax.size + ax.pb + ax.pe - 2],
      kernel: [3, 3], strides: [1, 1], dilations: [1, 1], padsBegin: [ay.pb, ax.pb],
    };
    const arr = (v: fc.Arbitrary<number>, n: number) => fc.array(v, { minLength: n, maxLength: n });
    return fc.record({
      g: fc.constant(g), tile: fc.constant(tile), tilesAsRows: fc.constant(tilesAsRows),
      x: arr(xs, batch * cin * prod(g.inSize)),
      w: arr(ws, cout * cin * 9),
      bias: hasBias ? arr(smallInt, cout) : fc.constant(null),
      residual: hasResidual ? arr(smallInt, batch * cout * prod(g.outSize)) : fc.constant(null),
      act: fc.constant(act),
    });
  });
}

/** winogradConvF32 (weights packed with the problem's tile and layout unless given) on `engine`. */
export function runWinograd(p: WinogradProblem, packed?: PackedWinogradF32, engine?: GemmEngine): Float32Array {
  const y = new Float32Array(p.g.batch * p.g.outChannels * prod(p.g.outSize)).fill(Number.NaN);
  winogradConvF32(Float32Array.from(p.x), packed ?? packWinogradF32(Float32Array.from(p.w), p.g, p), y, p.g, {
    bias: p.bias && Float32Array.from(p.bias),
    ...(p.residual ? { residual: Float32Array.from(p.residual) } : {}),
    activation: p.act,
    ...(engine ? { engine } : {}),
  });
  return y;
}

/**
 * The direct sum through the epilogue, and per element the bound of winograd-f32.ts's header
 * with `gemmRoundings` float32 roundings of the a^2 products (JS: ceil(Cin / 256)), one more for
 * the residual, the activation's Lipschitz constant (<= 1.2) and its own rounding. `direct` is
 * the rounding count of the im2col kernel the Winograd one falls back to (NaN, Inf, huge values).
 */
export function winogradExpected(p: WinogradProblem, gemmRoundings: number, direct = 0): { want: number[]; tol: number[] } {
  const x = Array.from(Float32Array.from(p.x));
  const w = Array.from(Float32Array.from(p.w));
  const { out, absSum } = convReference(x, w, p.bias, p.g);
  const P = winogradMagnitude(x, w, p.g, p.tile);
  const want: number[] = [];
  const tol: number[] = [];
  out.forEach((s, i) => {
    const r = p.residual ? p.residual[i]! : 0;
    const y = activationReference(p.act, s + r);
    want.push(y);
    // With a NaN or Inf in X or W the kernel computes the direct sum: P is then not finite, and
    // the direct sum's magnitude (absSum <= P for finite values) bounds its error.
    const mag = Number.isFinite(P[i]!) ? P[i]! : absSum[i]!;
    const bound = direct === 0 ? (3 + gemmRoundings) * mag : Math.max((3 + gemmRoundings) * mag, direct * absSum[i]!);
    tol.push(1.2 * EPS * (bound + 2 * (Math.abs(s) + Math.abs(r))) + 2 ** -22 * Math.abs(y) + 2 ** -126);
  });
  return { want, tol };
}
