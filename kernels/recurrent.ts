// One-layer recurrent networks: ONNX RNN, GRU and LSTM over a whole sequence.
//
// Each direction first projects every timestep's input at once (one matmul:
// X [seq*batch, input] @ W^T + bias), then walks the sequence with one recurrent
// matmul per step (H [batch, hidden] @ R^T) followed by the elementwise cell update.
// Batch entries whose sequence has ended (sequence_lens) keep their state frozen and
// leave zeros in Y. A reverse direction starts at each entry's own last valid step.
// An entry with length 0 gets zeros in Y_h / Y_c too (as onnxruntime does), not its
// initial state.
//
// Layout 0: X [seq, batch, input], Y [seq, dirs, batch, hidden], states [dirs, batch, hidden].
// Layout 1: X [batch, seq, input], Y [batch, seq, dirs, hidden], states [batch, dirs, hidden].
// Weights are always W [dirs, gates*hidden, input], R [dirs, gates*hidden, hidden],
// B [dirs, 2*gates*hidden] (W biases then R biases), P [dirs, 3*hidden] (LSTM, order i o f).
// All float arrays of one call share one type (Float32Array or Float64Array).

import { type MatmulOptions, matmulF32, matmulF64 } from './matmul.js';
import type { FloatArray } from './arrays.js';
export type { FloatArray };

/** The activation functions the ONNX recurrent ops accept (lower-cased names). */
export type RecurrentActivationKind =
  | 'relu' | 'tanh' | 'sigmoid' | 'affine' | 'leakyrelu' | 'thresholdedrelu'
  | 'scaledtanh' | 'hardsigmoid' | 'elu' | 'softsign' | 'softplus';

export interface RecurrentActivation {
  readonly kind: RecurrentActivationKind;
  readonly alpha: number;
  readonly beta: number;
}

export type RecurrentDirection = 'forward' | 'reverse' | 'bidirectional';

export interface RecurrentGeometry {
  readonly seqLength: number;
  readonly batch: number;
  readonly inputSize: number;
  readonly hidden: number;
  readonly direction: RecurrentDirection;
  /** 0: sequence-major tensors, 1: batch-major (see the file comment). */
  readonly layout: number;
}

export interface RecurrentInputs {
  readonly x: FloatArray;
  readonly w: FloatArray;
  readonly r: FloatArray;
  /** [dirs, 2*gates*hidden], or null for zero biases. */
  readonly b: FloatArray | null;
  /** [batch] valid lengths in [0, seqLength], or null for all seqLength. */
  readonly seqLens: Int32Array | null;
  readonly initialH: FloatArray | null;
  /** LSTM only. */
  readonly initialC?: FloatArray | null;
  /** LSTM peepholes [dirs, 3*hidden] (i, o, f), or null. */
  readonly p?: FloatArray | null;
}

/** Outputs to fill (any may be null when not wanted). Y is fully overwritten, padding with zeros. */
export interface RecurrentOutputs {
  readonly y: FloatArray | null;
  readonly yH: FloatArray | null;
  /** LSTM only. */
  readonly yC?: FloatArray | null;
}

export interface RecurrentCell {
  /** Activations per direction, in the spec's order (f; f, g; f, g, h), forward first. */
  readonly activations: readonly RecurrentActivation[];
  /** Pre-activations are clipped to [-clip, clip]; Infinity for no clipping. */
  readonly clip: number;
  /** GRU: apply the reset gate after the recurrent matmul (linear_before_reset != 0). */
  readonly linearBeforeReset?: boolean;
  /** LSTM: couple the forget gate to the input gate (f = 1 - i). */
  readonly inputForget?: boolean;
}

// ------------------------------------------------------------------ activations

function softplus(v: number): number {
  return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
}

