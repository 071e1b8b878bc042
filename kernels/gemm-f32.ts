// Float32 GEMM: C = epilogue(alpha * op(A) @ op(B) [+ C]), cache-blocked (Goto/BLIS style).
//
// Layout. A K block of op(A) (rows x kc) is packed as MR-row strips, each kc x MR floats
// (element (i, p) of a strip at p * MR + i); a K block of op(B) (kc x cols) as NR-column
// strips, each kc x NR floats. Panels are Float32Array: half the bytes of float64 panels,
// so twice the K depth fits in L1/L2. Either operand can be packed once and kept
// (`packGemmA` / `packGemmB`): a constant Conv/Gemm/MatMul weight is then never re-packed.
//
// Micro-kernel: MR x NR = 4 x 8, chosen by measurement in V8 (bench/kernels.ts; 4x4, 6x8,
// 8x8 and 8x4 were slower: past ~32 accumulators TurboFan spills them to the stack).
// The 32 accumulators are locals written straight to C, no tile array.
//
// Accumulation order and error. Every product a*b of two float32 values is exact in
// float64, and the micro-kernel sums the kc products of one K block in float64 locals
// (JS numbers: there is no cheaper float32 accumulator; rounding each step with
// Math.fround would cost time and lose accuracy). At the end of a K block the partial
// sum is added to C and rounded to float32 once. K is split into ceil(k / KC) equal
// blocks of at most KC = 256, so for an exact dot product s = sum |a_p b_p|:
//     |C - exact| <= (k * 2^-53 + ceil(k / 256) * 2^-24) * s      (to first order)
// i.e. about one float32 rounding per 256 terms instead of one per term. The epilogue
// (bias, residual, activation) is applied once per output element after the last K block.
// Edge tiles (fewer than MR rows or NR columns) use a column-at-a-time kernel with the
// same order. Matrix-vector shapes (M = 1, or N < 4) skip packing: a dot product per
// output in float64 (four interleaved partial sums), rounded once; so do products whose B
// has contiguous columns (stored N x K) when M < MR, or K <= 16 and B is not prepacked: one
// float64 sum per output in order of depth, four columns of B per pass over a row of A
// (dotColumnsF32; 1.9 -> 3.4 GFLOP/s for a 1x32x128 recurrent step).
//
// The module-level scratch panels are grown on demand and reused: kernels run
// synchronously, so two calls never share them at once.

import type { ConvGeometry } from './conv.js';
import type { PackedWinogradF32 } from './winograd-f32.js';
import type { PoolGeometry } from './pool.js';
import { geluErf } from './elementwise-unary-erf.js';
import { packStrips } from './gemm-pack.js';

/** Rows of the micro-kernel tile (A strips are MR wide). */
export const GEMM_MR = 4;
/** Columns of the micro-kernel tile (B strips are NR wide). */
export const GEMM_NR = 8;
const MR = GEMM_MR;
const NR = GEMM_NR;
/** Rows of A per block (an MC x KC block of A stays in L2). */
const MC = 64;
/** Depth of a K block. */
const KC = 256;
/** Columns of B per block (a KC x NC block of B stays in L2; one KC x NR strip in L1). */
const NC = 256;

/** The depth of each K block for a product of depth k: equal blocks of at most KC. */
export function gemmBlockDepth(k: number): number {
  return k === 0 ? 0 : Math.ceil(k / Math.ceil(k / KC));
}

// ---- epilogue ----------------------------------------------------------------------------

/** The activation applied to each output element after bias and residual. */
export type GemmActivation =
  | { readonly kind: 'none' }
  | { readonly kind: 'relu' }
  /** Clip (Relu6 is min 0, max 6). */
  | { readonly kind: 'clip'; readonly min: number; readonly max: number }
  | { readonly kind: 'sigmoid' }
  /** max(0, min(1, alpha * v + beta)). */
  | { readonly kind: 'hardsigmoid'; readonly alpha: number; readonly beta: number }
  /** v * max(0, min(1, v / 6 + 1 / 2)). */
  | { readonly kind: 'hardswish' }
  /** v * sigmoid(v) (Swish with alpha 1). */
  | { readonly kind: 'silu' }
  /** 0.5 v (1 + erf(v / sqrt 2)). */
  | { readonly kind: 'gelu' }
  /** 0.5 v (1 + tanh(sqrt(2 / pi) (v + 0.044715 v^3))). */
  | { readonly kind: 'gelu-tanh' }
  | { readonly kind: 'leakyrelu'; readonly alpha: number };

/**
 * What happens to each output element after the last K block, in this order:
 *   v = C[i, j] + biasScale * bias[biasOffset + i * biasRowStride + j * biasColStride]
 *         + residual[residualOffset + i * ldr + j];
 *   C[i, j] = activation(v)
 * Bias strides of 0 broadcast: (1, 0) is one value per row (a conv's output channel),
 * (0, 1) one per column (a Linear layer's bias). Indices i, j are of the whole product.
 */
