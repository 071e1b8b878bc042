// RNN / GRU / LSTM ops against a step-by-step cell loop written from the ONNX formulas:
// every direction, both layouts, optional inputs, sequence_lens (including 0), clip,
// custom activations with alpha/beta, linear_before_reset, input_forget, ±1e3 inputs.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyRecurrentActivation, type RecurrentActivationKind } from '../../kernels/recurrent.js';
import { recurrentOps } from '../../ops/onnx/recurrent.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import { isClose } from '../helpers/allclose.js';

type Kind = 'RNN' | 'GRU' | 'LSTM';
type Dir = 'forward' | 'reverse' | 'bidirectional';

interface Act { name: string; alpha?: number; beta?: number }

interface Case {
  kind: Kind; dir: Dir; layout: number;
  seq: number; batch: number; inp: number; hid: number;
  x: number[]; w: number[]; r: number[];
  b?: number[]; lens?: number[]; h0?: number[]; c0?: number[]; p?: number[];
  /** Full list (per direction), or undefined for the defaults. */
  acts?: Act[];
  clip?: number; lbr: boolean; inputForget: boolean;
}

const GATES: Record<Kind, number> = { RNN: 1, GRU: 3, LSTM: 4 };
const DEFAULTS: Record<Kind, string[]> = { RNN: ['Tanh'], GRU: ['Sigmoid', 'Tanh'], LSTM: ['Sigmoid', 'Tanh', 'Tanh'] };
const TAKES_ALPHA = ['Affine', 'LeakyRelu', 'ThresholdedRelu', 'ScaledTanh', 'HardSigmoid', 'Elu'];
const TAKES_BETA = ['Affine', 'ScaledTanh', 'HardSigmoid'];

// ------------------------------------------------------------------ reference

/** The activation formulas of the ONNX RNN docs (defaults from the corresponding ops). */
function activate(a: Act, v: number): number {
  switch (a.name) {
    case 'Relu': return Number.isNaN(v) ? v : Math.max(0, v);
    case 'Tanh': return Math.tanh(v);
    case 'Sigmoid': return 1 / (1 + Math.exp(-v));
    case 'Affine': return (a.alpha ?? 1) * v + (a.beta ?? 0);
    case 'LeakyRelu': return v >= 0 ? v : (a.alpha ?? 0.01) * v;
    case 'ThresholdedRelu': return v > (a.alpha ?? 1) ? v : Number.isNaN(v) ? v : 0;
    case 'ScaledTanh': return (a.alpha ?? 1) * Math.tanh((a.beta ?? 1) * v);
    case 'HardSigmoid': return Math.min(Math.max((a.alpha ?? 0.2) * v + (a.beta ?? 0.5), 0), 1);
    case 'Elu': return v >= 0 ? v : (a.alpha ?? 1) * (Math.exp(v) - 1);
    case 'Softsign': return v / (1 + Math.abs(v));
    case 'Softplus': return v > 30 ? v + Math.log1p(Math.exp(-v)) : Math.log(1 + Math.exp(v));
    default: throw new Error(`unknown activation ${a.name}`);
  }
}

interface Outputs { y: number[]; yh: number[]; yc: number[] }

