// Cast / CastLike and the small float formats against plain references built from the
// format definitions (exponent/mantissa/bias), not from the kernels' own tables.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CastData, type CastType, castElements, parseNumber } from '../../kernels/cast.js';
import { castOps } from '../../ops/onnx/cast.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute } from '../../src/ir/graph.js';
import { allocate } from '../../src/dtypes.js';
import { Tensor } from '../../src/tensor.js';

// ------------------------------------------------------------------ references

interface Spec {
  exp: number;
  mant: number;
  bias: number;
  /** 'ieee': top exponent is Inf/NaN; 'fn': only S.1111.111 is NaN; 'fnuz': 0x80 is NaN, no -0; 'none'. */
  kind: 'ieee' | 'fn' | 'fnuz' | 'none';
}

const SPECS: Record<string, Spec> = {
  float8e4m3fn: { exp: 4, mant: 3, bias: 7, kind: 'fn' },
  float8e4m3fnuz: { exp: 4, mant: 3, bias: 8, kind: 'fnuz' },
  float8e5m2: { exp: 5, mant: 2, bias: 15, kind: 'ieee' },
  float8e5m2fnuz: { exp: 5, mant: 2, bias: 16, kind: 'fnuz' },
  float4e2m1: { exp: 2, mant: 1, bias: 1, kind: 'none' },
};

/** Value of a bit pattern straight from the definition. */
function refDecode(bits: number, s: Spec): number {
  const total = 1 + s.exp + s.mant;
  const signMask = 1 << (total - 1);
  const e = (bits >> s.mant) & ((1 << s.exp) - 1);
  const m = bits & ((1 << s.mant) - 1);
  const sign = bits & signMask ? -1 : 1;
  if (s.kind === 'fnuz' && bits === signMask) return NaN;
  if (s.kind === 'fn' && e === (1 << s.exp) - 1 && m === (1 << s.mant) - 1) return NaN;
  if (s.kind === 'ieee' && e === (1 << s.exp) - 1) return m ? NaN : sign * Infinity;
  const v = e === 0 ? m * 2 ** (1 - s.bias - s.mant) : (1 + m * 2 ** -s.mant) * 2 ** (e - s.bias);
  return sign * v;
}

/** All finite values with their bit patterns. */
function finiteValues(s: Spec): { bits: number; value: number }[] {
  const out: { bits: number; value: number }[] = [];
  for (let b = 0; b < 1 << (1 + s.exp + s.mant); b++) {
    const v = refDecode(b, s);
    if (Number.isFinite(v)) out.push({ bits: b, value: v });
  }
  return out;
}

/** Encoding by exhaustive nearest search; ties go to the even (last bit 0) pattern. */
function refEncode(x: number, s: Spec, saturate: boolean): number {
  const signMask = 1 << (s.exp + s.mant);
  const all = finiteValues(s);
  const maxValue = Math.max(...all.map((c) => c.value));
  const maxBits = all.find((c) => c.value === maxValue)!.bits;
  const nan = s.kind === 'fnuz' || s.kind === 'none' ? signMask : s.kind === 'fn' ? signMask - 1 : ((1 << s.exp) - 1) << s.mant | 1 << (s.mant - 1);
  if (Number.isNaN(x)) return nan;
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  // Nearest non-negative candidate (ties to even mantissa).
  let best = { bits: 0, value: 0 };
  let bestDist = Infinity;
  for (const c of all) {
    if (c.bits & signMask) continue;
    const d = Math.abs(c.value - a);
    if (d < bestDist || (d === bestDist && (c.bits & 1) === 0)) { best = c; bestDist = d; }
  }
  // Beyond max: anything at least half an ulp past max overflows (max has an odd mantissa or rounds up).
  const ulpAtMax = maxValue - Math.max(...all.filter((c) => c.value < maxValue).map((c) => c.value));
  const overflow = a === Infinity || a > maxValue + ulpAtMax / 2 || (a === maxValue + ulpAtMax / 2 && (maxBits & 1) === 1);
  const sign = neg ? signMask : 0;
  if (overflow) {
    if (saturate || s.kind === 'none') return sign | maxBits;
    if (s.kind === 'ieee') return sign | (((1 << s.exp) - 1) << s.mant);
    if (s.kind === 'fn') return sign | (signMask - 1);
    return signMask;
  }
  if (best.value === 0 && s.kind === 'fnuz') return 0;
  return sign | best.bits;
}

function cast(src: CastData, from: CastType, to: CastType, saturate = true, roundMode: 'up' | 'down' | 'nearest' = 'up'): CastData {
  const dst = allocate(to, src.length) as CastData;
  castElements(src, from, dst, to, { saturate, roundMode });
  return dst;
}