export interface GemmEpilogue {
  readonly bias?: Float32Array;
  readonly biasOffset?: number;
  readonly biasRowStride?: number;
  readonly biasColStride?: number;
  /** Scales the bias (Gemm's beta; default 1). */
  readonly biasScale?: number;
  readonly residual?: Float32Array;
  readonly residualOffset?: number;
  /** Row stride of the residual (default: N). */
  readonly ldr?: number;
  readonly activation?: GemmActivation;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function clampSlow(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * min(max(v, 0), hi), with max(v, 0) branch-free: on random signs a compare-and-branch
 * mispredicts half the time, which in V8 costs more than the whole GEMM of a small-K layer.
 * 0.5 (v + |v|) is exact for every finite v; -Inf makes it NaN, and the rarely taken
 * fallback fixes that. The upper bound is a branch, but a predictable one.
 */
function clampFromZero(v: number, hi: number): number {
  let r = 0.5 * (v + Math.abs(v));
  if (r !== r) r = clampSlow(v, 0, hi);
  return r > hi ? hi : r;
}

/**
 * c[from:to] = act(c[from:to] + add), one loop per activation so each stays monomorphic.
 * The max(v, 0) of relu, relu6 and the hard activations is branch-free (see clampFromZero);
 * leakyrelu is 0.5 (1 + alpha) v + 0.5 (1 - alpha) |v| (exact for alpha = 0.5, within a
 * float64 rounding of alpha * v otherwise), with the same fallback for ±Inf.
 */
function activateRange(c: Float32Array, from: number, to: number, add: number, act: GemmActivation): void {
  switch (act.kind) {
    case 'none':
      if (add !== 0) for (let x = from; x < to; x++) c[x] += add;
      return;
    case 'relu':
      for (let x = from; x < to; x++) {
        const v = c[x]! + add;
        const r = 0.5 * (v + Math.abs(v));
        c[x] = r === r ? r : v < 0 ? 0 : v;
      }
      return;
    case 'clip': {
      const lo = act.min, hi = act.max;
      if (lo === 0) for (let x = from; x < to; x++) c[x] = clampFromZero(c[x]! + add, hi);
      else for (let x = from; x < to; x++) c[x] = clampSlow(c[x]! + add, lo, hi);
      return;
    }
    case 'sigmoid':
      // exp(-v) overflowing to Inf gives 1 / Inf = 0, the right limit: no branch needed.
      for (let x = from; x < to; x++) c[x] = 1 / (1 + Math.exp(-(c[x]! + add)));
      return;
    case 'hardsigmoid': {
      const al = act.alpha, be = act.beta;
      for (let x = from; x < to; x++) c[x] = clampFromZero(al * (c[x]! + add) + be, 1);
      return;
    }
    case 'hardswish':
      for (let x = from; x < to; x++) { const v = c[x]! + add; c[x] = v * clampFromZero((1 / 6) * v + 0.5, 1); }
      return;
    case 'silu':
      for (let x = from; x < to; x++) { const v = c[x]! + add; c[x] = v / (1 + Math.exp(-v)); }
      return;
    case 'gelu':
      for (let x = from; x < to; x++) c[x] = geluErf(c[x]! + add);
      return;
    case 'gelu-tanh':
      for (let x = from; x < to; x++) {
        const v = c[x]! + add;
        c[x] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
      }
      return;
    case 'leakyrelu': {
      // alpha * v for v < 0, else v: 0.5 (1 + alpha) v + 0.5 (1 - alpha) |v|.
      const al = act.alpha, hp = 0.5 * (1 + al), hm = 0.5 * (1 - al);
      for (let x = from; x < to; x++) {
        const v = c[x]! + add;
        const r = hp * v + hm * Math.abs(v);
        c[x] = r === r || v !== v ? r : v < 0 ? al * v : v;
      }
      return;
    }
  }
}

const NO_ACTIVATION: GemmActivation = { kind: 'none' };

/** True when the epilogue changes nothing. */
function isIdentity(ep: GemmEpilogue): boolean {
  return ep.bias === undefined && ep.residual === undefined && (ep.activation === undefined || ep.activation.kind === 'none');
}

/**
 * Applies `ep` to rows [i0, i0 + rows) x columns [j0, j0 + cols) of the product, stored
 * at c[cOff + i * ldc + j]. `n` is the product's width (the residual's default stride).
 * A per-row bias (column stride 0) folds into the activation pass; a strided bias or a
 * residual takes one more pass over the row (rounded to float32 in between, as the
 * unfused Add would).
 */
export function applyGemmEpilogueF32(
  c: Float32Array, cOff: number, ldc: number, n: number,
  i0: number, rows: number, j0: number, cols: number, ep: GemmEpilogue,
): void {
  if (rows <= 0 || cols <= 0 || isIdentity(ep)) return;
  const act = ep.activation ?? NO_ACTIVATION;
  const bias = ep.bias;
  const bo = ep.biasOffset ?? 0;
  const brs = ep.biasRowStride ?? 0;
  const bcs = ep.biasColStride ?? 0;
  const beta = ep.biasScale ?? 1;
  const res = ep.residual;
  const ro = ep.residualOffset ?? 0;
  const ldr = ep.ldr ?? n;
  for (let i = i0; i < i0 + rows; i++) {
    const row = cOff + i * ldc + j0;
    const end = row + cols;
    let add = 0;
    if (bias !== undefined) {
      if (bcs === 0) add = beta * bias[bo + i * brs]!;
      else {
        const b0 = bo + i * brs + j0 * bcs;
        for (let x = row, q = b0; x < end; x++, q += bcs) c[x] += beta * bias[q]!;
      }
    }
    if (res !== undefined) {
      const r0 = ro + i * ldr + j0 - row;
      if (add !== 0) {
        for (let x = row; x < end; x++) c[x] += add + res[r0 + x]!;
        add = 0;
      } else {
        for (let x = row; x < end; x++) c[x] += res[r0 + x]!;
      }
    }
    activateRange(c, row, end, add, act);
  }
}

// ---- packing -----------------------------------------------------------------------------

/** A matrix inside a flat array: element (r, q) is data[offset + r * rowStride + q * colStride]. */
export interface StridedMatrix {
  readonly data: Float32Array;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/** op(A) (m x k) packed once: K block by K block, MR-row strips. Keep it for a constant A. */
export interface PackedGemmA {
  readonly m: number;
  readonly k: number;
  /** Depth of each K block (the last may be shorter). */
  readonly kcMax: number;
  /** Strip b of the K block at depth pc starts at pc * mPad + b * MR * kc. */
  readonly panels: Float32Array;
  readonly mPad: number;
  /** The unpacked operand, for the matrix-vector paths. */
  readonly source: StridedMatrix;
}

/** op(B) (k x n) packed once: K block by K block, NR-column strips. Keep it for a constant B. */
export interface PackedGemmB {
  readonly n: number;
  readonly k: number;
  readonly kcMax: number;
  /** Strip b of the K block at depth pc starts at pc * nPad + b * NR * kc. */
  readonly panels: Float32Array;
  readonly nPad: number;
  readonly source: StridedMatrix;
}

/** Where an operand lives: offset, leading dimension and whether it is stored transposed. */
export interface GemmOperandLayout {
  readonly offset?: number;
  /** Row stride as stored (default: dense). */
  readonly ld?: number;
  /** Stored transposed: A as K x M, B as N x K. */
  readonly trans?: boolean;
}

/** op(A) of an m x k product as a strided matrix (rows i, columns p). */
export function stridedA(a: Float32Array, m: number, k: number, l: GemmOperandLayout = {}): StridedMatrix {
  const ld = l.ld ?? (l.trans === true ? m : k);
  return l.trans === true
    ? { data: a, offset: l.offset ?? 0, rowStride: 1, colStride: ld }
    : { data: a, offset: l.offset ?? 0, rowStride: ld, colStride: 1 };
}

/** op(B) of a k x n product as a strided matrix (rows p, columns j). */
export function stridedB(b: Float32Array, k: number, n: number, l: GemmOperandLayout = {}): StridedMatrix {
  const ld = l.ld ?? (l.trans === true ? k : n);
  return l.trans === true
    ? { data: b, offset: l.offset ?? 0, rowStride: 1, colStride: ld }
    : { data: b, offset: l.offset ?? 0, rowStride: ld, colStride: 1 };
}

/** Packs op(A) (m x k) once, for every later product that uses it. */
export function packGemmA(a: Float32Array, m: number, k: number, layout: GemmOperandLayout = {}): PackedGemmA {
  const src = stridedA(a, m, k, layout);
  const kcMax = gemmBlockDepth(k);
  const mPad = Math.ceil(m / MR) * MR;
  const panels = new Float32Array(mPad * k);
  for (let pc = 0; pc < k; pc += kcMax) {
    const kc = Math.min(kcMax, k - pc);
    packStrips(src.data, src.offset, src.rowStride, src.colStride, 0, m, pc, kc, MR, panels, pc * mPad);
  }
  return { m, k, kcMax, panels, mPad, source: src };
}

/** Packs op(B) (k x n) once, for every later product that uses it. */
export function packGemmB(b: Float32Array, k: number, n: number, layout: GemmOperandLayout = {}): PackedGemmB {
  const src = stridedB(b, k, n, layout);
  const kcMax = gemmBlockDepth(k);
  const nPad = Math.ceil(n / NR) * NR;
  const panels = new Float32Array(nPad * k);
  for (let pc = 0; pc < k; pc += kcMax) {
    const kc = Math.min(kcMax, k - pc);
    // Rows of the packed strips are B's columns j; depth runs down B's rows.
    packStrips(src.data, src.offset, src.colStride, src.rowStride, 0, n, pc, kc, NR, panels, pc * nPad);
  }
  return { n, k, kcMax, panels, nPad, source: src };
}

/**
 * Supplies K blocks of one GEMM operand as packed strips (A: MR-row strips; B: NR-column strips).
 * K is cut as the engines cut it: blocks of gemmBlockDepth(k) (the last may be shorter).
 */
export interface GemmPanelSource {
  /**
   * Makes rows [r0, r0 + rows) (A: rows of op(A); B: columns of op(B)) at depth [pc, pc + kc)
   * available as strips in `panels`; returns where the first strip starts.
   */
  prepare(pc: number, kc: number, r0: number, rows: number): number;
  /** Read after `prepare`. */
  readonly panels: Float32Array;
  /**
   * Writes the strips `prepare` would make available (same layout; the padding of a last,
   * partial strip may hold anything, since engines never store what it computes) into dst from
   * `at`, without going through `panels`: for engines whose panels live elsewhere (the
   * WebAssembly engine packs straight into its memory). Optional: an engine without it calls
   * `prepare` and copies.
   */
  packInto?(dst: Float32Array, at: number, pc: number, kc: number, r0: number, rows: number): void;
  /**
   * True when `panels` already holds every strip, never changes while the source lives, and
   * `prepare` only computes where (weights packed once). An engine may then keep its own copy of
   * `panels` (the WebAssembly engine keeps it resident in its memory) and address it with
   * `prepare`'s offsets.
   */
  readonly constant?: boolean;
  /**
   * Set when the source is exactly this strided matrix packed on the fly (A: rows i, columns p;
   * B: rows p, columns j), so an engine may copy it whole and pack it its own way.
   */
  readonly matrix?: StridedMatrix;
  /**
   * Set when the source (B) is the column matrix of this convolution's (image, group), its first
   * input channel at x[offset] (Im2colSource in conv-f32.ts), so an engine may build it its own way.
   */
  readonly im2col?: { readonly x: Float32Array; readonly offset: number; readonly g: ConvGeometry };
}

/** Panels packed ahead of time by packGemmA / packGemmB. */
class PrepackedSource implements GemmPanelSource {
  readonly constant = true;
  constructor(readonly panels: Float32Array, private readonly pad: number) {}
  prepare(pc: number, kc: number, r0: number): number {
    return pc * this.pad + r0 * kc;
  }
}

let scratchA: Float32Array = new Float32Array(MC * KC);
let scratchB: Float32Array = new Float32Array(NC * KC);

/**
 * A strided matrix packed block by block into scratch: the caller's (at least
 * gemmBPanelElements floats for B) or, when none is given, module scratch grown on demand.
 */
class StridedSource implements GemmPanelSource {
  panels: Float32Array;
  readonly matrix: StridedMatrix;
  private readonly own: boolean;
  constructor(private readonly s: StridedMatrix, private readonly isB: boolean, scratch?: Float32Array) {
    this.matrix = s;
    this.own = scratch === undefined;
    this.panels = scratch ?? (isB ? scratchB : scratchA);
  }
  prepare(pc: number, kc: number, r0: number, rows: number): number {
    const W = this.isB ? NR : MR;
    const need = Math.ceil(rows / W) * W * kc;
    if (this.panels.length < need) {
      this.panels = new Float32Array(need);
      if (this.own && this.isB) scratchB = this.panels;
      else if (this.own) scratchA = this.panels;
    }
    this.packInto(this.panels, 0, pc, kc, r0, rows);
    return 0;
  }
  packInto(dst: Float32Array, at: number, pc: number, kc: number, r0: number, rows: number): void {
    const s = this.s;
    if (this.isB) packStrips(s.data, s.offset, s.colStride, s.rowStride, r0, rows, pc, kc, NR, dst, at);
    else packStrips(s.data, s.offset, s.rowStride, s.colStride, r0, rows, pc, kc, MR, dst, at);
  }
}

/** Scratch size (floats) a GemmPanelSource for B needs per block of a depth-k product. */
export function gemmBPanelElements(k: number, n: number): number {
  return gemmBlockDepth(k) * Math.ceil(Math.min(NC, n) / NR) * NR;
}

// ---- micro-kernels -----------------------------------------------------------------------

/** The 4x8 micro-kernel: C tile (+)= alpha * (A strip)^T @ (B strip), accumulators in locals. */
function micro4x8(
  pa: Float32Array, ia: number, pb: Float32Array, ib: number, kc: number,
  c: Float32Array, ci: number, ldc: number, alpha: number, load: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
  for (let p = 0; p < kc; p++) {
    const b0 = pb[ib]!, b1 = pb[ib + 1]!, b2 = pb[ib + 2]!, b3 = pb[ib + 3]!, b4 = pb[ib + 4]!, b5 = pb[ib + 5]!, b6 = pb[ib + 6]!, b7 = pb[ib + 7]!;
    let a = pa[ia]!;
    c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3; c04 += a * b4; c05 += a * b5; c06 += a * b6; c07 += a * b7;
    a = pa[ia + 1]!;
    c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3; c14 += a * b4; c15 += a * b5; c16 += a * b6; c17 += a * b7;
    a = pa[ia + 2]!;
    c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3; c24 += a * b4; c25 += a * b5; c26 += a * b6; c27 += a * b7;
    a = pa[ia + 3]!;
    c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3; c34 += a * b4; c35 += a * b5; c36 += a * b6; c37 += a * b7;
    ia += 4;
    ib += 8;
  }
  if (load) {
    c[ci] += alpha * c00; c[ci + 1] += alpha * c01; c[ci + 2] += alpha * c02; c[ci + 3] += alpha * c03; c[ci + 4] += alpha * c04; c[ci + 5] += alpha * c05; c[ci + 6] += alpha * c06; c[ci + 7] += alpha * c07;
    ci += ldc;
    c[ci] += alpha * c10; c[ci + 1] += alpha * c11; c[ci + 2] += alpha * c12; c[ci + 3] += alpha * c13; c[ci + 4] += alpha * c14; c[ci + 5] += alpha * c15; c[ci + 6] += alpha * c16; c[ci + 7] += alpha * c17;
    ci += ldc;
    c[ci] += alpha * c20; c[ci + 1] += alpha * c21; c[ci + 2] += alpha * c22; c[ci + 3] += alpha * c23; c[ci + 4] += alpha * c24; c[ci + 5] += alpha * c25; c[ci + 6] += alpha * c26; c[ci + 7] += alpha * c27;
    ci += ldc;
    c[ci] += alpha * c30; c[ci + 1] += alpha * c31; c[ci + 2] += alpha * c32; c[ci + 3] += alpha * c33; c[ci + 4] += alpha * c34; c[ci + 5] += alpha * c35; c[ci + 6] += alpha * c36; c[ci + 7] += alpha * c37;
  } else {
    c[ci] = alpha * c00; c[ci + 1] = alpha * c01; c[ci + 2] = alpha * c02; c[ci + 3] = alpha * c03; c[ci + 4] = alpha * c04; c[ci + 5] = alpha * c05; c[ci + 6] = alpha * c06; c[ci + 7] = alpha * c07;
    ci += ldc;
    c[ci] = alpha * c10; c[ci + 1] = alpha * c11; c[ci + 2] = alpha * c12; c[ci + 3] = alpha * c13; c[ci + 4] = alpha * c14; c[ci + 5] = alpha * c15; c[ci + 6] = alpha * c16; c[ci + 7] = alpha * c17;
    ci += ldc;
    c[ci] = alpha * c20; c[ci + 1] = alpha * c21; c[ci + 2] = alpha * c22; c[ci + 3] = alpha * c23; c[ci + 4] = alpha * c24; c[ci + 5] = alpha * c25; c[ci + 6] = alpha * c26; c[ci + 7] = alpha * c27;
    ci += ldc;
    c[ci] = alpha * c30; c[ci + 1] = alpha * c31; c[ci + 2] = alpha * c32; c[ci + 3] = alpha * c33; c[ci + 4] = alpha * c34; c[ci + 5] = alpha * c35; c[ci + 6] = alpha * c36; c[ci + 7] = alpha * c37;
  }
}

/**
 * Edge tiles (mr < MR rows or nr < NR columns): one column at a time, MR sums in locals
 * (rows past mr read A's zero padding and are not stored).
 */
function microEdge(
  pa: Float32Array, ia: number, pb: Float32Array, ib: number, kc: number, mr: number, nr: number,
  c: Float32Array, ci: number, ldc: number, alpha: number, load: boolean,
): void {
  for (let j = 0; j < nr; j++) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let p = 0, qa = ia, qb = ib + j; p < kc; p++, qa += MR, qb += NR) {
      const b = pb[qb]!;
      s0 += pa[qa]! * b;
      s1 += pa[qa + 1]! * b;
      s2 += pa[qa + 2]! * b;
      s3 += pa[qa + 3]! * b;
    }
    const x = ci + j;
    if (load) {
      c[x] += alpha * s0;
      if (mr > 1) c[x + ldc] += alpha * s1;
      if (mr > 2) c[x + 2 * ldc] += alpha * s2;
      if (mr > 3) c[x + 3 * ldc] += alpha * s3;
    } else {
      c[x] = alpha * s0;
      if (mr > 1) c[x + ldc] = alpha * s1;
      if (mr > 2) c[x + 2 * ldc] = alpha * s2;
      if (mr > 3) c[x + 3 * ldc] = alpha * s3;
    }
  }
}

// ---- drivers -----------------------------------------------------------------------------

/**
 * The blocked product over any two panel sources: C[cOff + i * ldc + j] (m x n) =
 * epilogue(alpha * sum_p A(i, p) B(p, j) [+ C when accumulating]). Conv calls this with its
 * packed weights as A and an im2col source as B.
 */
export function gemmPanelsF32(
  m: number, n: number, k: number, A: GemmPanelSource, B: GemmPanelSource,
  c: Float32Array, cOff: number, ldc: number, alpha: number, accumulate: boolean, ep: GemmEpilogue,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
    applyGemmEpilogueF32(c, cOff, ldc, n, 0, m, 0, n, ep);
    return;
  }
  const kcMax = gemmBlockDepth(k);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = Math.min(kcMax, k - pc);
      const load = accumulate || pc > 0;
      const last = pc + kc >= k;
      const bBase = B.prepare(pc, kc, jc, nc);
      const pb = B.panels;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        const aBase = A.prepare(pc, kc, ic, mc);
        const pa = A.panels;
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          const ib = bBase + jr * kc;
          let ci = cOff + ic * ldc + jc + jr;
          for (let ir = 0; ir < mc; ir += MR, ci += MR * ldc) {
            const mr = Math.min(MR, mc - ir);
            if (mr === MR && nr === NR) micro4x8(pa, aBase + ir * kc, pb, ib, kc, c, ci, ldc, alpha, load);
            else microEdge(pa, aBase + ir * kc, pb, ib, kc, mr, nr, c, ci, ldc, alpha, load);
          }
        }
        if (last) applyGemmEpilogueF32(c, cOff, ldc, n, ic, mc, jc, nc, ep);
      }
    }
  }
}