function reference(c: Case): Outputs {
  const { kind, seq, batch, inp, hid: H, layout } = c;
  const G = GATES[kind];
  const nd = c.dir === 'bidirectional' ? 2 : 1;
  const per = DEFAULTS[kind].length;
  const acts: Act[] = c.acts ?? [...DEFAULTS[kind], ...DEFAULTS[kind]].map((name) => ({ name }));
  const X = (t: number, b: number, k: number) => c.x[(layout === 0 ? t * batch + b : b * seq + t) * inp + k]!;
  const yIndex = (t: number, d: number, b: number) =>
    (layout === 0 ? (t * nd + d) * batch + b : (b * seq + t) * nd + d) * H;
  const sIndex = (d: number, b: number) => (layout === 0 ? d * batch + b : b * nd + d) * H;
  const clip = (v: number) => (c.clip === undefined ? v : Math.min(Math.max(v, -c.clip), c.clip));
  const y = new Array<number>(seq * nd * batch * H).fill(0);
  const yh = new Array<number>(nd * batch * H).fill(0);
  const yc = new Array<number>(nd * batch * H).fill(0);

  for (let d = 0; d < nd; d++) {
    const reverse = c.dir === 'reverse' || d === 1;
    const f = acts[d * per]!, g = acts[d * per + 1]!, h = acts[d * per + 2]!;
    const Wb = (row: number) => (c.b ? c.b[d * 2 * G * H + row]! : 0);
    const Rb = (row: number) => (c.b ? c.b[d * 2 * G * H + G * H + row]! : 0);
    const P = (gate: number, j: number) => (c.p ? c.p[d * 3 * H + gate * H + j]! : 0);
    for (let b = 0; b < batch; b++) {
      const len = c.lens ? c.lens[b]! : seq;
      let hs = Array.from({ length: H }, (_, j) => (c.h0 ? c.h0[sIndex(d, b) + j]! : 0));
      let cs = Array.from({ length: H }, (_, j) => (c.c0 ? c.c0[sIndex(d, b) + j]! : 0));
      for (let s = 0; s < len; s++) {
        const t = reverse ? len - 1 - s : s;
        // Xt * W[row]^T and v * R[row]^T
        const xw = (row: number) => {
          let acc = 0;
          for (let k = 0; k < inp; k++) acc += X(t, b, k) * c.w[(d * G * H + row) * inp + k]!;
          return acc;
        };
        const hr = (row: number, v: number[]) => {
          let acc = 0;
          for (let j = 0; j < H; j++) acc += v[j]! * c.r[(d * G * H + row) * H + j]!;
          return acc;
        };
        const next: number[] = [];
        const nextC: number[] = [];
        for (let j = 0; j < H; j++) {
          if (kind === 'RNN') {
            next.push(activate(f, clip(xw(j) + hr(j, hs) + Wb(j) + Rb(j))));
          } else if (kind === 'GRU') {
            const z = activate(f, clip(xw(j) + hr(j, hs) + Wb(j) + Rb(j)));
            const rg = (k: number) => activate(f, clip(xw(H + k) + hr(H + k, hs) + Wb(H + k) + Rb(H + k)));
            let n: number;
            if (c.lbr) {
              n = activate(g, clip(xw(2 * H + j) + rg(j) * (hr(2 * H + j, hs) + Rb(2 * H + j)) + Wb(2 * H + j)));
            } else {
              const rh = hs.map((v, k) => rg(k) * v);
              n = activate(g, clip(xw(2 * H + j) + hr(2 * H + j, rh) + Rb(2 * H + j) + Wb(2 * H + j)));
            }
            next.push((1 - z) * n + z * hs[j]!);
          } else {
            // gate rows: i = 0, o = H, f = 2H, c = 3H; peepholes i, o, f
            const pre = (gate: number) => xw(gate * H + j) + hr(gate * H + j, hs) + Wb(gate * H + j) + Rb(gate * H + j);
            const i = activate(f, clip(pre(0) + P(0, j) * cs[j]!));
            const fg = c.inputForget ? 1 - i : activate(f, clip(pre(2) + P(2, j) * cs[j]!));
            const cc = activate(g, clip(pre(3)));
            const C = fg * cs[j]! + i * cc;
            const o = activate(f, clip(pre(1) + P(1, j) * C));
            nextC.push(C);
            next.push(o * activate(h, C));
          }
        }
        hs = next;
        if (kind === 'LSTM') cs = nextC;
        for (let j = 0; j < H; j++) y[yIndex(t, d, b) + j] = hs[j]!;
      }
      if (len > 0) {
        for (let j = 0; j < H; j++) {
          yh[sIndex(d, b) + j] = hs[j]!;
          yc[sIndex(d, b) + j] = cs[j]!;
        }
      }
    }
  }
  return { y, yh, yc };
}

// ------------------------------------------------------------------ running the op

function attrMap(c: Case, withHidden: boolean): Map<string, Attribute> {
  const m = new Map<string, Attribute>();
  const str = (name: string, value: string) => m.set(name, { type: 'string', value, bytes: new TextEncoder().encode(value) });
  if (withHidden) m.set('hidden_size', { type: 'int', value: c.hid });
  if (c.dir !== 'forward' || withHidden) str('direction', c.dir);
  m.set('layout', { type: 'int', value: c.layout });
  if (c.clip !== undefined) m.set('clip', { type: 'float', value: c.clip });
  if (c.kind === 'GRU') m.set('linear_before_reset', { type: 'int', value: c.lbr ? 1 : 0 });
  if (c.kind === 'LSTM') m.set('input_forget', { type: 'int', value: c.inputForget ? 1 : 0 });
  if (c.acts) {
    m.set('activations', { type: 'strings', value: c.acts.map((a) => a.name) });
    // Consumed in order by the activations that take alpha / beta.
    const alphas = c.acts.filter((a) => TAKES_ALPHA.includes(a.name) && a.alpha !== undefined).map((a) => a.alpha!);
    const betas = c.acts.filter((a) => TAKES_BETA.includes(a.name) && a.beta !== undefined).map((a) => a.beta!);
    if (alphas.length) m.set('activation_alpha', { type: 'floats', value: alphas });
    if (betas.length) m.set('activation_beta', { type: 'floats', value: betas });
  }
  return m;
}