/** Clips buf[off, off+n) to [-clip, clip], then applies `act` in place. */
export function applyRecurrentActivation(
  buf: FloatArray, off: number, n: number, act: RecurrentActivation, clip: number,
): void {
  const end = off + n;
  if (clip < Infinity) {
    for (let i = off; i < end; i++) {
      const v = buf[i]!;
      buf[i] = v > clip ? clip : v < -clip ? -clip : v;
    }
  }
  const alpha = act.alpha;
  const beta = act.beta;
  switch (act.kind) {
    case 'relu':
      for (let i = off; i < end; i++) { const v = buf[i]!; buf[i] = v > 0 ? v : v === v ? 0 : v; }
      return;
    case 'tanh':
      for (let i = off; i < end; i++) buf[i] = Math.tanh(buf[i]!);
      return;
    case 'sigmoid':
      // 1 / (1 + exp(-v)) is accurate for every v (exp(-v) = Inf gives the limit 0) and has no
      // branch on v's sign, which mispredicts half the time on gate pre-activations.
      for (let i = off; i < end; i++) buf[i] = 1 / (1 + Math.exp(-buf[i]!));
      return;
    case 'affine':
      for (let i = off; i < end; i++) buf[i] = alpha * buf[i]! + beta;
      return;
    case 'leakyrelu':
      for (let i = off; i < end; i++) { const v = buf[i]!; buf[i] = v >= 0 ? v : alpha * v; }
      return;
    case 'thresholdedrelu':
      for (let i = off; i < end; i++) { const v = buf[i]!; buf[i] = v > alpha ? v : v === v ? 0 : v; }
      return;
    case 'scaledtanh':
      for (let i = off; i < end; i++) buf[i] = alpha * Math.tanh(beta * buf[i]!);
      return;
    case 'hardsigmoid':
      for (let i = off; i < end; i++) {
        const v = alpha * buf[i]! + beta;
        buf[i] = v > 1 ? 1 : v < 0 ? 0 : v;
      }
      return;
    case 'elu':
      for (let i = off; i < end; i++) { const v = buf[i]!; buf[i] = v >= 0 ? v : alpha * Math.expm1(v); }
      return;
    case 'softsign':
      for (let i = off; i < end; i++) { const v = buf[i]!; buf[i] = v / (1 + Math.abs(v)); }
      return;
    case 'softplus':
      for (let i = off; i < end; i++) buf[i] = softplus(buf[i]!);
      return;
  }
}

// ------------------------------------------------------------------ shared plumbing

/**
 * Working arrays, one per slot and float type, grown and reused (kernels run synchronously: one
 * call at a time), so a steady-state run of a recurrent layer allocates none. An array may be
 * longer than asked: every user indexes within its own n. `zero` clears the first n.
 */
const scratch32: Float32Array[] = [];
const scratch64: Float64Array[] = [];

function scratchLike(x: FloatArray, slot: number, n: number, zero = false): FloatArray {
  const pool: FloatArray[] = x instanceof Float64Array ? scratch64 : scratch32;
  let a = pool[slot];
  if (a === undefined || a.length < n) {
    a = x instanceof Float64Array ? new Float64Array(Math.max(n, 16)) : new Float32Array(Math.max(n, 16));
    pool[slot] = a;
  } else if (zero) a.fill(0, 0, n);
  return a;
}

// Scratch slots (each used once per direction at a time).
const XW = 0, BIAS = 1, H_STATE = 2, PRE = 3, P_I = 4, P_O = 5, P_F = 6, C_STATE = 7, H_ACT = 8, RBH = 4, RH = 5, HH = 6;

function gemm(a: FloatArray, b: FloatArray, c: FloatArray, m: number, n: number, k: number, o: MatmulOptions): void {
  if (c instanceof Float64Array) matmulF64(a as Float64Array, b as Float64Array, c, m, n, k, o);
  else matmulF32(a as Float32Array, b as Float32Array, c as Float32Array, m, n, k, o);
}

let lengths = new Int32Array(16);

/** [batch] lengths all equal to seqLength (when sequence_lens is absent), in a reused array. */
function fullLengths(batch: number, seqLength: number): Int32Array {
  if (lengths.length < batch) lengths = new Int32Array(batch);
  const a = lengths.subarray(0, batch);
  a.fill(seqLength);
  return a;
}

/** Index bookkeeping for one direction of one call. */
class DirectionPlan {
  readonly numDirections: number;
  readonly reverse: boolean;
  readonly lens: Int32Array;
  readonly maxLen: number;

  constructor(readonly g: RecurrentGeometry, readonly d: number, seqLens: Int32Array | null) {
    this.numDirections = g.direction === 'bidirectional' ? 2 : 1;
    this.reverse = g.direction === 'reverse' || d === 1;
    this.lens = seqLens ?? fullLengths(g.batch, g.seqLength);
    let m = 0;
    for (let b = 0; b < g.batch; b++) m = Math.max(m, this.lens[b]!);
    this.maxLen = m;
  }

