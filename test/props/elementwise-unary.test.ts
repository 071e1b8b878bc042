// Elementwise unary math, activations, Clip and predicates against plain references.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activationFloat, type ActivationOp } from '../../kernels/activation.js';
import { erf, erfAccurate, geluErf } from '../../kernels/elementwise-unary-erf.js';
import {
  clipBigInt, clipFloat, clipInt, isInfFloat, isNaNFloat, notBool, unaryBigInt, unaryFloat, unaryInt,
} from '../../kernels/elementwise-unary.js';
import { elementwiseUnaryOps } from '../../ops/onnx/elementwise-unary.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';

// ------------------------------------------------------------------ helpers

const EXTREMES = [0, -0, 1, -1, 0.5, -0.5, 1.5, -2.5, 1e3, -1e3, 1e-30, Infinity, -Infinity, NaN];

/** Doubles biased towards the interesting values. */
const anyDouble = fc.oneof(fc.constantFrom(...EXTREMES), fc.double({ min: -1e3, max: 1e3 }), fc.double());
const doubles = fc.array(anyDouble, { maxLength: 40 });
const moderate = fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { maxLength: 40 });

/** |a - b| within rel * max(1, |b|); NaN matches NaN, infinities must match exactly. */
function close(a: number, b: number, rel: number): boolean {
  if (Number.isNaN(b)) return Number.isNaN(a);
  if (!Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));
}

function expectClose(actual: ArrayLike<number>, expected: number[], rel: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!close(actual[i]!, expected[i]!, rel)) {
      throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

const ctx = {} as OpContext;

function runOp(name: string, inputs: (Tensor | undefined)[], attrs: Record<string, Attribute> = {}, since = 99): Tensor {
  const defs = elementwiseUnaryOps.filter((d) => d.name === name && d.since <= since);
  const def = defs.sort((a, b) => b.since - a.since)[0]!;
  const node = { name: 'n', domain: '', opType: name, inputs: [], outputs: [], attributes: new Map() };
  const parsed = def.parse ? def.parse(new Attrs(new Map(Object.entries(attrs))), node) : undefined;
  return def.run(inputs, parsed, ctx)[0] as Tensor;
}

// ------------------------------------------------------------------ references

/** erf by composite Simpson integration of 2/sqrt(pi) e^{-t^2} over [0, x]. */
function refErf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.min(Math.abs(x), 8);
  const n = 4000;
  const h = a / n;
  let s = 1 + Math.exp(-a * a);
  for (let k = 1; k < n; k++) s += (k % 2 ? 4 : 2) * Math.exp(-(k * h) * (k * h));
  const v = (s * h) / 3 * (2 / Math.sqrt(Math.PI));
  return x < 0 ? -v : v;
}

/** Round half to even by inspecting the fractional part. */
function refRound(x: number): number {
  if (!Number.isFinite(x)) return x;
  const lower = Math.floor(x);
  const frac = x - lower;
  if (frac < 0.5) return lower;
  if (frac > 0.5) return lower + 1;
  return lower % 2 === 0 ? lower : lower + 1;
}

function refActivation(op: ActivationOp, v: number, alpha: number, beta: number, gamma: number): number {
  switch (op) {
    case 'Relu': return Math.max(0, v);
    case 'LeakyRelu': return v >= 0 ? v : alpha * v;
    case 'Elu': return v >= 0 ? v : alpha * (Math.exp(v) - 1);
    case 'Selu': return v > 0 ? gamma * v : gamma * (alpha * Math.exp(v) - alpha);
    case 'Celu': return Math.max(0, v) + Math.min(0, alpha * (Math.exp(v / alpha) - 1));
    case 'Gelu': return 0.5 * v * (1 + refErf(v / Math.sqrt(2)));
    case 'GeluTanh': return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    case 'Sigmoid': return 1 / (1 + Math.exp(-v));
    case 'HardSigmoid': return Math.max(0, Math.min(1, alpha * v + beta));
    case 'HardSwish': return v * Math.max(0, Math.min(1, alpha * v + beta));
    case 'Tanh': return (Math.exp(2 * v) - 1) / (Math.exp(2 * v) + 1);
    case 'Softplus': return Math.log(1 + Math.exp(v));
    case 'Softsign': return v / (1 + Math.abs(v));
    case 'Mish': return v * Math.tanh(Math.log(1 + Math.exp(v)));
    case 'ThresholdedRelu': return v > alpha ? v : 0;
    case 'Shrink': return v < -alpha ? v + beta : v > alpha ? v - beta : 0;
    case 'Swish': return v / (1 + Math.exp(-alpha * v));
  }
}

