// Normalisation ops against plain mean / variance references, computed element by
// element from multi-indices.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { normalizationOps } from '../../ops/onnx/normalization.js';
import { affineRowsFloat, layerNormRowsF32, standardizeRowsFloat } from '../../kernels/normalization.js';
import { isClose } from '../helpers/allclose.js';

// ------------------------------------------------------------------ op runner

type AttrValue = number | number[] | { f: number };

function runOp(
  name: string, opset: number, attrs: Record<string, AttrValue>, inputs: (Tensor | undefined)[], outputs = 1,
): Tensor[] {
  const def = normalizationOps.filter((d) => d.name === name && d.since <= opset).sort((a, b) => b.since - a.since)[0]!;
  const map = new Map<string, Attribute>(Object.entries(attrs).map(([k, v]): [string, Attribute] => [
    k,
    Array.isArray(v) ? { type: 'ints', value: v } : typeof v === 'number' ? { type: 'int', value: v } : { type: 'float', value: v.f },
  ]));
  const outs = ['y', 'o1', 'o2'].slice(0, outputs);
  const node = { name: 'n', domain: '', opType: name, inputs: inputs.map((_, i) => `i${i}`), outputs: outs, attributes: map };
  const ctx: OpContext = { node, opset, runSubgraph: () => [] };
  return def.run(inputs, def.parse ? def.parse(new Attrs(map), node) : undefined, ctx) as Tensor[];
}

const f64 = (x: number[], dims: number[]) => new Tensor('float64', Float64Array.from(x), dims);

// ------------------------------------------------------------------ reference helpers

function prod(d: number[]): number {
  return d.reduce((a, b) => a * b, 1);
}

/** Multi-index of flat index i in shape dims. */
function unravel(i: number, dims: number[]): number[] {
  const idx = new Array<number>(dims.length).fill(0);
  for (let d = dims.length - 1; d >= 0; d--) {
    idx[d] = i % dims[d]!;
    i = Math.floor(i / dims[d]!);
  }
  return idx;
}

/** Flat index of multi-index idx in dims, reading broadcast (size-1) dims at 0, aligned right. */
function ravelBroadcast(idx: number[], dims: number[]): number {
  let flat = 0;
  const off = idx.length - dims.length;
  for (let d = 0; d < dims.length; d++) flat = flat * dims[d]! + (dims[d] === 1 ? 0 : idx[off + d]!);
  return flat;
}

/** Population mean and variance of the elements sharing key(i). */
function groupStats(x: number[], key: (i: number) => string): Map<string, { mean: number; variance: number }> {
  const groups = new Map<string, number[]>();
  x.forEach((v, i) => {
    const k = key(i);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(v);
  });
  const out = new Map<string, { mean: number; variance: number }>();
  for (const [k, vs] of groups) {
    const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
    out.set(k, { mean, variance: vs.reduce((a, b) => a + (b - mean) ** 2, 0) / vs.length });
  }
  return out;
}

function close(a: number, b: number, rel = 1e-7, abs = 1e-7): boolean {
  return isClose(a, b, { rtol: rel, atol: abs });
}

function expectClose(got: ArrayLike<number>, want: number[], rel?: number, abs?: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!close(got[i]!, want[i]!, rel, abs)) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

// ------------------------------------------------------------------ generators

/** ±1e3 values, with runs of repeated values so that zero variances occur. */
const value = fc.oneof(
  { weight: 4, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(-1e3, 1e3, 0, 1) },
);
const eps = fc.constantFrom(1e-5, 1e-2, 0.5);

function tensorOf(dims: number[], constant: boolean): fc.Arbitrary<number[]> {
  const n = prod(dims);
  return constant ? value.map((v) => new Array<number>(n).fill(v)) : fc.array(value, { minLength: n, maxLength: n });
}

function shape(minRank: number, maxRank: number, minDim = 0): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: minDim, max: 4 }), { minLength: minRank, maxLength: maxRank });
}

const withX = (dims: number[]) => fc.boolean().chain((c) => tensorOf(dims, c));

// ------------------------------------------------------------------ properties