const interesting = fc.oneof(
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e3, -1e3, 448, 464, 470, 480, 240, 57344, 61440, 6, 7, 0.25, 0.75, 1e-30),
  fc.double({ min: -600, max: 600 }),
  fc.double({ min: -1, max: 1 }),
  fc.float(),
);

const ctx = {} as OpContext;

function runOp(name: string, inputs: Tensor[], attrs: Record<string, Attribute> = {}, since = 99): Tensor {
  const def = castOps.filter((d) => d.name === name && d.since <= since).sort((a, b) => b.since - a.since)[0]!;
  const node = { name: 'n', domain: '', opType: name, inputs: [], outputs: [], attributes: new Map() };
  const parsed = def.parse ? def.parse(new Attrs(new Map(Object.entries(attrs))), node) : undefined;
  return def.run(inputs, parsed, ctx)[0] as Tensor;
}

// ------------------------------------------------------------------ tests

describe('float8 / float4', () => {
  for (const [name, spec] of Object.entries(SPECS)) {
    const type = name as CastType;
    it(`${name}: encoding matches nearest-even search, saturating and not`, () => {
      const sorted = finiteValues(spec).map((c) => c.value).sort((a, b) => a - b);
      const midpoint = fc.integer({ min: 0, max: sorted.length - 2 }).map((i) => (sorted[i]! + sorted[i + 1]!) / 2);
      fc.assert(fc.property(fc.array(fc.oneof(interesting, midpoint), { maxLength: 20 }), fc.boolean(), (xs, saturate) => {
        const bits = cast(Float64Array.from(xs), 'float64', type, saturate) as Uint8Array;
        expect(Array.from(bits)).toEqual(xs.map((x) => refEncode(x, spec, saturate)));
      }), { numRuns: 60 });
    });
    it(`${name}: decoding matches the definition and round-trips`, () => {
      const n = 1 << (1 + spec.exp + spec.mant);
      const all = Uint8Array.from({ length: n }, (_, i) => i);
      const values = cast(all, type, 'float32') as Float32Array;
      for (let b = 0; b < n; b++) {
        const ref = refDecode(b, spec);
        if (Number.isNaN(ref)) expect(values[b]).toBeNaN();
        else expect(Object.is(values[b], ref)).toBe(true);
      }
      const back = cast(values, 'float32', type, false) as Uint8Array;
      for (let b = 0; b < n; b++) {
        if (!Number.isNaN(refDecode(b, spec))) expect(back[b]).toBe(b);
      }
    });
  }
});

describe('float16 / bfloat16', () => {
  const half: Spec = { exp: 5, mant: 10, bias: 15, kind: 'ieee' };
  const positives = finiteValues(half).filter((c) => c.bits < 0x8000).sort((a, b) => a.value - b.value);
  /** Nearest-even float16 by binary search over all positive values. */
  function refHalf(x: number): number {
    if (Number.isNaN(x)) return 0x7e00;
    const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
    const a = Math.abs(x);
    if (a >= 65520) return sign | 0x7c00; // 65504 + half an ulp rounds to infinity
    let lo = 0;
    let hi = positives.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (positives[mid]!.value <= a) lo = mid;
      else hi = mid;
    }
    const [l, h] = [positives[lo]!, positives[hi]!];
    const dl = a - l.value;
    const dh = h.value - a;
    const pick = dl < dh ? l : dh < dl ? h : (l.bits & 1) === 0 ? l : h;
    return sign | (a <= l.value ? l.bits : pick.bits);
  }

  it('float64 -> float16 rounds once, to nearest even', () => {
    // Values just above a tie in float64 that float32 would round onto the tie.
    fc.assert(fc.property(fc.array(fc.oneof(interesting, fc.double({ min: -70000, max: 70000 }), fc.double({ min: -1e-4, max: 1e-4 })), { maxLength: 30 }), (xs) => {
      const bits = cast(Float64Array.from(xs), 'float64', 'float16') as Uint16Array;
      expect(Array.from(bits)).toEqual(xs.map(refHalf));
    }));
    const tricky = 1 + 2 ** -11 + 2 ** -40; // just above the 1 / 1+2^-10 midpoint
    expect((cast(Float64Array.of(tricky), 'float64', 'float16') as Uint16Array)[0]).toBe(0x3c01);
  });

  it('bfloat16 <-> float32 keeps the top 16 bits after rounding to nearest even', () => {
    fc.assert(fc.property(fc.array(fc.float({ noNaN: true }), { maxLength: 30 }), (xs) => {
      const f = Float32Array.from(xs);
      const bits = cast(f, 'float32', 'bfloat16') as Uint16Array;
      const u = new Uint32Array(f.buffer);
      xs.forEach((_, i) => {
        const x = u[i]!;
        const lower = x & 0xffff;
        let top = x >>> 16;
        if (lower > 0x8000 || (lower === 0x8000 && (top & 1))) top += 1;
        expect(bits[i]).toBe(top & 0xffff);
      });
    }));
  });
});