// ------------------------------------------------------------------ tests

describe('erf', () => {
  it('matches numerical integration to 1e-13', () => {
    fc.assert(fc.property(fc.double({ min: -7, max: 7, noNaN: true }), (x) => {
      expect(close(erf(x), refErf(x), 1e-13)).toBe(true);
    }), { numRuns: 200 });
  });
  it('the tabled erf agrees with the series it was made from to 1e-14, piece ends included', () => {
    const ends = Array.from({ length: 7 * 16 + 1 }, (_, k) => k / 16).flatMap((e) => [e, e * (1 + 2 ** -52), e * (1 - 2 ** -52)]);
    const check = (x: number): void => {
      expect(close(erf(x), erfAccurate(x), 1e-14) && close(erf(-x), erfAccurate(-x), 1e-14)).toBe(true);
    };
    ends.forEach(check);
    fc.assert(fc.property(fc.double({ min: -8, max: 8, noNaN: true }), check), { numRuns: 2000 });
    expect(close(erf(1e-300), erfAccurate(1e-300), 1e-15)).toBe(true);
  });
  it('is odd, bounded by 1, and monotone', () => {
    fc.assert(fc.property(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (x, d) => {
      expect(erf(-x)).toBe(-erf(x));
      expect(Math.abs(erf(x))).toBeLessThanOrEqual(1);
      expect(erf(x + d)).toBeGreaterThanOrEqual(erf(x));
    }), { numRuns: 200 });
  });
  it('handles the special values', () => {
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(Number.isNaN(erf(NaN))).toBe(true);
    expect(Object.is(erf(-0), -0)).toBe(true);
  });
});

describe('geluErf (the GELU of GEMM epilogues and activation passes)', () => {
  const phi = (v: number) => 0.5 * (1 + erfAccurate(v / Math.SQRT2));
  it('v Phi(v) within 3e-15 of Phi from the accurate erf, piece ends included', () => {
    const ends = Array.from({ length: 7 * 16 + 1 }, (_, k) => (k / 16) * Math.SQRT2).flatMap((e) => [e, e * (1 + 2 ** -52), e * (1 - 2 ** -52)]);
    const check = (v: number): void => {
      for (const x of [v, -v]) {
        const want = x * phi(x);
        if (!(Math.abs(geluErf(x) - want) <= 3e-15 * Math.abs(x) + 1e-323)) throw new Error(`x = ${x}: got ${geluErf(x)}, want ${want}`);
      }
    };
    ends.forEach(check);
    fc.assert(fc.property(fc.double({ min: -12, max: 12, noNaN: true }), (v) => check(v)), { numRuns: 3000 });
  });
  it('keeps relative accuracy in the negative tail (where 0.5 v (1 + erf) cancels)', () => {
    // erfc(a) for a = 3.5, 4, 5, 5.9 (CPython's math.erfc, correctly rounded to ~1 ulp).
    for (const [a, erfc] of [[3.5, 7.430983723414128e-7], [4, 1.541725790028002e-8], [5, 1.5374597944280351e-12], [5.9, 7.190409783550478e-17]] as const) {
      const v = -a * Math.SQRT2;
      const want = 0.5 * v * erfc;
      expect(Math.abs(geluErf(v) - want)).toBeLessThanOrEqual(1e-9 * Math.abs(want));
    }
  });
  it('special values as 0.5 v (1 + erf(v / sqrt 2)) gives them', () => {
    expect(Object.is(geluErf(-0), -0)).toBe(true);
    expect(Object.is(geluErf(0), 0)).toBe(true);
    expect(Object.is(geluErf(-1e3), -0)).toBe(true);
    expect(geluErf(1e3)).toBe(1e3);
    expect(geluErf(Infinity)).toBe(Infinity);
    expect(geluErf(-Infinity)).toBeNaN();
    expect(geluErf(NaN)).toBeNaN();
  });
});

