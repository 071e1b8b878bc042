import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matmulF32, matmulF64 } from '../../kernels/matmul.js';
import { matmulI32, matmulI64, requantize } from '../../kernels/matmul-int.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { linearOps } from '../../ops/onnx/linear.js';
import { Tensor } from '../../src/tensor.js';
import { isClose } from '../helpers/allclose.js';

// ---- plain references ------------------------------------------------------------------

interface Case {
  m: number; n: number; k: number;
  transA: boolean; transB: boolean;
  padA: number; padB: number; padC: number;
  aOffset: number; bOffset: number; cOffset: number;
  alpha: number; beta: number;
  bias: 'none' | 'full' | 'row' | 'col' | 'scalar';
  accumulate: boolean;
  a: number[]; b: number[]; c0: number[]; biasData: number[];
}

/** Element (i, p) of op(A) for the case's storage layout. */
function aAt(t: Case, i: number, p: number): number {
  const lda = (t.transA ? t.m : t.k) + t.padA;
  return t.a[t.aOffset + (t.transA ? p * lda + i : i * lda + p)]!;
}
function bAt(t: Case, p: number, j: number): number {
  const ldb = (t.transB ? t.k : t.n) + t.padB;
  return t.b[t.bOffset + (t.transB ? j * ldb + p : p * ldb + j)]!;
}
function biasAt(t: Case, i: number, j: number): number {
  switch (t.bias) {
    case 'full': return t.biasData[i * t.n + j]!;
    case 'row': return t.biasData[j]!;
    case 'col': return t.biasData[i]!;
    case 'scalar': return t.biasData[0]!;
    default: return 0;
  }
}

/** The naive triple loop, in float64, returning the whole C array (padding untouched). */
function reference(t: Case): number[] {
  const ldc = t.n + t.padC;
  const c = [...t.c0];
  for (let i = 0; i < t.m; i++) {
    for (let j = 0; j < t.n; j++) {
      let s = 0;
      for (let p = 0; p < t.k; p++) s += aAt(t, i, p) * bAt(t, p, j);
      let v = t.alpha * s;
      if (t.bias !== 'none') v += t.beta * biasAt(t, i, j);
      const idx = t.cOffset + i * ldc + j;
      c[idx] = t.accumulate ? c[idx]! + v : v;
    }
  }
  return c;
}

function biasLayout(t: Case): { biasRowStride: number; biasColStride: number } {
  switch (t.bias) {
    case 'full': return { biasRowStride: t.n, biasColStride: 1 };
    case 'row': return { biasRowStride: 0, biasColStride: 1 };
    case 'col': return { biasRowStride: 1, biasColStride: 0 };
    default: return { biasRowStride: 0, biasColStride: 0 };
  }
}

function run(t: Case, Arr: typeof Float32Array | typeof Float64Array): Float32Array | Float64Array {
  const c = Arr.from(t.c0);
  const opts = {
    transA: t.transA, transB: t.transB,
    lda: (t.transA ? t.m : t.k) + t.padA,
    ldb: (t.transB ? t.k : t.n) + t.padB,
    ldc: t.n + t.padC,
    aOffset: t.aOffset, bOffset: t.bOffset, cOffset: t.cOffset,
    alpha: t.alpha, accumulate: t.accumulate,
    ...(t.bias === 'none' ? {} : { bias: Arr.from(t.biasData), beta: t.beta, ...biasLayout(t) }),
  };
  if (Arr === Float32Array) matmulF32(Arr.from(t.a) as Float32Array, Arr.from(t.b) as Float32Array, c as Float32Array, t.m, t.n, t.k, opts);
  else matmulF64(Arr.from(t.a) as Float64Array, Arr.from(t.b) as Float64Array, c as Float64Array, t.m, t.n, t.k, opts);
  return c;
}

// ---- generators ------------------------------------------------------------------------

const smallInt = fc.integer({ min: -8, max: 8 });
const wide = fc.double({ min: -1e3, max: 1e3, noNaN: true });
const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0, 1e3, -1e3);

/** Dimensions around the block sizes: zero, tiny, odd, and a few larger than one block. */
const dims = fc.record({
  m: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 60, max: 70 })),
  n: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 10, max: 37 })),
  k: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 250, max: 300 })),
});