function runOp(c: Case, type: 'float32' | 'float64', opset = 14, withHidden = true): Tensor[] {
  const def = recurrentOps.filter((d) => d.name === c.kind && d.since <= opset).sort((a, b) => b.since - a.since)[0]!;
  const map = attrMap(c, withHidden);
  const nd = c.dir === 'bidirectional' ? 2 : 1;
  const G = GATES[c.kind];
  const sDims = c.layout === 0 ? [nd, c.batch, c.hid] : [c.batch, nd, c.hid];
  const ft = (v: number[] | undefined, dims: number[]) =>
    v === undefined ? undefined
      : new Tensor(type, type === 'float32' ? Float32Array.from(v) : Float64Array.from(v), dims);
  const inputs: (Tensor | undefined)[] = [
    ft(c.x, c.layout === 0 ? [c.seq, c.batch, c.inp] : [c.batch, c.seq, c.inp]),
    ft(c.w, [nd, G * c.hid, c.inp]),
    ft(c.r, [nd, G * c.hid, c.hid]),
    ft(c.b, [nd, 2 * G * c.hid]),
    c.lens ? new Tensor('int32', Int32Array.from(c.lens), [c.batch]) : undefined,
    ft(c.h0, sDims),
  ];
  if (c.kind === 'LSTM') inputs.push(ft(c.c0, sDims), ft(c.p, [nd, 3 * c.hid]));
  const outputs = c.kind === 'LSTM' ? ['y', 'yh', 'yc'] : ['y', 'yh'];
  const node = { name: 'n', domain: '', opType: c.kind, inputs: [], outputs, attributes: map };
  const ctx: OpContext = { node, opset, runSubgraph: () => [] };
  return def.run(inputs, def.parse!(new Attrs(map), node), ctx) as Tensor[];
}

function close(a: number, b: number, rel: number, abs: number): boolean {
  return isClose(a, b, { rtol: rel, atol: abs });
}

function expectClose(what: string, got: ArrayLike<number>, want: number[], rel: number, abs: number): void {
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!close(got[i]!, want[i]!, rel, abs)) {
      throw new Error(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
    }
  }
}

function check(c: Case, type: 'float32' | 'float64', rel: number, abs: number): void {
  // The reference sees exactly the values the op sees (rounded to float32 when testing float32).
  const round = (v: number[] | undefined) => (v && type === 'float32' ? Array.from(Float32Array.from(v)) : v);
  const rc: Case = { ...c, x: round(c.x)!, w: round(c.w)!, r: round(c.r)!, b: round(c.b), h0: round(c.h0), c0: round(c.c0), p: round(c.p) };
  const want = reference(rc);
  const got = runOp(rc, type);
  const nd = c.dir === 'bidirectional' ? 2 : 1;
  expect(got[0]!.dims).toEqual(c.layout === 0 ? [c.seq, nd, c.batch, c.hid] : [c.batch, c.seq, nd, c.hid]);
  expect(got[1]!.dims).toEqual(c.layout === 0 ? [nd, c.batch, c.hid] : [c.batch, nd, c.hid]);
  expectClose('Y', got[0]!.data as Float32Array, want.y, rel, abs);
  expectClose('Y_h', got[1]!.data as Float32Array, want.yh, rel, abs);
  if (c.kind === 'LSTM') expectClose('Y_c', got[2]!.data as Float32Array, want.yc, rel, abs);
}

// ------------------------------------------------------------------ generators

const ACT_NAMES = ['Relu', 'Tanh', 'Sigmoid', 'Affine', 'LeakyRelu', 'ThresholdedRelu', 'ScaledTanh',
  'HardSigmoid', 'Elu', 'Softsign', 'Softplus'];