describe('unaryFloat', () => {
  it('Abs/Neg clear or flip only the sign bit', () => {
    const view = new DataView(new ArrayBuffer(8));
    const withSignBit = (v: number, op: 'clear' | 'flip') => {
      view.setFloat64(0, v);
      const hi = view.getUint8(0);
      view.setUint8(0, op === 'clear' ? hi & 0x7f : hi ^ 0x80);
      return view.getFloat64(0);
    };
    fc.assert(fc.property(doubles, (xs) => {
      const x = Float64Array.from(xs);
      const abs = new Float64Array(x.length);
      const neg = new Float64Array(x.length);
      unaryFloat('Abs', x, abs);
      unaryFloat('Neg', x, neg);
      xs.forEach((v, i) => {
        if (Number.isNaN(v)) { expect(abs[i]).toBeNaN(); expect(neg[i]).toBeNaN(); return; }
        expect(Object.is(abs[i], withSignBit(v, 'clear'))).toBe(true);
        expect(Object.is(neg[i], withSignBit(v, 'flip'))).toBe(true);
      });
    }));
  });

  it('Round is half-to-even; Floor <= x <= Ceil; Sign in {-1, 0, 1}', () => {
    fc.assert(fc.property(fc.array(fc.oneof(anyDouble, fc.integer({ min: -20, max: 20 }).map((k) => k + 0.5)), { maxLength: 40 }), (xs) => {
      const x = Float64Array.from(xs);
      const r = new Float64Array(x.length);
      const f = new Float64Array(x.length);
      const c = new Float64Array(x.length);
      const s = new Float64Array(x.length);
      unaryFloat('Round', x, r);
      unaryFloat('Floor', x, f);
      unaryFloat('Ceil', x, c);
      unaryFloat('Sign', x, s);
      xs.forEach((v, i) => {
        if (Number.isNaN(v)) {
          for (const a of [r, f, c, s]) expect(a[i]).toBeNaN();
          return;
        }
        expect(r[i]! === refRound(v)).toBe(true); // === treats -0 and 0 alike; the sign is checked below
        expect(f[i]! <= v && v <= c[i]!).toBe(true);
        if (Number.isFinite(v)) expect(c[i]! - f[i]!).toBeLessThanOrEqual(1);
        expect(s[i]! === (v > 0 ? 1 : v < 0 ? -1 : 0)).toBe(true);
      });
    }));
  });

  it('Round keeps the sign of a zero result', () => {
    const x = Float64Array.from([-0.4, -0, 0.4, -0.5, 0.5, 2.5, -2.5, 3.5]);
    const y = new Float64Array(x.length);
    unaryFloat('Round', x, y);
    expect(Array.from(y).map((v) => (Object.is(v, -0) ? '-0' : String(v)))).toEqual(['-0', '-0', '0', '-0', '0', '2', '-2', '4']);
  });

  it('exp/log, sin/cos, sqrt, reciprocal and the hyperbolics satisfy their identities', () => {
    fc.assert(fc.property(moderate, (xs) => {
      const x = Float64Array.from(xs);
      const n = x.length;
      const out = (op: Parameters<typeof unaryFloat>[0], src: Float64Array) => {
        const y = new Float64Array(n);
        unaryFloat(op, src, y);
        return y;
      };
      const ex = out('Exp', x);
      const lg = out('Log', ex);
      const sn = out('Sin', x);
      const cs = out('Cos', x);
      const sh = out('Sinh', x);
      const ch = out('Cosh', x);
      const sq = out('Sqrt', ex);
      const rc = out('Reciprocal', ex);
      const at = out('Atan', out('Tan', x));
      const ash = out('Asinh', sh);
      for (let i = 0; i < n; i++) {
        expect(close(lg[i]!, xs[i]!, 1e-12)).toBe(true);
        expect(close(sn[i]! ** 2 + cs[i]! ** 2, 1, 1e-12)).toBe(true);
        expect(close(ch[i]! ** 2 - sh[i]! ** 2, 1, 1e-6 * ch[i]! ** 2)).toBe(true);
        expect(close(sq[i]! * sq[i]!, ex[i]!, 1e-12)).toBe(true);
        expect(close(rc[i]! * ex[i]!, 1, 1e-12)).toBe(true);
        expect(Math.abs(Math.tan(at[i]!) - Math.tan(xs[i]!))).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.tan(xs[i]!) ** 2));
        expect(close(ash[i]!, xs[i]!, 1e-9)).toBe(true);
      }
    }));
  });

  it('inverse trig functions stay in range; domain errors give NaN', () => {
    const x = Float64Array.from([-1, -0.5, 0, 0.5, 1, 2, -2, NaN]);
    const asin = new Float64Array(8);
    const acos = new Float64Array(8);
    const acosh = new Float64Array(8);
    const atanh = new Float64Array(8);
    unaryFloat('Asin', x, asin);
    unaryFloat('Acos', x, acos);
    unaryFloat('Acosh', x, acosh);
    unaryFloat('Atanh', x, atanh);
    expectClose(asin, [-Math.PI / 2, -Math.PI / 6, 0, Math.PI / 6, Math.PI / 2, NaN, NaN, NaN], 1e-15);
    expectClose(acos, [Math.PI, 2 * Math.PI / 3, Math.PI / 2, Math.PI / 3, 0, NaN, NaN, NaN], 1e-15);
    expect(acosh[4]).toBe(0);
    expect(acosh[0]).toBeNaN();
    expect(atanh[4]).toBe(Infinity);
    expect(atanh[5]).toBeNaN();
  });

  it('float32 outputs are the rounded double results', () => {
    fc.assert(fc.property(fc.array(fc.float({ min: -5, max: 5, noNaN: true }), { maxLength: 30 }), (xs) => {
      const x = Float32Array.from(xs);
      const y = new Float32Array(x.length);
      unaryFloat('Erf', x, y);
      xs.forEach((v, i) => {
        const ref = Math.fround(refErf(Math.fround(v)));
        expect(Math.abs(y[i]! - ref)).toBeLessThanOrEqual(Math.abs(ref) * 2 ** -23 + 1e-300);
      });
    }));
  });
});