function caseArb(values: fc.Arbitrary<number>): fc.Arbitrary<Case> {
  return dims.chain(({ m, n, k }) => fc.record({
    m: fc.constant(m), n: fc.constant(n), k: fc.constant(k),
    transA: fc.boolean(), transB: fc.boolean(),
    padA: fc.integer({ min: 0, max: 2 }), padB: fc.integer({ min: 0, max: 2 }), padC: fc.integer({ min: 0, max: 2 }),
    aOffset: fc.integer({ min: 0, max: 3 }), bOffset: fc.integer({ min: 0, max: 3 }), cOffset: fc.integer({ min: 0, max: 3 }),
    alpha: fc.constantFrom(1, 0.5, -2),
    beta: fc.constantFrom(1, 0.25, 0),
    bias: fc.constantFrom('none', 'full', 'row', 'col', 'scalar') as fc.Arbitrary<Case['bias']>,
    accumulate: fc.boolean(),
  }).chain((s) => {
    const aLen = s.aOffset + (s.transA ? k * (m + s.padA) : m * (k + s.padA));
    const bLen = s.bOffset + (s.transB ? n * (k + s.padB) : k * (n + s.padB));
    const cLen = s.cOffset + m * (n + s.padC);
    return fc.record({
      a: fc.array(values, { minLength: aLen, maxLength: aLen }),
      b: fc.array(values, { minLength: bLen, maxLength: bLen }),
      c0: fc.array(smallInt, { minLength: cLen, maxLength: cLen }),
      biasData: fc.array(smallInt, { minLength: m * n + 1, maxLength: m * n + 1 }),
    }).map((d) => ({ ...s, ...d }));
  }));
}

/** Both NaN, equal infinities, or within a relative + absolute tolerance. */
function close(got: number, want: number, rel: number, abs: number): boolean {
  return isClose(got, want, { rtol: rel, atol: abs });
}

function expectClose(got: ArrayLike<number>, want: readonly number[], rel: number, abs: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!close(got[i]!, want[i]!, rel, abs)) {
      throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}

// ---- kernel properties -----------------------------------------------------------------

describe('matmulF32 / matmulF64 (blocked) vs the naive triple loop', () => {
  it('small integers: exact in float64 and float32', () => {
    fc.assert(fc.property(caseArb(smallInt), (t) => {
      const want = reference(t).map((v) => v + 0); // +0 folds -0 into 0
      expect(Array.from(run(t, Float64Array), (v) => v + 0)).toEqual(want);
      expect(Array.from(run(t, Float32Array), (v) => v + 0)).toEqual(want);
    }), { numRuns: 60 });
  });

  it('values in ±1e3: float64 to 1e-12 relative, float32 to float32 rounding', () => {
    fc.assert(fc.property(caseArb(wide), (t) => {
      const want = reference(t);
      // Cancellation makes relative error unbounded; scale the absolute tolerance by k * 1e6.
      const scale = Math.max(1, t.k) * 1e6 * 4;
      expectClose(run(t, Float64Array), want, 1e-12, 1e-15 * scale);
      expectClose(run(t, Float32Array), want, 1e-5, 1e-7 * scale);
    }), { numRuns: 40 });
  });

  it('propagates NaN and ±Inf like the naive loop', () => {
    const values = fc.oneof({ weight: 1, arbitrary: special }, { weight: 4, arbitrary: smallInt });
    fc.assert(fc.property(caseArb(values), (t) => {
      const want = reference(t);
      expectClose(run(t, Float64Array), want, 1e-12, 1e-9);
      expectClose(run(t, Float32Array), want, 1e-6, 1e-3);
    }), { numRuns: 60 });
  });

  it('NaN times zero is NaN, and Inf - Inf is NaN', () => {
    const a = new Float32Array([Number.NaN, 1, Infinity, -Infinity]);
    const b = new Float32Array([0, 0, 1, 1]);
    const c = new Float32Array(2);
    matmulF32(a, b, c, 2, 1, 2); // rows [NaN, 1] and [Inf, -Inf] times the column [0, 0]
    expect(Number.isNaN(c[0]!)).toBe(true);
    expect(Number.isNaN(c[1]!)).toBe(true);
  });
});