const actArb: fc.Arbitrary<Act> = fc.record({
  name: fc.constantFrom(...ACT_NAMES),
  alpha: fc.option(fc.double({ min: -1, max: 1.5, noNaN: true }), { nil: undefined }),
  beta: fc.option(fc.double({ min: -1, max: 1.5, noNaN: true }), { nil: undefined }),
});

function caseArb(values: fc.Arbitrary<number>, opts: { customActs: boolean; maxSeq?: number }): fc.Arbitrary<Case> {
  const vec = (n: number) => fc.array(values, { minLength: n, maxLength: n });
  const optVec = (n: number) => fc.option(vec(n), { nil: undefined });
  return fc.record({
    kind: fc.constantFrom<Kind>('RNN', 'GRU', 'LSTM'),
    dir: fc.constantFrom<Dir>('forward', 'reverse', 'bidirectional'),
    layout: fc.constantFrom(0, 1),
    seq: fc.integer({ min: 0, max: opts.maxSeq ?? 4 }),
    batch: fc.integer({ min: 0, max: 3 }),
    inp: fc.integer({ min: 1, max: 3 }),
    hid: fc.integer({ min: 1, max: 5 }),
    clip: fc.option(fc.double({ min: 0.1, max: 5, noNaN: true }), { nil: undefined, freq: 3 }),
    lbr: fc.boolean(),
    inputForget: fc.boolean(),
    useLens: fc.boolean(),
  }).chain((s) => {
    const nd = s.dir === 'bidirectional' ? 2 : 1;
    const G = GATES[s.kind];
    const H = s.hid;
    const per = DEFAULTS[s.kind].length;
    return fc.record({
      x: vec(s.seq * s.batch * s.inp),
      w: vec(nd * G * H * s.inp),
      r: vec(nd * G * H * H),
      b: optVec(nd * 2 * G * H),
      lens: s.useLens
        ? fc.array(fc.integer({ min: 0, max: s.seq }), { minLength: s.batch, maxLength: s.batch })
        : fc.constant(undefined),
      h0: optVec(nd * s.batch * H),
      c0: optVec(nd * s.batch * H),
      p: optVec(nd * 3 * H),
      acts: opts.customActs
        ? fc.option(fc.array(actArb, { minLength: per * nd, maxLength: per * nd }), { nil: undefined, freq: 4 })
        : fc.constant(undefined),
      explicitAlpha: fc.boolean(),
      explicitBeta: fc.boolean(),
    }).map(({ explicitAlpha, explicitBeta, ...v }): Case => ({
      ...s, ...v,
      // The alpha / beta lists can only skip a value at their end, so either every
      // activation that takes one gets an explicit value or none does (defaults).
      acts: v.acts?.map((a) => ({
        name: a.name,
        alpha: explicitAlpha && TAKES_ALPHA.includes(a.name) ? a.alpha ?? 0.5 : undefined,
        beta: explicitBeta && TAKES_BETA.includes(a.name) ? a.beta ?? 0.25 : undefined,
      })),
      c0: s.kind === 'LSTM' ? v.c0 : undefined,
      p: s.kind === 'LSTM' ? v.p : undefined,
    }));
  });
}

const moderate = fc.double({ min: -2, max: 2, noNaN: true });
const withExtremes = fc.oneof(
  { weight: 6, arbitrary: moderate },
  { weight: 1, arbitrary: fc.constantFrom(1e3, -1e3, 0) },
);

// ------------------------------------------------------------------ properties

describe('recurrent activation kernel', () => {
  it('matches the formulas for ±1e3, ±Inf, NaN, with and without clip', () => {
    const v = fc.oneof(
      fc.double({ min: -50, max: 50, noNaN: true }),
      fc.constantFrom(1e3, -1e3, 800, -800, Infinity, -Infinity, NaN, 0, -0),
    );
    const arb = fc.record({
      name: fc.constantFrom(...ACT_NAMES),
      alpha: fc.double({ min: -2, max: 2, noNaN: true }),
      beta: fc.double({ min: -2, max: 2, noNaN: true }),
      xs: fc.array(v, { maxLength: 12 }),
      clip: fc.option(fc.double({ min: 0.1, max: 100, noNaN: true }), { nil: undefined }),
      f64: fc.boolean(),
    });
    fc.assert(fc.property(arb, ({ name, alpha, beta, xs, clip, f64 }) => {
      const buf = f64 ? Float64Array.from([7, ...xs, 7]) : Float32Array.from([7, ...xs, 7]);
      const inputs = Array.from(buf);
      applyRecurrentActivation(buf, 1, xs.length, { kind: name.toLowerCase() as RecurrentActivationKind, alpha, beta },
        clip ?? Infinity);
      const round = (x: number) => (f64 ? x : Math.fround(x));
      const clipped = (x: number) => (clip === undefined ? x : Math.min(Math.max(x, -clip), clip));
      const want = inputs.map((x, i) => (i === 0 || i === inputs.length - 1 ? x : round(activate({ name, alpha, beta }, clipped(x)))));
      expectClose(name, buf, want, f64 ? 1e-12 : 1e-6, 1e-12);
    }), { numRuns: 400 });
  });
});