let rowAcc = new Float64Array(256);

/**
 * Depths up to this use dotColumnsF32 for any m when B's columns are contiguous and B is not
 * packed already (packing both operands costs more than it saves; measured: 10x12x128 2.7 ->
 * 3.3 GFLOP/s; at k = 32 and m >= 12 the packed 4x8 kernel is faster, 4.8 against 3.5).
 */
const DOT_MAX_K = 16;

/**
 * C = alpha * A @ B for A with contiguous rows and B with contiguous columns (B stored as N x K,
 * a Linear layer's or a recurrent weight's layout): for each row of A, four columns of B per
 * pass, one float64 sum per output in order of p, rounded once. Matrix-vector products and
 * shallow products (small k: an LSTM's input projection) where packing panels costs more than
 * the product.
 */
function dotColumnsF32(
  A: StridedMatrix, B: StridedMatrix, c: Float32Array, cOff: number, ldc: number,
  m: number, n: number, k: number, alpha: number, accumulate: boolean,
): void {
  const a = A.data, ars = A.rowStride;
  const b = B.data, bcs = B.colStride;
  for (let i = 0; i < m; i++) {
    const ai = A.offset + i * ars;
    const ci = cOff + i * ldc;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = B.offset + j * bcs, b1 = b0 + bcs, b2 = b1 + bcs, b3 = b2 + bcs;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const av = a[ai + p]!;
        s0 += av * b[b0 + p]!;
        s1 += av * b[b1 + p]!;
        s2 += av * b[b2 + p]!;
        s3 += av * b[b3 + p]!;
      }
      if (accumulate) {
        c[ci + j] += alpha * s0; c[ci + j + 1] += alpha * s1; c[ci + j + 2] += alpha * s2; c[ci + j + 3] += alpha * s3;
      } else {
        c[ci + j] = alpha * s0; c[ci + j + 1] = alpha * s1; c[ci + j + 2] = alpha * s2; c[ci + j + 3] = alpha * s3;
      }
    }
    for (; j < n; j++) {
      const bj = B.offset + j * bcs;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p]! * b[bj + p]!;
      if (accumulate) c[ci + j] += alpha * s;
      else c[ci + j] = alpha * s;
    }
  }
}