describe('float8e8m0', () => {
  function refE8M0(x: number, mode: 'up' | 'down' | 'nearest', saturate: boolean): number {
    if (Number.isNaN(x)) return 0xff;
    const a = Math.abs(x);
    if (a === 0) return 0;
    let k = -200;
    while (2 ** (k + 1) <= a && k < 200) k++; // 2^k <= a < 2^(k+1)
    let e = k;
    if (2 ** k !== a) {
      if (mode === 'up') e = k + 1;
      if (mode === 'nearest' && a - 2 ** k >= 2 ** (k + 1) - a) e = k + 1;
    }
    if (e > 127 || a === Infinity) return saturate ? 0xfe : 0xff;
    return Math.max(e, -127) + 127;
  }
  it('rounds up / down / nearest to powers of two', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(interesting, fc.double({ min: 1e37, max: 1e39 })), { maxLength: 20 }),
      fc.constantFrom('up' as const, 'down' as const, 'nearest' as const), fc.boolean(),
      (xs, mode, saturate) => {
        const bits = cast(Float64Array.from(xs), 'float64', 'float8e8m0', saturate, mode) as Uint8Array;
        expect(Array.from(bits)).toEqual(xs.map((x) => refE8M0(x, mode, saturate)));
      },
    ));
  });
  it('decodes to 2^(e - 127), 0xFF to NaN', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const v = cast(all, 'float8e8m0', 'float64') as Float64Array;
    for (let i = 0; i < 255; i++) expect(v[i]).toBe(2 ** (i - 127));
    expect(v[255]).toBeNaN();
  });
});

describe('integer and bool targets', () => {
  const ints: [CastType, number][] = [['int8', 8], ['uint8', 8], ['int16', 16], ['uint16', 16], ['int32', 32], ['uint32', 32], ['int4', 4], ['uint4', 4], ['int2', 2], ['uint2', 2]];
  /** C-style: truncate toward zero, then keep the low `bits` bits. */
  function refInt(x: number, bits: number, signed: boolean): number {
    if (!Number.isFinite(x)) return 0;
    const t = BigInt(Math.trunc(x));
    return Number(signed ? BigInt.asIntN(bits, t) : BigInt.asUintN(bits, t));
  }
  it('floats truncate toward zero and wrap', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(-0.5, 0.9, -8.5, 7.9, 255.5, 128, -129)), { maxLength: 30 }), (xs) => {
      for (const [t, bits] of ints) {
        const out = cast(Float64Array.from(xs), 'float64', t);
        expect(Array.from(out as ArrayLike<number>)).toEqual(xs.map((x) => refInt(x, bits, !t.startsWith('u'))));
      }
    }));
  });
  it('int64 <-> int32 / float / bool', () => {
    fc.assert(fc.property(fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 30 }), (xs) => {
      const src = BigInt64Array.from(xs);
      expect(Array.from(cast(src, 'int64', 'int32') as Int32Array)).toEqual(xs.map((v) => Number(BigInt.asIntN(32, v))));
      expect(Array.from(cast(src, 'int64', 'uint64') as BigUint64Array)).toEqual(xs.map((v) => BigInt.asUintN(64, v)));
      expect(Array.from(cast(src, 'int64', 'float64') as Float64Array)).toEqual(xs.map((v) => Number(v)));
      expect(Array.from(cast(src, 'int64', 'bool') as Uint8Array)).toEqual(xs.map((v) => (v !== 0n ? 1 : 0)));
      const small = xs.map((v) => Number(BigInt.asIntN(40, v)));
      expect(Array.from(cast(Float64Array.from(small), 'float64', 'int64') as BigInt64Array)).toEqual(small.map(BigInt));
    }));
  });
  it('bool: nonzero (and NaN) is true; true casts to 1', () => {
    const x = Float32Array.from([0, -0, 1, -2.5, NaN, Infinity, 1e-30]);
    expect(Array.from(cast(x, 'float32', 'bool') as Uint8Array)).toEqual([0, 0, 1, 1, 1, 1, 1]);
    expect(Array.from(cast(Uint8Array.from([0, 1]), 'bool', 'float16') as Uint16Array)).toEqual([0, 0x3c00]);
    expect(Array.from(cast(Uint8Array.from([0, 1]), 'bool', 'int64') as BigInt64Array)).toEqual([0n, 1n]);
  });
  it('sub-byte sources widen with their sign', () => {
    const i4 = Int8Array.from([-8, -1, 0, 7]);
    expect(Array.from(cast(i4, 'int4', 'float32') as Float32Array)).toEqual([-8, -1, 0, 7]);
    expect(Array.from(cast(Uint8Array.from([0, 3]), 'uint2', 'int8') as Int8Array)).toEqual([0, 3]);
  });
});