/**
 * Absolute tolerance with ±1e3 inputs and weights: a gate's pre-activation sums products up to 1e6
 * that may cancel to 0, and a sum in another order (the kernel's GEMM) than the cell loop's is then
 * off by up to (terms) x 1e6 x 2^-53 per rounding: about 2e-9 for the dozen terms these cases have
 * (a seeded run found 1.0000000000000003e-9 against an exact 0).
 */
const EXTREME_ABS = 1e-8;

describe('RNN / GRU / LSTM vs a step-by-step cell loop', () => {
  it('float64: every direction, layout, optional input and custom activation', () => {
    fc.assert(fc.property(caseArb(moderate, { customActs: true }), (c) => check(c, 'float64', 1e-9, 1e-9)),
      { numRuns: 200 });
  });

  it('float64 with ±1e3 inputs (saturating gates stay finite)', () => {
    fc.assert(fc.property(caseArb(withExtremes, { customActs: false }), (c) => check(c, 'float64', 1e-9, EXTREME_ABS)),
      { numRuns: 150 });
  });

  it('float32 with default activations', () => {
    fc.assert(fc.property(caseArb(moderate, { customActs: false }), (c) => check(c, 'float32', 1e-4, 1e-5)),
      { numRuns: 100 });
  });

  it('each activation with explicit alpha / beta, and with defaults (RNN)', () => {
    const arb = fc.record({
      c: caseArb(withExtremes, { customActs: false }).filter((c) => c.kind === 'RNN'),
      names: fc.array(fc.constantFrom(...ACT_NAMES), { minLength: 2, maxLength: 2 }),
      alphas: fc.array(fc.double({ min: -1.5, max: 1.5, noNaN: true }), { minLength: 2, maxLength: 2 }),
      betas: fc.array(fc.double({ min: -1.5, max: 1.5, noNaN: true }), { minLength: 2, maxLength: 2 }),
      explicit: fc.boolean(),
    });
    fc.assert(fc.property(arb, ({ c, names, alphas, betas, explicit }) => {
      const nd = c.dir === 'bidirectional' ? 2 : 1;
      const acts = names.slice(0, nd).map((name, i) => ({
        name,
        alpha: explicit && TAKES_ALPHA.includes(name) ? alphas[i] : undefined,
        beta: explicit && TAKES_BETA.includes(name) ? betas[i] : undefined,
      }));
      check({ ...c, acts }, 'float64', 1e-9, EXTREME_ABS);
    }), { numRuns: 200 });
  });

  it('longer sequences in float64 (the projection matmul takes its blocked path)', () => {
    const long = caseArb(moderate, { customActs: false, maxSeq: 12 })
      .filter((c) => c.seq * c.batch >= 8);
    fc.assert(fc.property(long, (c) => check(c, 'float64', 1e-9, 1e-9)), { numRuns: 40 });
  });
});