  /** The timestep batch entry `b` processes at step `s` (s < lens[b]). */
  time(s: number, b: number): number {
    return this.reverse ? this.lens[b]! - 1 - s : s;
  }
  /** Row of X (and of the projected inputs) holding timestep t of batch entry b. */
  xRow(t: number, b: number): number {
    return this.g.layout === 0 ? t * this.g.batch + b : b * this.g.seqLength + t;
  }
  /** Offset of Y[t, d, b, :] (layout 0) or Y[b, t, d, :] (layout 1). */
  yOffset(t: number, b: number): number {
    const { g, d, numDirections: nd } = this;
    return (g.layout === 0 ? (t * nd + d) * g.batch + b : (b * g.seqLength + t) * nd + d) * g.hidden;
  }
  /** Offset of state[d, b, :] (layout 0) or state[b, d, :] (layout 1). */
  stateOffset(b: number): number {
    const { g, d, numDirections: nd } = this;
    return (g.layout === 0 ? d * g.batch + b : b * nd + d) * g.hidden;
  }
}

/** xw[seq*batch, gh] = X @ W[d]^T + bias, rows in X's storage order. */
function projectInputs(inp: RecurrentInputs, g: RecurrentGeometry, d: number, gh: number, bias: FloatArray): FloatArray {
  const rows = g.seqLength * g.batch;
  const xw = scratchLike(inp.x, XW, rows * gh);
  gemm(inp.x, inp.w, xw, rows, gh, g.inputSize, {
    transB: true, bOffset: d * gh * g.inputSize, bias, biasRowStride: 0, biasColStride: 1,
  });
  return xw;
}

/** Copies the initial state of direction d (or zeros) into a dense [batch, hidden] buffer. */
function loadState(plan: DirectionPlan, init: FloatArray | null | undefined, out: FloatArray): void {
  const { batch, hidden } = plan.g;
  if (!init) { out.fill(0, 0, batch * hidden); return; }
  for (let b = 0; b < batch; b++) {
    const src = plan.stateOffset(b);
    for (let j = 0; j < hidden; j++) out[b * hidden + j] = init[src + j]!;
  }
}

function storeState(plan: DirectionPlan, state: FloatArray, out: FloatArray | null | undefined): void {
  if (!out) return;
  const { batch, hidden } = plan.g;
  for (let b = 0; b < batch; b++) {
    const dst = plan.stateOffset(b);
    if (plan.lens[b] === 0) out.fill(0, dst, dst + hidden);
    else for (let j = 0; j < hidden; j++) out[dst + j] = state[b * hidden + j]!;
  }
}

function storeY(plan: DirectionPlan, y: FloatArray | null, t: number, b: number, h: FloatArray): void {
  if (!y) return;
  const hidden = plan.g.hidden;
  const dst = plan.yOffset(t, b);
  const src = b * hidden;
  for (let j = 0; j < hidden; j++) y[dst + j] = h[src + j]!;
}

/**
 * Input-side bias per gate: Wb + Rb for every gate, except that the gates listed in
 * `keepRecurrent` get Wb only (their Rb is applied on the recurrent side).
 */
function inputBias(inp: RecurrentInputs, d: number, gates: number, hidden: number, keepRecurrent: number): FloatArray {
  const gh = gates * hidden;
  const bias = scratchLike(inp.x, BIAS, gh, true);
  const b = inp.b;
  if (!b) return bias;
  const base = d * 2 * gh;
  for (let k = 0; k < gh; k++) {
    const rb = Math.floor(k / hidden) === keepRecurrent ? 0 : b[base + gh + k]!;
    bias[k] = b[base + k]! + rb;
  }
  return bias;
}

function numDirections(g: RecurrentGeometry): number {
  return g.direction === 'bidirectional' ? 2 : 1;
}

// ------------------------------------------------------------------ RNN

/** Ht = f(Xt W^T + Ht-1 R^T + Wb + Rb). */
export function rnnSequence(g: RecurrentGeometry, inp: RecurrentInputs, out: RecurrentOutputs, cell: RecurrentCell): void {
  if (out.y) out.y.fill(0);
  const { batch, hidden } = g;
  for (let d = 0; d < numDirections(g); d++) {
    const plan = new DirectionPlan(g, d, inp.seqLens);
    const f = cell.activations[d]!;
    const xw = projectInputs(inp, g, d, hidden, inputBias(inp, d, 1, hidden, -1));
    const h = scratchLike(inp.x, H_STATE, batch * hidden);
    const pre = scratchLike(inp.x, PRE, batch * hidden);
    loadState(plan, inp.initialH, h);
    const rOpts: MatmulOptions = { transB: true, bOffset: d * hidden * hidden };
    for (let s = 0; s < plan.maxLen; s++) {
      gemm(h, inp.r, pre, batch, hidden, hidden, rOpts);
      for (let b = 0; b < batch; b++) {
        if (s >= plan.lens[b]!) continue;
        const t = plan.time(s, b);
        const xo = plan.xRow(t, b) * hidden;
        const o = b * hidden;
        for (let j = 0; j < hidden; j++) pre[o + j] += xw[xo + j]!;
        applyRecurrentActivation(pre, o, hidden, f, cell.clip);
        for (let j = 0; j < hidden; j++) h[o + j] = pre[o + j]!;
        storeY(plan, out.y, t, b, h);
      }
    }
    storeState(plan, h, out.yH);
  }
}