describe('BatchNormalization', () => {
  const arb = shape(2, 5).chain((dims) => fc.record({
    dims: fc.constant(dims), x: withX(dims), eps,
    scale: fc.array(value, { minLength: dims[1]!, maxLength: dims[1]! }),
    bias: fc.array(value, { minLength: dims[1]!, maxLength: dims[1]! }),
    mean: fc.array(value, { minLength: dims[1]!, maxLength: dims[1]! }),
    variance: fc.array(fc.double({ min: 0, max: 1e3, noNaN: true }), { minLength: dims[1]!, maxLength: dims[1]! }),
    momentum: fc.double({ min: 0, max: 1, noNaN: true }),
  }));

  it('inference mode: (x - mean) / sqrt(var + eps) * scale + bias per channel', () => {
    fc.assert(fc.property(arb, (a) => {
      const c = a.dims[1]!;
      const params = [a.scale, a.bias, a.mean, a.variance].map((p) => f64(p, [c]));
      for (const opset of [7, 9, 15]) {
        const [y] = runOp('BatchNormalization', opset, { epsilon: { f: a.eps } }, [f64(a.x, a.dims), ...params]);
        const want = a.x.map((v, i) => {
          const ch = unravel(i, a.dims)[1]!;
          return (v - a.mean[ch]!) / Math.sqrt(a.variance[ch]! + a.eps) * a.scale[ch]! + a.bias[ch]!;
        });
        expectClose(y!.data as Float64Array, want);
      }
    }), { numRuns: 100 });
  });

  it('training mode: batch statistics and running averages', () => {
    fc.assert(fc.property(arb.filter((a) => prod(a.dims) > 0), (a) => {
      const c = a.dims[1]!;
      const params = [a.scale, a.bias, a.mean, a.variance].map((p) => f64(p, [c]));
      const [y, rm, rv] = runOp('BatchNormalization', 15,
        { epsilon: { f: a.eps }, momentum: { f: a.momentum }, training_mode: 1 }, [f64(a.x, a.dims), ...params], 3);
      const stats = groupStats(a.x, (i) => String(unravel(i, a.dims)[1]));
      const want = a.x.map((v, i) => {
        const ch = unravel(i, a.dims)[1]!;
        const s = stats.get(String(ch))!;
        return (v - s.mean) / Math.sqrt(s.variance + a.eps) * a.scale[ch]! + a.bias[ch]!;
      });
      expectClose(y!.data as Float64Array, want, 1e-6, 1e-6);
      const m = a.momentum;
      expectClose(rm!.data as Float64Array, a.mean.map((v, ch) => v * m + stats.get(String(ch))!.mean * (1 - m)), 1e-9, 1e-9);
      expectClose(rv!.data as Float64Array, a.variance.map((v, ch) => v * m + stats.get(String(ch))!.variance * (1 - m)), 1e-9, 1e-6);
    }), { numRuns: 100 });
  });

  it('spatial = 0 (opset 7) normalises per element of [C, D...]', () => {
    const x = f64([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    const p = (v: number[]) => f64(v, [2, 2]);
    const [y] = runOp('BatchNormalization', 7, { spatial: 0, epsilon: { f: 0 } },
      [x, p([1, 2, 3, 4]), p([0, 0, 0, 1]), p([1, 1, 1, 1]), p([1, 4, 1, 4])]);
    expectClose(y!.data as Float64Array, [0, 1, 6, 7, 4, 5, 18, 15]);
  });
});

describe('Instance / Group normalization', () => {
  const arb = fc.record({
    n: fc.integer({ min: 0, max: 2 }), groups: fc.integer({ min: 1, max: 3 }), per: fc.integer({ min: 1, max: 2 }),
    sp: shape(0, 2, 1), eps,
  }).chain((s) => {
    const c = s.groups * s.per;
    const dims = [s.n, c, ...s.sp];
    return fc.record({
      s: fc.constant(s), dims: fc.constant(dims), x: withX(dims),
      scale: fc.array(value, { minLength: c, maxLength: c }), bias: fc.array(value, { minLength: c, maxLength: c }),
    });
  });

  it('InstanceNormalization normalises each (n, c) over the spatial dims', () => {
    fc.assert(fc.property(arb, ({ s, dims, x, scale, bias }) => {
      const c = dims[1]!;
      const [y] = runOp('InstanceNormalization', 6, { epsilon: { f: s.eps } }, [f64(x, dims), f64(scale, [c]), f64(bias, [c])]);
      const key = (i: number) => unravel(i, dims).slice(0, 2).join(',');
      const stats = groupStats(x, key);
      const want = x.map((v, i) => {
        const ch = unravel(i, dims)[1]!;
        const st = stats.get(key(i))!;
        return (v - st.mean) / Math.sqrt(st.variance + s.eps) * scale[ch]! + bias[ch]!;
      });
      expectClose(y!.data as Float64Array, want, 1e-6, 1e-6);
    }), { numRuns: 100 });
  });

  it('GroupNormalization: per-group parameters at opset 18, per-channel at opset 21', () => {
    fc.assert(fc.property(arb, ({ s, dims, x, scale, bias }) => {
      const c = dims[1]!;
      const key = (i: number) => { const idx = unravel(i, dims); return `${idx[0]},${Math.floor(idx[1]! / s.per)}`; };
      const stats = groupStats(x, key);
      const norm = (v: number, i: number) => { const st = stats.get(key(i))!; return (v - st.mean) / Math.sqrt(st.variance + s.eps); };
      const attrs = { num_groups: s.groups, epsilon: { f: s.eps } };
      const [y21] = runOp('GroupNormalization', 21, attrs, [f64(x, dims), f64(scale, [c]), f64(bias, [c])]);
      expectClose(y21!.data as Float64Array, x.map((v, i) => {
        const ch = unravel(i, dims)[1]!;
        return norm(v, i) * scale[ch]! + bias[ch]!;
      }), 1e-6, 1e-6);
      const gs = scale.slice(0, s.groups), gb = bias.slice(0, s.groups);
      const [y18] = runOp('GroupNormalization', 18, attrs, [f64(x, dims), f64(gs, [s.groups]), f64(gb, [s.groups])]);
      expectClose(y18!.data as Float64Array, x.map((v, i) => {
        const g = Math.floor(unravel(i, dims)[1]! / s.per);
        return norm(v, i) * gs[g]! + gb[g]!;
      }), 1e-6, 1e-6);
    }), { numRuns: 100 });
  });

  it('rejects channels that do not split into groups, and wrong parameter sizes', () => {
    const x = f64([1, 2, 3], [1, 3]);
    const p3 = f64([1, 1, 1], [3]);
    expect(() => runOp('GroupNormalization', 21, { num_groups: 2 }, [x, p3, p3])).toThrow(/3 channels do not split into 2 groups/);
    expect(() => runOp('GroupNormalization', 18, { num_groups: 1 }, [x, p3, p3])).toThrow(/should hold 1 element/);
  });
});

describe('Layer / RMS normalization', () => {
  /** X, an axis, and Scale / B shapes that broadcast unidirectionally to X. */
  const arb = shape(1, 4).chain((dims) => fc.record({
    dims: fc.constant(dims), x: withX(dims), eps,
    axis: fc.integer({ min: -dims.length, max: dims.length - 1 }),
    scaleMask: fc.array(fc.boolean(), { minLength: dims.length, maxLength: dims.length }),
    scaleRank: fc.integer({ min: 0, max: dims.length }),
    biasMask: fc.array(fc.boolean(), { minLength: dims.length, maxLength: dims.length }),
  })).chain((a) => {
    const a0 = a.axis < 0 ? a.axis + a.dims.length : a.axis;
    const paramDims = (mask: boolean[], rank: number) =>
      a.dims.slice(a.dims.length - rank).map((d, j) => (mask[j] ? 1 : d));
    const sRank = Math.max(a.scaleRank, 0);
    const sd = paramDims(a.scaleMask, sRank);
    const bd = paramDims(a.biasMask, Math.min(a.dims.length - a0, sRank));
    return fc.record({
      a: fc.constant({ ...a, a0 }), sd: fc.constant(sd), bd: fc.constant(bd),
      scale: fc.array(value, { minLength: prod(sd), maxLength: prod(sd) }),
      bias: fc.array(value, { minLength: prod(bd), maxLength: prod(bd) }),
    });
  });

  it('LayerNormalization: Y, Mean and InvStdDev vs per-row statistics, broadcast Scale / B', () => {
    fc.assert(fc.property(arb, ({ a, sd, bd, scale, bias }) => {
      const [y, mean, inv] = runOp('LayerNormalization', 17, { axis: a.axis, epsilon: { f: a.eps } },
        [f64(a.x, a.dims), f64(scale, sd), f64(bias, bd)], 3);
      const key = (i: number) => unravel(i, a.dims).slice(0, a.a0).join(',');
      const stats = groupStats(a.x, key);
      const want = a.x.map((v, i) => {
        const st = stats.get(key(i))!;
        const idx = unravel(i, a.dims);
        return (v - st.mean) / Math.sqrt(st.variance + a.eps) * scale[ravelBroadcast(idx, sd)]! + bias[ravelBroadcast(idx, bd)]!;
      });
      expect(y!.dims).toEqual(a.dims);
      expectClose(y!.data as Float64Array, want, 1e-6, 1e-5);
      const statDims = a.dims.map((d, i) => (i < a.a0 ? d : 1));
      expect(mean!.dims).toEqual(statDims);
      expect(mean!.type).toBe('float32');
      const rows = coordsOf(a.dims.slice(0, a.a0)).map((r) => stats.get(r.join(',')));
      if (prod(a.dims.slice(a.a0)) > 0) {
        expectClose(mean!.data as Float32Array, rows.map((s) => s!.mean), 1e-6, 1e-4);
        expectClose(inv!.data as Float32Array, rows.map((s) => 1 / Math.sqrt(s!.variance + a.eps)), 1e-6, 1e-6);
      }
    }), { numRuns: 150 });
  });

  it('LayerNormalization without B, stash_type = 11 gives float64 statistics', () => {
    const [y, mean] = runOp('LayerNormalization', 17, { stash_type: 11, epsilon: { f: 0 } },
      [f64([1, 3, 10, 14], [2, 2]), f64([2, 3], [2])], 2);
    expectClose(y!.data as Float64Array, [-2, 3, -2, 3], 1e-12, 1e-12);
    expect(mean!.type).toBe('float64');
    expectClose(mean!.data as Float64Array, [2, 12]);
  });

  it('float16 X is computed in float32 and rounded back', () => {
    // 1, 3, 10, 14 as binary16 bits; scale 2, 3 in float32
    const x = new Tensor('float16', Uint16Array.from([0x3c00, 0x4200, 0x4900, 0x4b00]), [2, 2]);
    const [y] = runOp('LayerNormalization', 17, { epsilon: { f: 0 } }, [x, new Tensor('float32', Float32Array.from([2, 3]), [2])]);
    expect(y!.type).toBe('float16');
    // -2 = 0xc000, 3 = 0x4200
    expect(Array.from(y!.data as Uint16Array)).toEqual([0xc000, 0x4200, 0xc000, 0x4200]);
  });

  it('RMSNormalization: x / sqrt(mean(x^2) + eps) * scale', () => {
    fc.assert(fc.property(arb, ({ a, sd, scale }) => {
      const [y] = runOp('RMSNormalization', 23, { axis: a.axis, epsilon: { f: a.eps } }, [f64(a.x, a.dims), f64(scale, sd)]);
      const key = (i: number) => unravel(i, a.dims).slice(0, a.a0).join(',');
      const ms = new Map<string, number[]>();
      a.x.forEach((v, i) => { const k = key(i); ms.set(k, [...(ms.get(k) ?? []), v * v]); });
      const want = a.x.map((v, i) => {
        const sq = ms.get(key(i))!;
        return v / Math.sqrt(sq.reduce((p, q) => p + q, 0) / sq.length + a.eps) * scale[ravelBroadcast(unravel(i, a.dims), sd)]!;
      });
      expectClose(y!.data as Float64Array, want, 1e-6, 1e-6);
    }), { numRuns: 100 });
  });

  it('rejects a Scale that does not broadcast to X', () => {
    expect(() => runOp('LayerNormalization', 17, {}, [f64([1, 2, 3, 4], [2, 2]), f64([1, 2, 3], [3])])).toThrow(/does not broadcast/);
  });
});

function coordsOf(shape: number[]): number[][] {
  let acc: number[][] = [[]];
  for (const n of shape) {
    const next: number[][] = [];
    for (const c of acc) for (let i = 0; i < n; i++) next.push([...c, i]);
    acc = next;
  }
  return acc;
}

describe('LpNormalization / MeanVarianceNormalization / LRN', () => {
  const arb = shape(1, 4).chain((dims) => fc.record({
    dims: fc.constant(dims), x: withX(dims),
    axis: fc.integer({ min: -dims.length, max: dims.length - 1 }),
    axes: fc.subarray([...dims.keys()]),
  }));

  it('LpNormalization divides by the L1 / L2 norm along the axis (a zero norm gives 0)', () => {
    fc.assert(fc.property(arb, fc.constantFrom(1, 2), ({ dims, x, axis }, p) => {
      const [y] = runOp('LpNormalization', 1, { axis, p }, [f64(x, dims)]);
      const a = axis < 0 ? axis + dims.length : axis;
      const key = (i: number) => { const idx = unravel(i, dims); idx[a] = -1; return idx.join(','); };
      const norms = new Map<string, number>();
      x.forEach((v, i) => norms.set(key(i), (norms.get(key(i)) ?? 0) + Math.abs(v) ** p));
      const want = x.map((v, i) => { const nrm = norms.get(key(i))! ** (1 / p); return nrm === 0 ? 0 : v / nrm; });
      expectClose(y!.data as Float64Array, want, 1e-9, 1e-12);
    }), { numRuns: 100 });
  });

  it('MeanVarianceNormalization: (x - mean) / (std + 1e-9) over the given axes', () => {
    fc.assert(fc.property(arb, ({ dims, x, axes }) => {
      const [y] = runOp('MeanVarianceNormalization', 13, { axes }, [f64(x, dims)]);
      const key = (i: number) => unravel(i, dims).map((v, d) => (axes.includes(d) ? '*' : v)).join(',');
      const stats = groupStats(x, key);
      const want = x.map((v, i) => { const s = stats.get(key(i))!; return (v - s.mean) / (Math.sqrt(s.variance) + 1e-9); });
      expectClose(y!.data as Float64Array, want, 1e-6, 1e-6);
    }), { numRuns: 100 });
  });

  it('MeanVarianceNormalization defaults to axes [0, 2, 3]', () => {
    const x = [1, 2, 3, 4, 10, 10, 10, 10];
    const [y] = runOp('MeanVarianceNormalization', 13, {}, [f64(x, [1, 2, 2, 2])]);
    const s = Math.sqrt(1.25);
    expectClose(y!.data as Float64Array, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s, 0, 0, 0, 0], 1e-8, 1e-8);
  });

  it('LRN sums squares over the channel window [c - floor((size-1)/2), c + ceil((size-1)/2)]', () => {
    const lrnArb = shape(2, 4).chain((dims) => fc.record({
      dims: fc.constant(dims), x: withX(dims), size: fc.integer({ min: 1, max: 4 }),
      alpha: fc.double({ min: 1e-4, max: 1, noNaN: true }), beta: fc.double({ min: 0.1, max: 1, noNaN: true }),
      bias: fc.double({ min: 0.5, max: 2, noNaN: true }),
    }));
    fc.assert(fc.property(lrnArb, ({ dims, x, size, alpha, beta, bias }) => {
      const [y] = runOp('LRN', 13, { size, alpha: { f: alpha }, beta: { f: beta }, bias: { f: bias } }, [f64(x, dims)]);
      const c = dims[1]!;
      const want = x.map((v, i) => {
        const idx = unravel(i, dims);
        let sq = 0;
        for (let j = Math.max(0, idx[1]! - Math.floor((size - 1) / 2)); j <= Math.min(c - 1, idx[1]! + Math.ceil((size - 1) / 2)); j++) {
          const o = [...idx];
          o[1] = j;
          let flat = 0;
          o.forEach((q, d) => { flat = flat * dims[d]! + q; });
          sq += x[flat]! ** 2;
        }
        return v / (bias + (alpha / size) * sq) ** beta;
      });
      expectClose(y!.data as Float64Array, want, 1e-9, 1e-12);
    }), { numRuns: 100 });
  });
});

describe('layerNormRowsF32 (the float32 LayerNorm row kernel)', () => {
  const f32v = fc.oneof(
    { weight: 12, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(Infinity, -Infinity, NaN, 0, -0, 1e-30) },
  );
  const rowsArb = fc.record({
    rows: fc.integer({ min: 0, max: 5 }), cols: fc.integer({ min: 1, max: 70 }), eps,
    affine: fc.constantFrom('none', 'scale', 'scale+bias'),
  }).chain((c) => fc.record({
    c: fc.constant(c),
    x: fc.array(f32v, { minLength: c.rows * c.cols, maxLength: c.rows * c.cols }),
    scale: fc.array(f32v, { minLength: c.cols, maxLength: c.cols }),
    bias: fc.array(f32v, { minLength: c.cols, maxLength: c.cols }),
  }));

  it('is bit-equal to standardizeRowsFloat then affineRowsFloat with identity index maps', () => {
    fc.assert(fc.property(rowsArb, ({ c, x, scale, bias }) => {
      const xs = Float32Array.from(x);
      const s = c.affine === 'none' ? null : Float32Array.from(scale);
      const b = c.affine === 'scale+bias' ? Float32Array.from(bias) : null;
      const got = new Float32Array(xs.length);
      layerNormRowsF32(xs, got, c.rows, c.cols, c.eps, s, b);
      const want = new Float32Array(xs.length);
      standardizeRowsFloat(xs, want, c.rows, c.cols, c.eps, null, null);
      const index = Int32Array.from({ length: c.cols }, (_, i) => i);
      if (s) affineRowsFloat(want, c.rows, c.cols, s, index, b, b ? index : null);
      for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
    }), { numRuns: 300 });
  });

  it('LayerNormalization on float32 with one output (the fused path) gives the Y of the general path', () => {
    // Scale and B either span the normalised dims exactly (fused) or broadcast (general): Y must
    // not depend on which path ran; the general path also computes Mean and InvStdDev.
    const arb = shape(1, 4, 1).chain((dims) => fc.record({
      dims: fc.constant(dims),
      axis: fc.integer({ min: -dims.length, max: dims.length - 1 }),
      broadcastScale: fc.boolean(), withBias: fc.boolean(), seed: fc.integer(),
    }));
    fc.assert(fc.property(arb, ({ dims, axis, broadcastScale, withBias, seed }) => {
      const a0 = axis < 0 ? axis + dims.length : axis;
      const tail = dims.slice(a0);
      const sd = broadcastScale ? tail.map((d, i) => (i === 0 ? 1 : d)) : tail;
      let s = seed | 0 || 1;
      const rand = () => { s = (Math.imul(s, 1664525) + 1013904223) | 0; return (s >>> 8) / 2 ** 23 - 1; };
      const t32 = (d: number[]) => new Tensor('float32', Float32Array.from({ length: prod(d) }, () => rand() * 3), d);
      const x = t32(dims), scale = t32(sd), bias = t32(tail);
      const inputs = [x, scale, ...(withBias ? [bias] : [])];
      const [fused] = runOp('LayerNormalization', 17, { axis, epsilon: { f: 1e-5 } }, inputs, 1);
      const [general] = runOp('LayerNormalization', 17, { axis, epsilon: { f: 1e-5 } }, inputs, 3);
      expect(Array.from(fused!.data as Float32Array)).toEqual(Array.from(general!.data as Float32Array));
      expect(fused!.dims).toEqual(dims);
    }), { numRuns: 200 });
  });
});
