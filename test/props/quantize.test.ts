// QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear and BitCast against plain references
// written here: explicit multi-index loops for the scale layouts, a tie-checking round-half-even,
// brute-force nearest-code search for float8, and DataView reads for bit reinterpretation.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitcastOps } from '../../ops/onnx/bitcast.js';
import { quantizeOps } from '../../ops/onnx/quantize.js';
import { type OpContext, type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { DataType } from '../../src/dtypes.js';
import type { Attribute, Node } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';

// ------------------------------------------------------------------ helpers

function attrs(map: Record<string, number>): Attrs {
  const m = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(map)) m.set(k, { type: 'int', value: v });
  return new Attrs(m);
}

function runOp(defs: OpDef[], name: string, inputs: (Tensor | undefined)[], a: Record<string, number> = {}): Tensor[] {
  const def = defs.filter((d) => d.name === name).sort((x, y) => y.since - x.since)[0]!;
  const node = { name: '', domain: '', opType: name, inputs: [], outputs: ['y'], attributes: new Map() } as unknown as Node;
  const ctx: OpContext = { node, opset: 25, runSubgraph: () => { throw new Error('no subgraph'); } };
  const parsed = def.parse ? def.parse(attrs(a), node) : undefined;
  return def.run(inputs, parsed, ctx) as Tensor[];
}

const ONNX_CODE: Record<string, number> = {
  uint8: 2, int8: 3, uint16: 4, int16: 5, uint4: 21, int4: 22, uint2: 25, int2: 26,
  float8e4m3fn: 17, float8e5m2: 19,
};

const RANGES: Record<string, [number, number]> = {
  uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767],
  uint4: [0, 15], int4: [-8, 7], uint2: [0, 3], int2: [-2, 1],
};

/** Round half to even, written from the definition: ties go to the even neighbour. */
function rintRef(v: number): number {
  const lo = Math.floor(v);
  const frac = v - lo;
  if (frac < 0.5) return lo;
  if (frac > 0.5) return lo + 1;
  return lo % 2 === 0 ? lo : lo + 1;
}

/** Multi-index of flat position i in dims. */
function unravel(i: number, dims: readonly number[]): number[] {
  const idx = new Array<number>(dims.length).fill(0);
  for (let d = dims.length - 1; d >= 0; d--) {
    idx[d] = i % dims[d]!;
    i = Math.floor(i / dims[d]!);
  }
  return idx;
}

function ravel(idx: readonly number[], dims: readonly number[]): number {
  let f = 0;
  for (let d = 0; d < dims.length; d++) f = f * dims[d]! + idx[d]!;
  return f;
}

type Mode = 'tensor' | 'axis' | 'blocked';

/** Position in the scale tensor for element i of x. */
function scaleIndex(i: number, dims: readonly number[], mode: Mode, axis: number, block: number): number {
  if (mode === 'tensor') return 0;
  const idx = unravel(i, dims);
  if (mode === 'axis') return idx[axis]!;
  const sdims = dims.map((d, k) => (k === axis ? Math.ceil(d / block) : d));
  idx[axis] = Math.floor(idx[axis]! / block);
  return ravel(idx, sdims);
}

function scaleDims(dims: readonly number[], mode: Mode, axis: number, block: number): number[] {
  if (mode === 'tensor') return [];
  if (mode === 'axis') return [dims[axis]!];
  return dims.map((d, k) => (k === axis ? Math.ceil(d / block) : d));
}

const extreme = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -300, max: 300, noNaN: true }).map(Math.fround) },
  { weight: 2, arbitrary: fc.integer({ min: -20, max: 20 }).map((k) => k / 2) }, // exact ties
  { weight: 1, arbitrary: fc.constantFrom(1e3, -1e3, Infinity, -Infinity, NaN, 0, -0) },
);

const layoutCase = fc
  .record({
    dims: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }),
    mode: fc.constantFrom<Mode>('tensor', 'axis', 'blocked'),
    axisPick: fc.integer({ min: 0, max: 10 }),
    negative: fc.boolean(),
    block: fc.integer({ min: 1, max: 3 }),
  })
  .map((c) => {
    const rank = c.dims.length;
    const axis = c.axisPick % rank;
    return { ...c, axis, axisAttr: c.negative ? axis - rank : axis };
  });

// ------------------------------------------------------------------ QuantizeLinear / DequantizeLinear