// ------------------------------------------------------------------ GRU

/**
 * zt = f(Xt Wz^T + Ht-1 Rz^T + Wbz + Rbz); rt likewise with r;
 * ht = g(Xt Wh^T + (rt . Ht-1) Rh^T + Rbh + Wbh)        (linear_before_reset = 0)
 * ht = g(Xt Wh^T + rt . (Ht-1 Rh^T + Rbh) + Wbh)        (linear_before_reset != 0)
 * Ht = (1 - zt) . ht + zt . Ht-1. Gate order in W, R, B: z, r, h.
 */
export function gruSequence(g: RecurrentGeometry, inp: RecurrentInputs, out: RecurrentOutputs, cell: RecurrentCell): void {
  if (out.y) out.y.fill(0);
  const { batch, hidden: H } = g;
  const lbr = cell.linearBeforeReset === true;
  const gh = 3 * H;
  for (let d = 0; d < numDirections(g); d++) {
    const plan = new DirectionPlan(g, d, inp.seqLens);
    const f = cell.activations[2 * d]!;
    const gAct = cell.activations[2 * d + 1]!;
    const xw = projectInputs(inp, g, d, gh, inputBias(inp, d, 3, H, lbr ? 2 : -1));
    const rbh = scratchLike(inp.x, RBH, H, true);
    if (lbr && inp.b) for (let j = 0; j < H; j++) rbh[j] = inp.b[d * 2 * gh + gh + 2 * H + j]!;
    const h = scratchLike(inp.x, H_STATE, batch * H);
    loadState(plan, inp.initialH, h);
    // lbr: one matmul for all three gates; otherwise z, r first, then (r . H) @ Rh^T.
    const pre = scratchLike(inp.x, PRE, batch * gh);
    const rh = scratchLike(inp.x, RH, lbr ? 0 : batch * H);
    const hh = scratchLike(inp.x, HH, lbr ? 0 : batch * H);
    const rBase = d * gh * H;
    const zrOpts: MatmulOptions = { transB: true, bOffset: rBase, ldc: gh };
    const allOpts: MatmulOptions = { transB: true, bOffset: rBase };
    const hOpts: MatmulOptions = { transB: true, bOffset: rBase + 2 * H * H };
    for (let s = 0; s < plan.maxLen; s++) {
      if (lbr) gemm(h, inp.r, pre, batch, gh, H, allOpts);
      else gemm(h, inp.r, pre, batch, 2 * H, H, zrOpts);
      for (let b = 0; b < batch; b++) {
        if (s >= plan.lens[b]!) continue;
        const xo = plan.xRow(plan.time(s, b), b) * gh;
        const o = b * gh;
        for (let j = 0; j < 2 * H; j++) pre[o + j] += xw[xo + j]!;
        applyRecurrentActivation(pre, o, 2 * H, f, cell.clip);
        if (lbr) {
          for (let j = 0; j < H; j++) {
            pre[o + 2 * H + j] = xw[xo + 2 * H + j]! + pre[o + H + j]! * (pre[o + 2 * H + j]! + rbh[j]!);
          }
        } else {
          for (let j = 0; j < H; j++) rh[b * H + j] = pre[o + H + j]! * h[b * H + j]!;
        }
      }
      if (!lbr) {
        gemm(rh, inp.r, hh, batch, H, H, hOpts);
        for (let b = 0; b < batch; b++) {
          if (s >= plan.lens[b]!) continue;
          const xo = plan.xRow(plan.time(s, b), b) * gh + 2 * H;
          const o = b * gh + 2 * H;
          for (let j = 0; j < H; j++) pre[o + j] = xw[xo + j]! + hh[b * H + j]!;
        }
      }
      for (let b = 0; b < batch; b++) {
        if (s >= plan.lens[b]!) continue;
        const o = b * gh;
        applyRecurrentActivation(pre, o + 2 * H, H, gAct, cell.clip);
        for (let j = 0; j < H; j++) {
          const z = pre[o + j]!;
          h[b * H + j] = (1 - z) * pre[o + 2 * H + j]! + z * h[b * H + j]!;
        }
        storeY(plan, out.y, plan.time(s, b), b, h);
      }
    }
    storeState(plan, h, out.yH);
  }
}