describe('integer matmul kernels', () => {
  const intCase = fc.record({ m: fc.integer({ min: 0, max: 6 }), n: fc.integer({ min: 0, max: 6 }), k: fc.integer({ min: 0, max: 6 }) })
    .chain(({ m, n, k }) => fc.record({
      m: fc.constant(m), n: fc.constant(n), k: fc.constant(k),
      a: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: m * k, maxLength: m * k }),
      b: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: k * n, maxLength: k * n }),
    }));

  it('int32 wraps modulo 2^32 and int64 modulo 2^64', () => {
    fc.assert(fc.property(intCase, ({ m, n, k, a, b }) => {
      const c32 = new Int32Array(m * n);
      matmulI32(Int32Array.from(a), Int32Array.from(b), c32, m, n, k);
      const c64 = new BigInt64Array(m * n);
      matmulI64(BigInt64Array.from(a.map(BigInt)), BigInt64Array.from(b.map(BigInt)), c64, m, n, k);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0n;
          for (let p = 0; p < k; p++) s += BigInt(a[i * k + p]!) * BigInt(b[p * n + j]!);
          expect(c32[i * n + j]).toBe(Number(BigInt.asIntN(32, s)));
          expect(c64[i * n + j]).toBe(BigInt.asIntN(64, s));
        }
      }
    }), { numRuns: 100 });
  });
});

// ---- op-level properties (numpy matmul broadcasting, Gemm) -----------------------------

const ctx = {} as OpContext;
const opDef = (name: string, since: number) => linearOps.find((o) => o.name === name && o.since === since)!;

/** numpy.matmul written out: promote 1-D, broadcast batch dims, loop. */
function numpyMatmul(a: number[], aDims: number[], b: number[], bDims: number[]): { data: number[]; dims: number[] } {
  const aD = aDims.length === 1 ? [1, aDims[0]!] : aDims;
  const bD = bDims.length === 1 ? [bDims[0]!, 1] : bDims;
  const [m, k] = aD.slice(-2) as [number, number];
  const n = bD[bD.length - 1]!;
  const aB = aD.slice(0, -2);
  const bB = bD.slice(0, -2);
  const rank = Math.max(aB.length, bB.length);
  const pa = [...new Array<number>(rank - aB.length).fill(1), ...aB];
  const pb = [...new Array<number>(rank - bB.length).fill(1), ...bB];
  const batch = pa.map((d, i) => (d === 1 ? pb[i]! : d));
  const total = batch.reduce((x, y) => x * y, 1);
  const data: number[] = [];
  for (let f = 0; f < total; f++) {
    // unravel f over batch, then ravel into each operand with broadcasting
    let rem = f;
    let ai = 0; let bi = 0; let aStride = 1; let bStride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const idx = rem % batch[d]!;
      rem = Math.floor(rem / batch[d]!);
      ai += (pa[d] === 1 ? 0 : idx) * aStride;
      bi += (pb[d] === 1 ? 0 : idx) * bStride;
      aStride *= pa[d]!;
      bStride *= pb[d]!;
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai * m * k + i * k + p]! * b[bi * k * n + p * n + j]!;
        data.push(s);
      }
    }
  }
  const dims = [...batch, ...(aDims.length === 1 ? [] : [m]), ...(bDims.length === 1 ? [] : [n])];
  return { data, dims };
}

describe('MatMul op', () => {
  const shapes = fc.record({
    m: fc.integer({ min: 0, max: 5 }), n: fc.integer({ min: 0, max: 5 }), k: fc.integer({ min: 0, max: 5 }),
    batch: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
    aMask: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    bMask: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    aRank1: fc.boolean(), bRank1: fc.boolean(),
    aDrop: fc.integer({ min: 0, max: 3 }), bDrop: fc.integer({ min: 0, max: 3 }),
  }).map((s) => {
    // each operand keeps a suffix of the batch dims, some of them set to 1
    const aB = s.batch.map((d, i) => (s.aMask[i] ? 1 : d)).slice(Math.min(s.aDrop, s.batch.length));
    const bB = s.batch.map((d, i) => (s.bMask[i] ? 1 : d)).slice(Math.min(s.bDrop, s.batch.length));
    const aDims = s.aRank1 ? [s.k] : [...aB, s.m, s.k];
    const bDims = s.bRank1 ? [s.k] : [...bB, s.k, s.n];
    return { aDims, bDims };
  });

  it('matches numpy.matmul semantics (1-D promotion, batch broadcasting)', () => {
    fc.assert(fc.property(shapes, fc.integer(), ({ aDims, bDims }, seed) => {
      const size = (d: number[]) => d.reduce((x, y) => x * y, 1);
      let r = seed;
      const rnd = () => ((r = (Math.imul(r, 1103515245) + 12345) | 0) >>> 16) % 9 - 4;
      const a = Array.from({ length: size(aDims) }, rnd);
      const b = Array.from({ length: size(bDims) }, rnd);
      const want = numpyMatmul(a, aDims, b, bDims);
      for (const type of ['float32', 'float64', 'int32', 'int64'] as const) {
        const mk = (d: number[], dims: number[]) => (type === 'int64'
          ? new Tensor(type, d.map(BigInt), dims) : new Tensor(type, d, dims));
        const [y] = opDef('MatMul', 1).run([mk(a, aDims), mk(b, bDims)], undefined, ctx) as Tensor[];
        expect(y!.dims).toEqual(want.dims);
        expect(y!.toNumbers().map((v) => v + 0)).toEqual(want.data.map((v) => v + 0));
      }
    }), { numRuns: 150 });
  });

  it('rejects mismatched inner dimensions with a message naming both shapes', () => {
    const a = new Tensor('float32', new Float32Array(6), [2, 3]);
    const b = new Tensor('float32', new Float32Array(8), [4, 2]);
    expect(() => opDef('MatMul', 1).run([a, b], undefined, ctx)).toThrow(/\[2, 3\].*\[4, 2\]/);
  });
});