describe('strings', () => {
  it('float32 -> string -> float32 round-trips exactly', () => {
    fc.assert(fc.property(fc.array(fc.float(), { maxLength: 30 }), (xs) => {
      const f = Float32Array.from(xs);
      const s = cast(f, 'float32', 'string') as string[];
      const back = cast(s, 'string', 'float32') as Float32Array;
      xs.forEach((x, i) => {
        if (Number.isNaN(x)) expect(back[i]).toBeNaN();
        else expect(back[i] === f[i]).toBe(true);
      });
      expect(s.every((t) => !/[a-z]/.test(t.replace('e', '')) || t === 'NaN')).toBe(true);
    }));
  });
  it('parses the ONNX literals and scientific notation', () => {
    expect(['INF', '+inf', '-INF', 'nan', 'NaN', '1e-5', '1E8', ' 100.5 ', '-0'].map(parseNumber))
      .toEqual([Infinity, Infinity, -Infinity, NaN, NaN, 1e-5, 1e8, 100.5, -0]);
    expect(Array.from(cast(['100.5', '-3', '9223372036854775807'], 'string', 'int64') as BigInt64Array))
      .toEqual([100n, -3n, 9223372036854775807n]);
    expect(Array.from(cast(['100.5', '-3.9', '1e2'], 'string', 'int32') as Int32Array)).toEqual([100, -3, 100]);
    expect(cast(BigInt64Array.of(-(2n ** 63n)), 'int64', 'string')).toEqual(['-9223372036854775808']);
    expect(cast(Float64Array.of(0.1, -Infinity, 3), 'float64', 'string')).toEqual(['0.1', '-INF', '3']);
  });
});

describe('ops', () => {
  it('Cast reads to/saturate/round_mode; Cast-1 takes a type name', () => {
    const x = new Tensor('float32', Float32Array.from([1e6, -1e6, 1.5]), [3]);
    const to = (code: number): Attribute => ({ type: 'int', value: code });
    expect(Array.from(runOp('Cast', [x], { to: to(17) }).data as Uint8Array)).toEqual([0x7e, 0xfe, 0x3c]);
    expect(Array.from(runOp('Cast', [x], { to: to(17), saturate: { type: 'int', value: 0 } }).data as Uint8Array)).toEqual([0x7f, 0xff, 0x3c]);
    const e8 = runOp('Cast', [x], { to: to(24), round_mode: { type: 'string', value: 'down', bytes: new Uint8Array() } });
    expect(Array.from(e8.data as Uint8Array)).toEqual([127 + 19, 127 + 19, 127]);
    const y = runOp('Cast', [x], { to: { type: 'string', value: 'INT32', bytes: new Uint8Array() } }, 1);
    expect(y.type).toBe('int32');
    expect(Array.from(y.data as Int32Array)).toEqual([1e6, -1e6, 1]);
    expect(() => runOp('Cast', [x], { to: to(14) })).toThrow(/complex64/);
    expect(() => runOp('Cast', [x], { to: to(99) })).toThrow(/99/);
  });
  it('CastLike takes the type of its second input and keeps the shape', () => {
    const x = new Tensor('float64', Float64Array.from([1.5, -2.5, 0, 0, 0, 0]), [2, 0 + 3]);
    const like = new Tensor('int4', new Int8Array(0), [0]);
    const y = runOp('CastLike', [x, like]);
    expect(y.type).toBe('int4');
    expect(y.dims).toEqual([2, 3]);
    expect(Array.from(y.data as Int8Array)).toEqual([1, -2, 0, 0, 0, 0]);
    const empty = runOp('CastLike', [new Tensor('float32', new Float32Array(0), [0, 4]), new Tensor('float16', new Uint16Array(1), [1])]);
    expect(empty.dims).toEqual([0, 4]);
    expect(empty.type).toBe('float16');
  });
});