// ------------------------------------------------------------------ LSTM

/**
 * it = f(Xt Wi^T + Ht-1 Ri^T + Pi . Ct-1 + Wbi + Rbi)
 * ft = f(Xt Wf^T + Ht-1 Rf^T + Pf . Ct-1 + Wbf + Rbf)    (ft = 1 - it with input_forget)
 * ct = g(Xt Wc^T + Ht-1 Rc^T + Wbc + Rbc)
 * Ct = ft . Ct-1 + it . ct
 * ot = f(Xt Wo^T + Ht-1 Ro^T + Po . Ct + Wbo + Rbo)
 * Ht = ot . h(Ct). Gate order in W, R, B: i, o, f, c; in P: i, o, f. Clipping applies to
 * the gates' pre-activations, not to Ct before h.
 */
export function lstmSequence(g: RecurrentGeometry, inp: RecurrentInputs, out: RecurrentOutputs, cell: RecurrentCell): void {
  if (out.y) out.y.fill(0);
  const { batch, hidden: H } = g;
  const gh = 4 * H;
  const inputForget = cell.inputForget === true;
  for (let d = 0; d < numDirections(g); d++) {
    const plan = new DirectionPlan(g, d, inp.seqLens);
    const f = cell.activations[3 * d]!;
    const gAct = cell.activations[3 * d + 1]!;
    const hAct = cell.activations[3 * d + 2]!;
    const xw = projectInputs(inp, g, d, gh, inputBias(inp, d, 4, H, -1));
    const pi = scratchLike(inp.x, P_I, H, true), po = scratchLike(inp.x, P_O, H, true), pf = scratchLike(inp.x, P_F, H, true);
    if (inp.p) {
      for (let j = 0; j < H; j++) {
        pi[j] = inp.p[d * 3 * H + j]!;
        po[j] = inp.p[d * 3 * H + H + j]!;
        pf[j] = inp.p[d * 3 * H + 2 * H + j]!;
      }
    }
    const h = scratchLike(inp.x, H_STATE, batch * H);
    const c = scratchLike(inp.x, C_STATE, batch * H);
    const hc = scratchLike(inp.x, H_ACT, H);
    loadState(plan, inp.initialH, h);
    loadState(plan, inp.initialC, c);
    const pre = scratchLike(inp.x, PRE, batch * gh);
    const rOpts: MatmulOptions = { transB: true, bOffset: d * gh * H };
    for (let s = 0; s < plan.maxLen; s++) {
      gemm(h, inp.r, pre, batch, gh, H, rOpts);
      for (let b = 0; b < batch; b++) {
        if (s >= plan.lens[b]!) continue;
        const t = plan.time(s, b);
        const xo = plan.xRow(t, b) * gh;
        const o = b * gh;
        const so = b * H;
        const oi = o, oo = o + H, of = o + 2 * H, oc = o + 3 * H;
        for (let j = 0; j < gh; j++) pre[o + j] += xw[xo + j]!;
        for (let j = 0; j < H; j++) {
          const cPrev = c[so + j]!;
          pre[oi + j] += pi[j]! * cPrev;
          pre[of + j] += pf[j]! * cPrev;
        }
        applyRecurrentActivation(pre, oi, H, f, cell.clip);
        if (inputForget) for (let j = 0; j < H; j++) pre[of + j] = 1 - pre[oi + j]!;
        else applyRecurrentActivation(pre, of, H, f, cell.clip);
        applyRecurrentActivation(pre, oc, H, gAct, cell.clip);
        for (let j = 0; j < H; j++) {
          const cNew = pre[of + j]! * c[so + j]! + pre[oi + j]! * pre[oc + j]!;
          c[so + j] = cNew;
          pre[oo + j] += po[j]! * cNew;
          hc[j] = cNew;
        }
        applyRecurrentActivation(pre, oo, H, f, cell.clip);
        applyRecurrentActivation(hc, 0, H, hAct, Infinity);
        for (let j = 0; j < H; j++) h[so + j] = pre[oo + j]! * hc[j]!;
        storeY(plan, out.y, t, b, h);
      }
    }
    storeState(plan, h, out.yH);
    storeState(plan, c, out.yC);
  }
}