describe('Gemm op', () => {
  it('C broadcasts unidirectionally (scalar, [N], [1, N], [M, 1], [M, N])', () => {
    const cShapes = (m: number, n: number) => fc.constantFrom([], [1], [n], [1, n], [m, 1], [m, n]);
    const arb = fc.record({ m: fc.integer({ min: 1, max: 5 }), n: fc.integer({ min: 1, max: 5 }), k: fc.integer({ min: 0, max: 5 }) })
      .chain(({ m, n, k }) => fc.record({
        m: fc.constant(m), n: fc.constant(n), k: fc.constant(k),
        cDims: cShapes(m, n), transA: fc.boolean(), transB: fc.boolean(),
        alpha: fc.constantFrom(1, 0.5, -3), beta: fc.constantFrom(1, 0, 2),
        seed: fc.integer(),
      }));
    fc.assert(fc.property(arb, ({ m, n, k, cDims, transA, transB, alpha, beta, seed }) => {
      let r = seed;
      const rnd = () => ((r = (Math.imul(r, 1103515245) + 12345) | 0) >>> 16) % 7 - 3;
      const a = Array.from({ length: m * k }, rnd);
      const b = Array.from({ length: k * n }, rnd);
      const c = Array.from({ length: cDims.reduce((x, y) => x * y, 1) }, rnd);
      const attrs = new Attrs(new Map([
        ['alpha', { type: 'float', value: alpha }], ['beta', { type: 'float', value: beta }],
        ['transA', { type: 'int', value: +transA }], ['transB', { type: 'int', value: +transB }],
      ] as const));
      const def = opDef('Gemm', 7);
      const parsed = def.parse!(attrs, {} as never);
      const A = new Tensor('float64', a, transA ? [k, m] : [m, k]);
      const B = new Tensor('float64', b, transB ? [n, k] : [k, n]);
      const C = new Tensor('float64', c, cDims);
      const [y] = def.run([A, B, C], parsed, ctx) as Tensor[];
      expect(y!.dims).toEqual([m, n]);
      const got = y!.toNumbers();
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[transA ? p * m + i : i * k + p]! * b[transB ? j * k + p : p * n + j]!;
          const ci = cDims.length === 0 ? 0 : cDims.length === 1 ? (cDims[0] === 1 ? 0 : j)
            : (cDims[0] === 1 ? 0 : i) * cDims[1]! + (cDims[1] === 1 ? 0 : j);
          expect(got[i * n + j]! + 0).toBe(alpha * s + beta * c[ci]! + 0);
        }
      }
    }), { numRuns: 150 });
  });

  it('rejects a C that does not broadcast', () => {
    const def = opDef('Gemm', 7);
    const parsed = def.parse!(new Attrs(new Map()), {} as never);
    const A = new Tensor('float32', new Float32Array(6), [2, 3]);
    const B = new Tensor('float32', new Float32Array(12), [3, 4]);
    const C = new Tensor('float32', new Float32Array(3), [3]);
    expect(() => def.run([A, B, C], parsed, ctx)).toThrow(/C \[3\]/);
  });
});

// ---- quantized products ----------------------------------------------------------------