describe('activationFloat', () => {
  const ops: ActivationOp[] = [
    'Relu', 'LeakyRelu', 'Elu', 'Selu', 'Celu', 'Gelu', 'GeluTanh', 'Sigmoid', 'HardSigmoid', 'HardSwish',
    'Tanh', 'Softplus', 'Softsign', 'Mish', 'ThresholdedRelu', 'Shrink', 'Swish',
  ];
  it('matches the ONNX formulas on moderate inputs', () => {
    fc.assert(fc.property(
      fc.constantFrom(...ops), moderate,
      fc.double({ min: 0.05, max: 3, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0.5, max: 2, noNaN: true }),
      (op, xs, alpha, beta, gamma) => {
        const x = Float64Array.from(xs);
        const y = new Float64Array(x.length);
        activationFloat(op, x, y, alpha, beta, gamma);
        expectClose(y, xs.map((v) => refActivation(op, v, alpha, beta, gamma)), 1e-9);
      },
    ), { numRuns: 300 });
  });

  it('stays finite and saturates correctly at ±1e3 and ±Inf', () => {
    const x = Float64Array.from([-Infinity, -1e3, 1e3, Infinity]);
    const run = (op: ActivationOp, alpha = 1, beta = 0.5) => {
      const y = new Float64Array(4);
      activationFloat(op, x, y, alpha, beta, 1);
      return Array.from(y);
    };
    expect(run('Sigmoid')).toEqual([0, 0, 1, 1]);
    expect(run('Tanh')).toEqual([-1, -1, 1, 1]);
    expect(run('Softplus')).toEqual([0, 0, 1e3, Infinity]);
    expect(run('Softsign')).toEqual([-1, -1e3 / 1001, 1e3 / 1001, 1]);
    expect(run('Mish').slice(2)).toEqual([1e3, Infinity]);
    expect(run('Mish')[1]).toBeCloseTo(0, 12);
    expect(run('Gelu').slice(1)).toEqual([-0, 1e3, Infinity]);
    expect(run('Elu')).toEqual([-1, -1, 1e3, Infinity]);
    expect(run('HardSigmoid', 0.2, 0.5)).toEqual([0, 0, 1, 1]);
    expect(run('Relu')).toEqual([0, 0, 1e3, Infinity]);
  });

  it('propagates NaN', () => {
    for (const op of ops) {
      const y = new Float64Array(1);
      activationFloat(op, Float64Array.of(NaN), y, 1, 0.5, 1);
      if (op === 'ThresholdedRelu' || op === 'Shrink') expect(y[0]).toBe(0); // comparisons with NaN are false
      else expect(y[0]).toBeNaN();
    }
  });
});