/** Matrix-vector shapes: dot products (or, for one row of A over a row-major B, sums of rows) in float64. */
function gemvF32(
  A: StridedMatrix, B: StridedMatrix, c: Float32Array, cOff: number, ldc: number,
  m: number, n: number, k: number, alpha: number, accumulate: boolean,
): void {
  const a = A.data, ars = A.rowStride, acs = A.colStride;
  const b = B.data, brs = B.rowStride, bcs = B.colStride;
  if (m === 1 && bcs === 1 && n >= 4) {
    // c[0, :] = sum_p a[p] * B[p, :], four rows of B per pass, summed in a float64 row.
    if (rowAcc.length < n) rowAcc = new Float64Array(n);
    const acc = rowAcc;
    acc.fill(0, 0, n);
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      const ap = A.offset + p * acs;
      const a0 = a[ap]!, a1 = a[ap + acs]!, a2 = a[ap + 2 * acs]!, a3 = a[ap + 3 * acs]!;
      const r0 = B.offset + p * brs, r1 = r0 + brs, r2 = r1 + brs, r3 = r2 + brs;
      for (let j = 0; j < n; j++) acc[j] += a0 * b[r0 + j]! + a1 * b[r1 + j]! + (a2 * b[r2 + j]! + a3 * b[r3 + j]!);
    }
    for (; p < k; p++) {
      const av = a[A.offset + p * acs]!;
      const r = B.offset + p * brs;
      for (let j = 0; j < n; j++) acc[j] += av * b[r + j]!;
    }
    if (accumulate) for (let j = 0; j < n; j++) c[cOff + j] += alpha * acc[j]!;
    else for (let j = 0; j < n; j++) c[cOff + j] = alpha * acc[j]!;
    return;
  }
  for (let i = 0; i < m; i++) {
    const aRow = A.offset + i * ars;
    const cRow = cOff + i * ldc;
    for (let j = 0; j < n; j++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let ai = aRow;
      let bi = B.offset + j * bcs;
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        s0 += a[ai]! * b[bi]!;
        s1 += a[ai + acs]! * b[bi + brs]!;
        s2 += a[ai + 2 * acs]! * b[bi + 2 * brs]!;
        s3 += a[ai + 3 * acs]! * b[bi + 3 * brs]!;
        ai += 4 * acs;
        bi += 4 * brs;
      }
      for (; p < k; p++) {
        s0 += a[ai]! * b[bi]!;
        ai += acs;
        bi += brs;
      }
      const v = alpha * (s0 + s1 + (s2 + s3));
      if (accumulate) c[cRow + j] += v;
      else c[cRow + j] = v;
    }
  }
}