/** numpy.rint written from its definition: nearest integer, ties to the even neighbour. */
function rint(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

describe('requantize', () => {
  it('rounds ties to even and saturates', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -800, max: 800 }).map((v) => v / 2), { maxLength: 30 }),
      fc.integer({ min: 0, max: 20 }), fc.boolean(), (vals, zp, signed) => {
        const acc = Float64Array.from(vals);
        const out = signed ? new Int8Array(vals.length) : new Uint8Array(vals.length);
        const [lo, hi] = signed ? [-128, 127] : [0, 255];
        requantize(acc, new Float64Array(vals.length).fill(1), zp, lo, hi, out);
        vals.forEach((v, i) => expect(out[i]).toBe(Math.min(hi, Math.max(lo, rint(v) + zp))));
      }), { numRuns: 100 });
  });
});

describe('MatMulInteger / QLinearMatMul ops', () => {
  const quant = fc.record({
    m: fc.integer({ min: 1, max: 5 }), k: fc.integer({ min: 0, max: 6 }), n: fc.integer({ min: 1, max: 5 }),
    signed: fc.boolean(), perRow: fc.boolean(), perCol: fc.boolean(), seed: fc.integer(),
  });
  const bytes = (signed: boolean, len: number, next: () => number) =>
    Array.from({ length: len }, () => (signed ? (next() % 256) - 128 : next() % 256));

  it('MatMulInteger: exact integer sums of zero-point-shifted operands', () => {
    fc.assert(fc.property(quant, ({ m, k, n, signed, perRow, perCol, seed }) => {
      let r = seed;
      const next = () => ((r = (Math.imul(r, 1103515245) + 12345) | 0) >>> 8) & 0xffff;
      const type = signed ? 'int8' : 'uint8';
      const a = bytes(signed, m * k, next);
      const b = bytes(signed, k * n, next);
      const az = bytes(signed, perRow ? m : 1, next);
      const bz = bytes(signed, perCol ? n : 1, next);
      const [y] = opDef('MatMulInteger', 10).run([
        new Tensor(type, a, [m, k]), new Tensor(type, b, [k, n]),
        new Tensor(type, az, perRow ? [m] : []), new Tensor(type, bz, perCol ? [n] : []),
      ], undefined, ctx) as Tensor[];
      expect(y!.type).toBe('int32');
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += (a[i * k + p]! - az[perRow ? i : 0]!) * (b[p * n + j]! - bz[perCol ? j : 0]!);
          expect(y!.data[i * n + j]).toBe(s);
        }
      }
    }), { numRuns: 100 });
  });

  it('QLinearMatMul: rint(sum * (a_scale * b_scale / y_scale in float32)) + y_zero_point, saturated', () => {
    fc.assert(fc.property(quant, fc.constantFrom(0.01, 0.05, 0.1, 0.25), fc.constantFrom(0.02, 0.5, 1.5),
      ({ m, k, n, signed, perRow, perCol, seed }, as, ys) => {
        let r = seed;
        const next = () => ((r = (Math.imul(r, 1103515245) + 12345) | 0) >>> 8) & 0xffff;
        const type = signed ? 'int8' : 'uint8';
        const a = bytes(signed, m * k, next);
        const b = bytes(signed, k * n, next);
        const az = bytes(signed, perRow ? m : 1, next);
        const bz = bytes(signed, perCol ? n : 1, next);
        const aScale = Array.from({ length: perRow ? m : 1 }, (_, i) => as * (i + 1));
        const bScale = Array.from({ length: perCol ? n : 1 }, (_, j) => 0.03 * (j + 1));
        const yz = bytes(signed, 1, next);
        const [y] = opDef('QLinearMatMul', 10).run([
          new Tensor(type, a, [m, k]), new Tensor('float32', aScale, perRow ? [m] : []), new Tensor(type, az, perRow ? [m] : []),
          new Tensor(type, b, [k, n]), new Tensor('float32', bScale, perCol ? [n] : []), new Tensor(type, bz, perCol ? [n] : []),
          new Tensor('float32', [ys], []), new Tensor(type, yz, []),
        ], undefined, ctx) as Tensor[];
        expect(y!.type).toBe(type);
        const f = Math.fround;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += (a[i * k + p]! - az[perRow ? i : 0]!) * (b[p * n + j]! - bz[perCol ? j : 0]!);
            const mult = f(f(f(aScale[perRow ? i : 0]!) * f(bScale[perCol ? j : 0]!)) / f(ys));
            const want = Math.min(signed ? 127 : 255, Math.max(signed ? -128 : 0, rint(s * mult) + yz[0]!));
            expect(y!.data[i * n + j]).toBe(want);
          }
        }
      }), { numRuns: 100 });
  });
});