describe('integer unary ops', () => {
  const ranges = [
    { make: (xs: number[]) => Int8Array.from(xs), lo: -128, hi: 127, bits: 8 },
    { make: (xs: number[]) => Int16Array.from(xs), lo: -32768, hi: 32767, bits: 16 },
    { make: (xs: number[]) => Int32Array.from(xs), lo: -(2 ** 31), hi: 2 ** 31 - 1, bits: 32 },
  ];
  const wrap = (v: number, bits: number) => Number(BigInt.asIntN(bits, BigInt(v)));

  it('Abs/Neg/Sign/Relu wrap like two\'s complement', () => {
    for (const { make, lo, hi, bits } of ranges) {
      fc.assert(fc.property(fc.array(fc.oneof(fc.constantFrom(lo, hi, 0, -1), fc.integer({ min: lo, max: hi })), { maxLength: 30 }), (xs) => {
        const x = make(xs);
        for (const [op, ref] of [
          ['Abs', (v: number) => wrap(Math.abs(v), bits)],
          ['Neg', (v: number) => wrap(-v, bits)],
          ['Sign', (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0)],
          ['Relu', (v: number) => (v > 0 ? v : 0)],
        ] as const) {
          const y = make(xs.map(() => 0));
          unaryInt(op, x, y);
          expect(Array.from(y)).toEqual(xs.map(ref));
        }
      }), { numRuns: 50 });
    }
  });

  it('BigInt variants match for int64', () => {
    fc.assert(fc.property(fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 30 }), (xs) => {
      const x = BigInt64Array.from(xs);
      const y = new BigInt64Array(xs.length);
      unaryBigInt('Abs', x, y);
      expect(Array.from(y)).toEqual(xs.map((v) => BigInt.asIntN(64, v < 0n ? -v : v)));
      unaryBigInt('Neg', x, y);
      expect(Array.from(y)).toEqual(xs.map((v) => BigInt.asIntN(64, -v)));
      unaryBigInt('Relu', x, y);
      expect(Array.from(y)).toEqual(xs.map((v) => (v > 0n ? v : 0n)));
      unaryBigInt('Sign', x, y);
      expect(Array.from(y)).toEqual(xs.map((v) => (v > 0n ? 1n : v < 0n ? -1n : 0n)));
    }));
  });
});

describe('Clip', () => {
  it('floats: min(max(x, lo), hi), including lo > hi and NaN', () => {
    fc.assert(fc.property(doubles, anyDouble, anyDouble, (xs, a, b) => {
      fc.pre(!Number.isNaN(a) && !Number.isNaN(b));
      const x = Float64Array.from(xs);
      const y = new Float64Array(x.length);
      clipFloat(x, y, a, b);
      expectClose(y, xs.map((v) => Math.min(Math.max(v, a), b)), 0);
    }));
  });

  it('ints and int64', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -128, max: 127 }), { maxLength: 30 }), fc.integer({ min: -128, max: 127 }), fc.integer({ min: -128, max: 127 }), (xs, a, b) => {
      const y = new Int8Array(xs.length);
      clipInt(Int8Array.from(xs), y, a, b);
      expect(Array.from(y)).toEqual(xs.map((v) => Math.min(Math.max(v, a), b)));
      const yb = new BigInt64Array(xs.length);
      clipBigInt(BigInt64Array.from(xs.map(BigInt)), yb, BigInt(a), BigInt(b));
      expect(Array.from(yb)).toEqual(xs.map((v) => BigInt(Math.min(Math.max(v, a), b))));
    }));
  });

  it('op: optional bounds, int8 and float16 inputs, scalar checks', () => {
    const x = new Tensor('int8', Int8Array.from([-128, -5, 0, 5, 127]), [5]);
    const lo = new Tensor('int8', Int8Array.from([-3]), []);
    expect(Array.from(runOp('Clip', [x, lo, undefined]).data as Int8Array)).toEqual([-3, -3, 0, 5, 127]);
    expect(Array.from(runOp('Clip', [x, undefined, lo]).data as Int8Array)).toEqual([-128, -5, -3, -3, -3]);
    const h = new Tensor('float16', Uint16Array.from([0x3c00, 0xc000, 0x7c00]), [3]); // 1, -2, inf
    const hmax = new Tensor('float16', Uint16Array.from([0x3800]), []); // 0.5
    expect(Array.from(runOp('Clip', [h, undefined, hmax]).data as Uint16Array)).toEqual([0x3800, 0xc000, 0x3800]);
    expect(() => runOp('Clip', [x, new Tensor('int8', Int8Array.from([1, 2]), [2])])).toThrow(/scalar/);
    const f = new Tensor('float32', Float32Array.from([-1e3, 0, 1e3]), [3]);
    const clip6 = runOp('Clip', [f], { min: { type: 'float', value: -1 }, max: { type: 'float', value: 2 } }, 6);
    expect(Array.from(clip6.data as Float32Array)).toEqual([-1, 0, 2]);
  });
});