describe('recurrent ops: edges and errors', () => {
  const base: Case = {
    kind: 'LSTM', dir: 'bidirectional', layout: 0, seq: 3, batch: 3, inp: 2, hid: 2,
    x: [1, -2, 0.5, 0.3, -1, 2, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, -0.6, 0.7, 1.5, -0.4, 0.2, 0.9],
    w: Array.from({ length: 2 * 8 * 2 }, (_, i) => Math.sin(i)),
    r: Array.from({ length: 2 * 8 * 2 }, (_, i) => Math.cos(i)),
    lens: [3, 0, 1], h0: Array.from({ length: 12 }, (_, i) => i / 10),
    lbr: false, inputForget: false,
  };

  it('a zero-length batch entry gets zeros in Y, Y_h and Y_c', () => {
    const got = runOp(base, 'float64');
    const y = got[0]!.data as Float64Array;
    // Y[t, d, b=1, :] for every t, d
    for (let t = 0; t < 3; t++) for (let d = 0; d < 2; d++) {
      expect(Array.from(y.subarray(((t * 2 + d) * 3 + 1) * 2, ((t * 2 + d) * 3 + 2) * 2))).toEqual([0, 0]);
    }
    for (const out of [got[1]!, got[2]!]) {
      const v = out.data as Float64Array;
      for (let d = 0; d < 2; d++) expect(Array.from(v.subarray((d * 3 + 1) * 2, (d * 3 + 2) * 2))).toEqual([0, 0]);
    }
    check(base, 'float64', 1e-12, 1e-12);
  });

  it('hidden_size may be omitted (taken from R); opset 7 ignores layout', () => {
    const c: Case = { ...base, lens: undefined };
    const a = runOp(c, 'float64', 14, false);
    const b = runOp(c, 'float64', 7, true);
    expectClose('Y', a[0]!.data as Float64Array, Array.from(b[0]!.data as Float64Array), 0, 0);
  });

  it('layout 1 equals layout 0 with transposed tensors', () => {
    const c: Case = { ...base, layout: 0 };
    const a = runOp(c, 'float64');
    const xT: number[] = [];
    for (let b = 0; b < 3; b++) for (let t = 0; t < 3; t++) xT.push(...c.x.slice((t * 3 + b) * 2, (t * 3 + b) * 2 + 2));
    const h0T: number[] = [];
    for (let b = 0; b < 3; b++) for (let d = 0; d < 2; d++) h0T.push(...c.h0!.slice((d * 3 + b) * 2, (d * 3 + b) * 2 + 2));
    const bt = runOp({ ...c, layout: 1, x: xT, h0: h0T }, 'float64');
    const ya = a[0]!.data as Float64Array, yb = bt[0]!.data as Float64Array;
    for (let t = 0; t < 3; t++) for (let d = 0; d < 2; d++) for (let b = 0; b < 3; b++) for (let j = 0; j < 2; j++) {
      expect(yb[((b * 3 + t) * 2 + d) * 2 + j]).toBe(ya[((t * 2 + d) * 3 + b) * 2 + j]);
    }
  });

  it('float16 runs in float32 and rounds back', () => {
    const c: Case = { ...base, kind: 'RNN', dir: 'forward', w: base.w.slice(0, 4), r: base.r.slice(0, 4), h0: undefined, lens: undefined };
    const def = recurrentOps.find((d) => d.name === 'RNN' && d.since === 14)!;
    const map = attrMap(c, true);
    const node = { name: 'n', domain: '', opType: 'RNN', inputs: [], outputs: ['y', 'yh'], attributes: map };
    // 1.0 in half is 0x3c00; all-ones input and weights
    const mk = (n: number, dims: number[]) => new Tensor('float16', new Uint16Array(n).fill(0x3c00), dims);
    const out = def.run([mk(12, [3, 2, 2]), mk(4, [1, 2, 2]), mk(4, [1, 2, 2])], def.parse!(new Attrs(map), node),
      { node, opset: 14, runSubgraph: () => [] }) as Tensor[];
    expect(out[1]!.type).toBe('float16');
    const h1 = Math.tanh(2);
    const h2 = Math.tanh(2 + 2 * h1);
    const h3 = Math.tanh(2 + 2 * h2);
    for (const v of out[1]!.toNumbers()) expect(Math.abs(v - h3)).toBeLessThan(1e-3);
  });

  it('rejects bad shapes, sequence lengths and activation lists', () => {
    expect(() => runOp({ ...base, lens: [4, 0, 1] }, 'float64')).toThrow(/sequence_lens\[0\] = 4 out of range/);
    expect(() => runOp({ ...base, w: base.w.slice(0, 8) }, 'float64')).toThrow();
    expect(() => runOp({ ...base, acts: [{ name: 'Tanh' }, { name: 'Tanh' }] }, 'float64')).toThrow(/activations/);
    expect(() => runOp({ ...base, acts: [{ name: 'Gelu' }, { name: 'Tanh' }, { name: 'Tanh' }] }, 'float64'))
      .toThrow(/unsupported activation 'gelu'/);
  });
});