/**
 * Who runs the blocked product over two panel sources (gemmPanelsF32's contract, including its
 * accumulation order per element whatever the split): the JS engine below, or one from
 * kernels/wasm/ (SIMD). Conv, Winograd and the GEMM entry points take one as an option, so a
 * session picks its engine once and every float32 product follows.
 */
export interface GemmEngine {
  /** 'js' here; the wasm engines name themselves (e.g. 'wasm-simd'). */
  readonly name: string;
  panels(
    m: number, n: number, k: number, A: GemmPanelSource, B: GemmPanelSource,
    c: Float32Array, cOff: number, ldc: number, alpha: number, accumulate: boolean, ep: GemmEpilogue,
  ): void;
  /**
   * Optional: a depthwise conv (one input channel per group; w is M x 1 x kernel) with its fused
   * epilogue, convPackedF32's contract for x, y and the epilogue. Returns false, having written
   * nothing, for a conv it does not compute (then the JS kernel runs).
   */
  depthwise?(x: Float32Array, w: Float32Array, y: Float32Array, g: ConvGeometry, ep: FusedConvEpilogue): boolean;
  /**
   * Optional: a whole Winograd conv (transforms included) with weights from packWinogradF32,
   * winogradConvF32's contract; called after its range check. Returns false, having written
   * nothing, where it does not take these weights (then the JS driver runs, products on `panels`).
   */
  winograd?(x: Float32Array, w: PackedWinogradF32, y: Float32Array, g: ConvGeometry, ep: FusedConvEpilogue): boolean;
  /**
   * Optional: a float32 max pool without indices, maxPoolFloat's result with empty = -Infinity
   * (kernels/pool.ts). Returns false, having written nothing, for a pool it does not compute.
   */
  maxPool?(x: Float32Array, y: Float32Array, g: PoolGeometry): boolean;
  /**
   * Optional: y = sigmoid(x) or silu(x) = x sigmoid(x) elementwise (x and y may be one array),
   * within 3 * 2^-24 relative of the float64 formula (kernels/wasm/simd-math.ts). Returns false,
   * having written nothing, where it declines (too few elements); then activationFloat runs.
   */
  activation?(kind: 'sigmoid' | 'silu', x: Float32Array, y: Float32Array): boolean;
  /**
   * Optional: float32 storage for activations that this engine's kernels read and write in place
   * (a threaded wasm engine's shared memory), or null. See src/runtime/arena.ts
   * TensorStorageSource for the rules such storage lives by.
   */
  tensorStorage?(length: number): Float32Array | null;
  /** Where `a` lies in the engine's memory (>= 0), if it is storage from tensorStorage or a view of it; else -1. */
  offsetOf?(a: Float32Array): number;
}