describe('predicates', () => {
  it('IsNaN, IsInf (with detect flags) and Not', () => {
    fc.assert(fc.property(doubles, fc.boolean(), fc.boolean(), (xs, pos, neg) => {
      const x = Float64Array.from(xs);
      const nan = new Uint8Array(x.length);
      const inf = new Uint8Array(x.length);
      const not = new Uint8Array(x.length);
      isNaNFloat(x, nan);
      isInfFloat(x, inf, pos, neg);
      notBool(nan, not);
      expect(Array.from(nan)).toEqual(xs.map((v) => (Number.isNaN(v) ? 1 : 0)));
      expect(Array.from(inf)).toEqual(xs.map((v) => ((pos && v === Infinity) || (neg && v === -Infinity) ? 1 : 0)));
      expect(Array.from(not)).toEqual(xs.map((v) => (Number.isNaN(v) ? 0 : 1)));
    }));
  });
});

describe('ops', () => {
  it('float16 inputs are computed in float32 and rounded back', () => {
    const hs = new Tensor('float16', Uint16Array.from([0x3c00]), [1]);
    expect(Array.from(runOp('HardSwish', [hs]).data as Uint16Array)).toEqual([0x3955]); // 2/3 in float16
    // 0x3c00 = 1, 0x4000 = 2, 0xbc00 = -1, 0x0000 = 0
    const x = new Tensor('float16', Uint16Array.from([0x3c00, 0x4000, 0xbc00, 0x0000]), [2, 2]);
    const y = runOp('Sqrt', [x]);
    expect(y.type).toBe('float16');
    expect(y.dims).toEqual([2, 2]);
    const bits = Array.from(y.data as Uint16Array);
    expect([bits[0], bits[1], bits[3]]).toEqual([0x3c00, 0x3da8, 0x0000]); // sqrt(2) = 0x3da8
    expect((bits[2]! & 0x7c00) === 0x7c00 && (bits[2]! & 0x3ff) !== 0).toBe(true); // sqrt(-1): a NaN
  });

  it('zero-sized tensors pass through', () => {
    const x = new Tensor('float32', new Float32Array(0), [0, 3]);
    for (const name of ['Exp', 'Relu', 'Gelu', 'Round', 'Clip']) {
      const y = runOp(name, [x]);
      expect(y.dims).toEqual([0, 3]);
      expect(y.size).toBe(0);
    }
  });

  it('attributes: defaults and overrides', () => {
    const x = new Tensor('float32', Float32Array.from([-2, -0.25, 0.25, 2]), [4]);
    expect(Array.from(runOp('LeakyRelu', [x]).data as Float32Array)).toEqual([-0.02, -0.0025, 0.25, 2].map(Math.fround));
    expect(Array.from(runOp('Shrink', [x], { lambd: { type: 'float', value: 1 }, bias: { type: 'float', value: 0.5 } }).data as Float32Array))
      .toEqual([-1.5, 0, 0, 1.5]);
    expect(Array.from(runOp('ThresholdedRelu', [x]).data as Float32Array)).toEqual([0, 0, 0, 2]);
    const inf = new Tensor('float32', Float32Array.from([-Infinity, 0, Infinity]), [3]);
    expect(Array.from(runOp('IsInf', [inf], { detect_negative: { type: 'int', value: 0 } }).data as Uint8Array)).toEqual([0, 0, 1]);
    const f8 = new Tensor('float8e5m2', Uint8Array.from([0x7c, 0xfc, 0x7e, 0x3c]), [4]); // inf, -inf, nan, 1
    expect(Array.from(runOp('IsInf', [f8]).data as Uint8Array)).toEqual([1, 1, 0, 0]);
    expect(Array.from(runOp('IsNaN', [f8]).data as Uint8Array)).toEqual([0, 0, 1, 0]);
    expect(() => runOp('Gelu', [x], { approximate: { type: 'string', value: 'fast', bytes: new Uint8Array() } })).toThrow(/approximate/);
  });

  it('rejects wrong input types with a message naming the op', () => {
    const i = new Tensor('int32', Int32Array.from([1]), [1]);
    expect(() => runOp('Sqrt', [i])).toThrow(/Sqrt.*int32/);
    expect(() => runOp('Not', [i])).toThrow(/Not.*bool/);
    expect(Array.from(runOp('Abs', [new Tensor('int64', BigInt64Array.from([-3n]), [1])]).data as BigInt64Array)).toEqual([3n]);
  });
});