describe('QuantizeLinear (integer targets)', () => {
  it('matches saturate(rint(x / scale) + zero_point) for every layout and type', () => {
    fc.assert(
      fc.property(
        layoutCase, fc.constantFrom('uint8', 'int8', 'uint16', 'int16', 'uint4', 'int4', 'uint2', 'int2'),
        fc.array(extreme, { minLength: 64, maxLength: 64 }),
        fc.array(fc.double({ min: 0.01, max: 8, noNaN: true }).map(Math.fround), { minLength: 64, maxLength: 64 }),
        fc.array(fc.integer({ min: -40000, max: 70000 }), { minLength: 64, maxLength: 64 }),
        fc.boolean(),
        (c, type, xs, ss, zs, withZp) => {
          const n = c.dims.reduce((a, b) => a * b, 1);
          const sd = scaleDims(c.dims, c.mode, c.axis, c.block);
          const sn = sd.reduce((a, b) => a * b, 1);
          const [lo, hi] = RANGES[type]!;
          const x = new Tensor('float32', Float32Array.from({ length: n }, (_, i) => xs[i % 64]!), c.dims);
          const scale = new Tensor('float32', Float32Array.from({ length: sn }, (_, i) => ss[i % 64]!), sd);
          const zpVals = Array.from({ length: sn }, (_, i) => Math.min(hi, Math.max(lo, zs[i % 64]!)));
          const zp = withZp ? new Tensor(type as DataType, zpVals, sd) : undefined;
          const a: Record<string, number> = { axis: c.axisAttr };
          if (c.mode === 'blocked') a.block_size = c.block;
          if (!withZp) a.output_dtype = ONNX_CODE[type]!;
          const [y] = runOp(quantizeOps, 'QuantizeLinear', [x, scale, zp], a);
          expect(y!.type).toBe(type);
          expect(y!.dims).toEqual(c.dims);
          const got = y!.toNumbers();
          for (let i = 0; i < n; i++) {
            const k = scaleIndex(i, c.dims, c.mode, c.axis, c.block);
            const z = withZp ? zpVals[k]! : 0;
            const q = Math.fround((x.data[i] as number) / (scale.data[k] as number));
            let want: number;
            if (Number.isNaN(q)) want = z;
            else if (q === Infinity) want = hi;
            else if (q === -Infinity) want = lo;
            else want = Math.min(hi, Math.max(lo, rintRef(q) + z));
            if (got[i] !== want) throw new Error(`${type} ${c.mode} element ${i}: x=${x.data[i]} s=${scale.data[k]} z=${z} got ${got[i]} want ${want}`);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rounds exact ties to even', () => {
    const x = new Tensor('float32', [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5], [7]);
    const [y] = runOp(quantizeOps, 'QuantizeLinear', [x, new Tensor('float32', [1], []), new Tensor('int8', [0], [])]);
    expect(y!.toNumbers()).toEqual([0, 2, 2, -0, -2, -2, 4].map((v) => v + 0));
  });

  it('rejects a scale that fits no layout', () => {
    const x = new Tensor('float32', new Float32Array(6), [2, 3]);
    expect(() => runOp(quantizeOps, 'QuantizeLinear', [x, new Tensor('float32', [1, 2], [2]), undefined], { axis: 1 }))
      .toThrow(/per-axis scale/);
  });
});

describe('DequantizeLinear', () => {
  it('matches (x - zero_point) * scale in float32 for every layout and type', () => {
    fc.assert(
      fc.property(
        layoutCase, fc.constantFrom('uint8', 'int8', 'uint16', 'int16', 'uint4', 'int4', 'uint2', 'int2'),
        fc.array(fc.integer({ min: -40000, max: 70000 }), { minLength: 64, maxLength: 64 }),
        fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }).map(Math.fround), { minLength: 64, maxLength: 64 }),
        fc.boolean(),
        (c, type, vs, ss, withZp) => {
          const n = c.dims.reduce((a, b) => a * b, 1);
          const sd = scaleDims(c.dims, c.mode, c.axis, c.block);
          const sn = sd.reduce((a, b) => a * b, 1);
          const [lo, hi] = RANGES[type]!;
          const clampT = (v: number) => Math.min(hi, Math.max(lo, v));
          const xv = Array.from({ length: n }, (_, i) => clampT(vs[i % 64]!));
          const zv = Array.from({ length: sn }, (_, i) => clampT(vs[(i * 7 + 3) % 64]!));
          const sv = Array.from({ length: sn }, (_, i) => ss[i % 64]!);
          const a: Record<string, number> = { axis: c.axisAttr };
          if (c.mode === 'blocked') a.block_size = c.block;
          const [y] = runOp(quantizeOps, 'DequantizeLinear', [
            new Tensor(type as DataType, xv, c.dims), new Tensor('float32', sv, sd),
            withZp ? new Tensor(type as DataType, zv, sd) : undefined,
          ], a);
          expect(y!.type).toBe('float32');
          const got = y!.toNumbers();
          for (let i = 0; i < n; i++) {
            const k = scaleIndex(i, c.dims, c.mode, c.axis, c.block);
            const want = Math.fround((xv[i]! - (withZp ? zv[k]! : 0)) * sv[k]!);
            if (!Object.is(got[i], want) && got[i] !== want) throw new Error(`element ${i}: got ${got[i]} want ${want}`);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('round-trips: dequantize(quantize(x)) is within scale / 2 of x inside the range', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }).map(Math.fround), { minLength: 0, maxLength: 30 }),
        fc.double({ min: 0.5, max: 4, noNaN: true }).map(Math.fround),
        fc.integer({ min: 0, max: 255 }),
        (xs, s, z) => {
          const x = new Tensor('float32', xs, [xs.length]);
          const scale = new Tensor('float32', [s], []);
          const zp = new Tensor('uint8', [z], []);
          const [q] = runOp(quantizeOps, 'QuantizeLinear', [x, scale, zp]);
          const [d] = runOp(quantizeOps, 'DequantizeLinear', [q!, scale, zp]);
          const back = d!.toNumbers();
          xs.forEach((v, i) => {
            const inRange = v / s + z >= 0 && v / s + z <= 255;
            if (inRange) expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(s / 2 + 1e-4 * s);
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('float16 scale gives a float16 output of the rounded product', () => {
    const x = new Tensor('int8', [-3, 100], [2]);
    const [y] = runOp(quantizeOps, 'DequantizeLinear', [x, new Tensor('float16', new Uint16Array([0x3555]), []), undefined]);
    expect(y!.type).toBe('float16');
    const s = 0.333251953125; // float16 0x3555
    const f16 = (v: number) => { // round to the nearest float16 (normal range), ties to even
      const e = Math.floor(Math.log2(Math.abs(v)));
      const q = 2 ** (e - 10);
      return rintRef(v / q) * q;
    };
    expect(y!.toNumbers()).toEqual([f16(Math.fround(-3 * s)), f16(Math.fround(100 * s))]);
  });
});

// ------------------------------------------------------------------ float8 targets

/** Value of an e4m3fn / e5m2 code, from the format definitions. */
function decodeF8(code: number, type: 'float8e4m3fn' | 'float8e5m2'): number {
  const sign = code & 0x80 ? -1 : 1;
  const [eb, mb, bias] = type === 'float8e4m3fn' ? [4, 3, 7] : [5, 2, 15];
  const e = (code >> mb) & ((1 << eb) - 1);
  const m = code & ((1 << mb) - 1);
  if (type === 'float8e4m3fn' && e === 15 && m === 7) return NaN;
  if (type === 'float8e5m2' && e === 31) return m ? NaN : sign * Infinity;
  if (e === 0) return sign * m * 2 ** (1 - bias - mb);
  return sign * (1 + m / 2 ** mb) * 2 ** (e - bias);
}

/** Saturating nearest code by exhaustive search; ties pick the code with an even mantissa. */
function nearestF8(v: number, type: 'float8e4m3fn' | 'float8e5m2'): number {
  const max = type === 'float8e4m3fn' ? 448 : 57344;
  v = Math.min(max, Math.max(-max, v));
  let best = -1;
  let bestErr = Infinity;
  for (let c = 0; c < 256; c++) {
    const d = decodeF8(c, type);
    if (!Number.isFinite(d)) continue;
    const err = Math.abs(d - v);
    if (err < bestErr || (err === bestErr && (c & 1) === 0)) {
      best = c;
      bestErr = err;
    }
  }
  return best;
}

describe('QuantizeLinear (float8 targets)', () => {
  it('saturating: nearest representable value, ties to even, ±max beyond range', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'float8e4m3fn' | 'float8e5m2'>('float8e4m3fn', 'float8e5m2'),
        fc.array(
          fc.oneof(
            fc.double({ min: -7e4, max: 7e4, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }),
            fc.constantFrom(Infinity, -Infinity),
          ).map(Math.fround),
          { minLength: 1, maxLength: 20 },
        ),
        (type, xs) => {
          const x = new Tensor('float32', xs, [xs.length]);
          const [y] = runOp(quantizeOps, 'QuantizeLinear', [x, new Tensor('float32', [1], []), undefined], { output_dtype: ONNX_CODE[type]! });
          expect(y!.type).toBe(type);
          const got = y!.data as Uint8Array;
          xs.forEach((v, i) => {
            const want = nearestF8(v, type);
            const gv = decodeF8(got[i]!, type);
            if (gv !== decodeF8(want, type)) throw new Error(`${type} x=${v}: got code ${got[i]} (${gv}) want ${want} (${decodeF8(want, type)})`);
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('non-saturating e4m3fn maps overflow to NaN and e5m2 to ±Inf', () => {
    const x = new Tensor('float32', [1e6, -1e6], [2]);
    const s = new Tensor('float32', [1], []);
    const [a] = runOp(quantizeOps, 'QuantizeLinear', [x, s, undefined], { output_dtype: 17, saturate: 0 });
    expect([...(a!.data as Uint8Array)].map((c) => decodeF8(c, 'float8e4m3fn'))).toEqual([NaN, NaN]);
    const [b] = runOp(quantizeOps, 'QuantizeLinear', [x, s, undefined], { output_dtype: 19, saturate: 0 });
    expect([...(b!.data as Uint8Array)].map((c) => decodeF8(c, 'float8e5m2'))).toEqual([Infinity, -Infinity]);
  });
});

// ------------------------------------------------------------------ DynamicQuantizeLinear

describe('DynamicQuantizeLinear', () => {
  it('matches the spec formula for scale, zero point and data', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constant(0)).map(Math.fround), { minLength: 0, maxLength: 40 }),
        (xs) => {
          const [y, s, z] = runOp(quantizeOps, 'DynamicQuantizeLinear', [new Tensor('float32', xs, [xs.length])]);
          const lo = Math.min(0, ...xs);
          const hi = Math.max(0, ...xs);
          const scale = hi === lo ? 1 : Math.fround(Math.fround(hi - lo) / 255);
          const zf = Math.fround(-Math.fround(lo / scale)); // NaN only when the scale underflowed to 0
          const zp = Number.isNaN(zf) ? 0 : rintRef(Math.min(255, Math.max(0, zf)));
          expect(s!.toNumbers()[0]).toBe(scale);
          expect(z!.toNumbers()[0]).toBe(zp);
          expect(s!.dims).toEqual([]);
          const want = xs.map((v) => {
            const q = Math.fround(v / scale);
            return Number.isNaN(q) ? zp : Math.min(255, Math.max(0, rintRef(q) + zp));
          });
          expect(y!.toNumbers()).toEqual(want);
        },
      ),
      { numRuns: 150 },
    );
  });
});

// ------------------------------------------------------------------ BitCast

describe('BitCast', () => {
  it('float32 <-> int32 / uint32 reinterpret the IEEE bits (DataView reference)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.float(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e3, -1e3)), { maxLength: 20 }), (xs) => {
        const x = new Tensor('float32', xs, [xs.length]);
        const [i] = runOp(bitcastOps, 'BitCast', [x], { to: 6 });
        const [u] = runOp(bitcastOps, 'BitCast', [x], { to: 12 });
        const dv = new DataView(new ArrayBuffer(4));
        xs.forEach((v, k) => {
          dv.setFloat32(0, v, true);
          expect(i!.data[k]).toBe(dv.getInt32(0, true));
          expect(u!.data[k]).toBe(dv.getUint32(0, true));
        });
        const [back] = runOp(bitcastOps, 'BitCast', [i!], { to: 1 });
        expect(new Uint32Array((back!.data as Float32Array).buffer)).toEqual(new Uint32Array(Float32Array.from(xs).buffer));
      }),
      { numRuns: 100 },
    );
  });

  it('int64 -> float64 and int4 <-> uint4 keep the bits', () => {
    const [d] = runOp(bitcastOps, 'BitCast', [new Tensor('int64', [4607182418800017408n, -1n], [2])], { to: 11 });
    expect(d!.toNumbers()[0]).toBe(1);
    expect(Number.isNaN(d!.toNumbers()[1])).toBe(true);
    const [u] = runOp(bitcastOps, 'BitCast', [new Tensor('int4', new Int8Array([-8, -1, 0, 7]), [4])], { to: 21 });
    expect(u!.toNumbers()).toEqual([8, 15, 0, 7]);
    const [s] = runOp(bitcastOps, 'BitCast', [u!], { to: 22 });
    expect(s!.toNumbers()).toEqual([-8, -1, 0, 7]);
  });

  it('rejects types of different widths', () => {
    expect(() => runOp(bitcastOps, 'BitCast', [new Tensor('float32', [1], [1])], { to: 7 })).toThrow(/differ in width/);
  });
});