/** The fused work of a conv an engine computes whole: + bias[m], + residual (Y-shaped), then the activation. */
export interface FusedConvEpilogue {
  readonly bias?: Float32Array | null;
  readonly residual?: Float32Array;
  readonly activation?: GemmActivation;
}

/** The plain-JS engine (float64 sums per K block): always available. */
export const jsGemmEngine: GemmEngine = Object.freeze({ name: 'js', panels: gemmPanelsF32 });

/** Where C lives and what to do with it, for the GEMM entry points. */
export interface GemmOptions {
  /**
   * Who runs the product (default: jsGemmEngine). With the JS engine, matrix-vector shapes (m = 1
   * or n < 4) take a float64 dot-product path that packs nothing; any other engine gets every
   * shape (the WebAssembly one keeps a constant B resident, which beats that path).
   */
  readonly engine?: GemmEngine;
  readonly cOffset?: number;
  /** Row stride of C (default n). */
  readonly ldc?: number;
  /** Scales op(A) @ op(B) (default 1). */
  readonly alpha?: number;
  /** Add the product into C's existing contents (before the epilogue). */
  readonly accumulate?: boolean;
  readonly epilogue?: GemmEpilogue;
}

const NO_EPILOGUE: GemmEpilogue = {};

function run(
  m: number, n: number, k: number,
  aSrc: StridedMatrix, aPacked: PackedGemmA | null, bSrc: StridedMatrix, bPacked: PackedGemmB | null,
  c: Float32Array, o: GemmOptions,
): void {
  if (m === 0 || n === 0) return;
  const cOff = o.cOffset ?? 0;
  const ldc = o.ldc ?? n;
  const alpha = o.alpha ?? 1;
  const accumulate = o.accumulate === true;
  const ep = o.epilogue ?? NO_EPILOGUE;
  const engine = o.engine ?? jsGemmEngine;
  if (k > 0 && engine === jsGemmEngine && aSrc.colStride === 1 && bSrc.rowStride === 1 && (m < MR || (k <= DOT_MAX_K && bPacked === null))) {
    dotColumnsF32(aSrc, bSrc, c, cOff, ldc, m, n, k, alpha, accumulate);
    applyGemmEpilogueF32(c, cOff, ldc, n, 0, m, 0, n, ep);
    return;
  }
  if (k > 0 && (m === 1 || n < 4) && engine === jsGemmEngine) {
    gemvF32(aSrc, bSrc, c, cOff, ldc, m, n, k, alpha, accumulate);
    applyGemmEpilogueF32(c, cOff, ldc, n, 0, m, 0, n, ep);
    return;
  }
  const A = aPacked ? new PrepackedSource(aPacked.panels, aPacked.mPad) : new StridedSource(aSrc, false);
  const B = bPacked ? new PrepackedSource(bPacked.panels, bPacked.nPad) : new StridedSource(bSrc, true);
  engine.panels(m, n, k, A, B, c, cOff, ldc, alpha, accumulate, ep);
}

/** C (m x n) = epilogue(alpha * op(A) @ op(B)), both operands packed on the fly. C must not overlap A or B. */
export function gemmF32(
  a: Float32Array, aLayout: GemmOperandLayout, b: Float32Array, bLayout: GemmOperandLayout,
  c: Float32Array, m: number, n: number, k: number, o: GemmOptions = {},
): void {
  run(m, n, k, stridedA(a, m, k, aLayout), null, stridedB(b, k, n, bLayout), null, c, o);
}

/** C (m x n) = epilogue(alpha * A @ op(B)) with A packed by packGemmA (a constant weight). */
export function gemmPackedAF32(
  pa: PackedGemmA, b: Float32Array, bLayout: GemmOperandLayout, c: Float32Array, n: number, o: GemmOptions = {},
): void {
  run(pa.m, n, pa.k, pa.source, pa, stridedB(b, pa.k, n, bLayout), null, c, o);
}

/** C (m x n) = epilogue(alpha * op(A) @ B) with B packed by packGemmB (a constant weight). */
export function gemmPackedBF32(
  a: Float32Array, aLayout: GemmOperandLayout, pb: PackedGemmB, c: Float32Array, m: number, o: GemmOptions = {},
): void {
  run(m, pb.n, pb.k, stridedA(a, m, pb.k, aLayout), null, pb.source, pb, c, o);
}

/** A prepacked A as a panel source (for drivers that supply B themselves, e.g. conv). */
export function prepackedASource(pa: PackedGemmA): GemmPanelSource {
  return new PrepackedSource(pa.panels, pa.mPad);
}

/** A strided B packed block by block into `scratch` (gemmBPanelElements floats) or module scratch. */
export function stridedBSource(b: StridedMatrix, scratch?: Float32Array): GemmPanelSource {
  return new StridedSource(b, true, scratch);
}
