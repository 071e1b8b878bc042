// Indexing ops against plain coordinate-by-coordinate references written from the ONNX spec:
// Gather, GatherElements, GatherND, ScatterElements, ScatterND (every reduction), OneHot.
// Values are moved as bits, so the checks compare bit patterns (NaN payloads, int64 beyond
// 2^53, float16 bits, strings) and the references never compute on the data.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OpContext, type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { gatherScatterOps } from '../../ops/onnx/gather-scatter.js';
import { InvalidNodeError } from '../../src/errors.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';

type AttrValue = number | string;

function runOp(name: string, opset: number, attrs: Record<string, AttrValue>, inputs: Tensor[]): Tensor {
  const d = gatherScatterOps.filter((o: OpDef) => o.name === name && o.since <= opset)
    .sort((a, b) => b.since - a.since)[0]!;
  const map = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(attrs)) {
    map.set(k, typeof v === 'number' ? { type: 'int', value: v } : { type: 'string', value: v, bytes: new Uint8Array() });
  }
  const parsed = d.parse ? d.parse(new Attrs(map), undefined as never) : undefined;
  return d.run(inputs, parsed, undefined as unknown as OpContext)[0] as Tensor;
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Row-major multi-index of flat position p. */
function unravel(p: number, dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length);
  for (let d = dims.length - 1; d >= 0; d--) {
    out[d] = p % dims[d]!;
    p = Math.floor(p / dims[d]!);
  }
  return out;
}
function ravel(idx: readonly number[], dims: readonly number[]): number {
  let p = 0;
  for (let d = 0; d < dims.length; d++) p = p * dims[d]! + idx[d]!;
  return p;
}

const wrap = (i: number, n: number) => (i < 0 ? i + n : i);

// ---- data generators: each case carries a tensor factory over "raw" element values --------

type Kind = 'float32' | 'int64' | 'float16' | 'string';
const KINDS: Kind[] = ['float32', 'int64', 'float16', 'string'];

/** Distinct raw element ids become typed values; comparing ids is comparing bits. */
function makeTensor(kind: Kind, ids: readonly number[], dims: readonly number[]): Tensor {
  switch (kind) {
    case 'float32': {
      // Some ids map to NaN with distinct payloads and to infinities.
      const a = new Float32Array(ids.length);
      const bits = new Uint32Array(a.buffer);
      ids.forEach((v, i) => {
        if (v % 7 === 0) bits[i] = 0x7fc00000 + v; // NaN with payload v
        else a[i] = v % 7 === 1 ? Infinity : v % 7 === 2 ? -1e3 : v * 1.5;
      });
      return new Tensor('float32', a, dims);
    }
    case 'int64':
      return new Tensor('int64', BigInt64Array.from(ids, (v) => (BigInt(v) << 40n) + 2n ** 62n + BigInt(v)), dims);
    case 'float16':
      return new Tensor('float16', Uint16Array.from(ids, (v) => (v * 2654435761) & 0xffff), dims);
    case 'string':
      return new Tensor('string', ids.map((v) => `s${v}`), dims);
  }
}

/** Element bits as comparable keys. */
function keys(t: Tensor): string[] {
  const d = t.data;
  if (Array.isArray(d)) return d.slice();
  if (d instanceof Float32Array) return Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length), String);
  return Array.from(d as ArrayLike<number | bigint>, String);
}

const dimsArb = (minRank: number, maxRank: number, maxDim = 4) =>
  fc.array(fc.integer({ min: 0, max: maxDim }), { minLength: minRank, maxLength: maxRank });

const idsFor = (n: number) => fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: n, maxLength: n });

// ---- Gather ----------------------------------------------------------------------------------

function refGather(data: readonly string[], dims: readonly number[], axis: number,
  idx: readonly number[], idxDims: readonly number[]): string[] {
  const outDims = [...dims.slice(0, axis), ...idxDims, ...dims.slice(axis + 1)];
  const out: string[] = [];
  for (let p = 0; p < size(outDims); p++) {
    const o = unravel(p, outDims);
    const q = o.slice(axis, axis + idxDims.length);
    const src = [...o.slice(0, axis), wrap(idx[ravel(q, idxDims)]!, dims[axis]!), ...o.slice(axis + idxDims.length)];
    out.push(data[ravel(src, dims)]!);
  }
  return out;
}

const gatherCase = dimsArb(1, 4).chain((dims) => {
  return fc.integer({ min: -dims.length, max: dims.length - 1 }).chain((axis) => {
    const n = dims[wrap(axis, dims.length)]!;
    return fc.record({
      dims: fc.constant(dims),
      axis: fc.constant(axis),
      kind: fc.constantFrom(...KINDS),
      ids: idsFor(size(dims)),
      idxDims: dimsArb(0, 2, 3),
      int32: fc.boolean(),
    }).chain((c) => fc.record({
      c: fc.constant(c),
      idx: n === 0 ? fc.constant(new Array<number>(size(c.idxDims)).fill(0))
        : fc.array(fc.integer({ min: -n, max: n - 1 }), { minLength: size(c.idxDims), maxLength: size(c.idxDims) }),
    }));
  });
});

function indexTensor(idx: readonly number[], dims: readonly number[], int32: boolean): Tensor {
  return int32 ? new Tensor('int32', Int32Array.from(idx), dims) : new Tensor('int64', BigInt64Array.from(idx, BigInt), dims);
}

describe('Gather', () => {
  it('matches the coordinate reference for any dtype, negative indices and empty dims', () => {
    fc.assert(fc.property(gatherCase, ({ c, idx }) => {
      const ax = wrap(c.axis, c.dims.length);
      const x = makeTensor(c.kind, c.ids, c.dims);
      const run = () => runOp('Gather', 13, { axis: c.axis }, [x, indexTensor(idx, c.idxDims, c.int32)]);
      if (c.dims[ax] === 0 && idx.length > 0) {
        expect(run).toThrow(InvalidNodeError);
        return;
      }
      const y = run();
      expect(y.type).toBe(c.kind);
      expect(y.dims).toEqual([...c.dims.slice(0, ax), ...c.idxDims, ...c.dims.slice(ax + 1)]);
      expect(keys(y)).toEqual(refGather(keys(x), c.dims, ax, idx, c.idxDims));
    }), { numRuns: 150 });
  });

  it('names the bad index and the bound', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 20 }), fc.boolean(), (n, extra, neg) => {
      const bad = neg ? -n - 1 - extra : n + extra;
      const x = new Tensor('float32', new Float32Array(n), [n]);
      expect(() => runOp('Gather', 13, {}, [x, new Tensor('int64', [0n, BigInt(bad)], [2])]))
        .toThrow(`index ${bad} out of range [${-n}, ${n})`);
    }), { numRuns: 30 });
  });
});

// ---- GatherElements / ScatterElements --------------------------------------------------------

const elementsCase = dimsArb(1, 3).chain((dims) => fc.record({
  dims: fc.constant(dims),
  axis: fc.integer({ min: -dims.length, max: dims.length - 1 }),
  // indices dims no larger than data dims (any size along the axis)
  idxDims: fc.tuple(...dims.map((d) => fc.integer({ min: 0, max: d }))),
  axisLen: fc.integer({ min: 0, max: 4 }),
  kind: fc.constantFrom(...KINDS),
  ids: idsFor(size(dims)),
  seed: fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 64, maxLength: 64 }),
}).map((c) => {
  const ax = wrap(c.axis, dims.length);
  const idxDims = [...c.idxDims];
  if (dims[ax]! > 0) idxDims[ax] = c.axisLen;
  const n = dims[ax]!;
  const m = size(idxDims);
  const idx = Array.from({ length: m }, (_, i) => (n === 0 ? 0 : (((c.seed[i % 64]! + i) % (2 * n)) + 2 * n) % (2 * n) - n));
  return { ...c, ax, idxDims, idx };
}));

function refGatherElements(data: readonly string[], dims: readonly number[], ax: number,
  idx: readonly number[], idxDims: readonly number[]): string[] {
  return idx.map((v, p) => {
    const at = unravel(p, idxDims);
    at[ax] = wrap(v, dims[ax]!);
    return data[ravel(at, dims)]!;
  });
}

describe('GatherElements', () => {
  it('matches the reference', () => {
    fc.assert(fc.property(elementsCase, (c) => {
      const x = makeTensor(c.kind, c.ids, c.dims);
      const y = runOp('GatherElements', 13, { axis: c.axis }, [x, indexTensor(c.idx, c.idxDims, false)]);
      expect(y.dims).toEqual(c.idxDims);
      expect(keys(y)).toEqual(refGatherElements(keys(x), c.dims, c.ax, c.idx, c.idxDims));
    }), { numRuns: 150 });
  });
});

type Red = 'none' | 'add' | 'mul' | 'max' | 'min';
const REDS: Red[] = ['none', 'add', 'mul', 'max', 'min'];

/** Plain float reduction with numpy semantics (max/min propagate NaN). */
function combine(a: number, b: number, r: Red): number {
  switch (r) {
    case 'none': return b;
    case 'add': return a + b;
    case 'mul': return a * b;
    case 'max': return Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b;
    case 'min': return Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? a : b;
  }
}

const valueArb = fc.oneof(
  fc.constantFrom(-1e3, -1, 0, 1, 2, 1e3, Infinity, -Infinity, NaN),
  fc.integer({ min: -50, max: 50 }).map((v) => v / 4),
);

describe('ScatterElements', () => {
  it('matches the reference for every reduction (float32, float64)', () => {
    fc.assert(fc.property(elementsCase, fc.constantFrom(...REDS), fc.boolean(),
      fc.array(valueArb, { minLength: 200, maxLength: 200 }), (c, red, f64, vals) => {
        const n = size(c.dims);
        const m = size(c.idxDims);
        const data = vals.slice(0, n);
        const upd = vals.slice(100, 100 + m);
        if (n > 100 || m > 100) return;
        const T = f64 ? Float64Array : Float32Array;
        const want = T.from(data);
        c.idx.forEach((v, p) => {
          const at = unravel(p, c.idxDims);
          at[c.ax] = wrap(v, c.dims[c.ax]!);
          const q = ravel(at, c.dims);
          want[q] = combine(want[q]!, f64 ? upd[p]! : Math.fround(upd[p]!), red);
        });
        const type = f64 ? 'float64' : 'float32';
        const y = runOp('ScatterElements', 18, { axis: c.axis, reduction: red },
          [new Tensor(type, T.from(data), c.dims), indexTensor(c.idx, c.idxDims, true), new Tensor(type, T.from(upd), c.idxDims)]);
        expect(Array.from(y.data as Float32Array)).toEqual(Array.from(want));
      }), { numRuns: 150 });
  });

  it('moves bits for any dtype with reduction none; scatter then gather returns the updates', () => {
    fc.assert(fc.property(elementsCase, fc.integer({ min: 0, max: 10 }), (c, shift) => {
      const n = c.dims[c.ax]!;
      const idxDims = [...c.idxDims];
      idxDims[c.ax] = Math.min(idxDims[c.ax]!, n);
      const m = size(idxDims);
      // Along the axis, position i writes to (i + shift) mod n: distinct targets per row.
      // Every other index is written in its negative form.
      const idx = Array.from({ length: m }, (_, p) => {
        const t = (unravel(p, idxDims)[c.ax]! + shift) % n;
        return p % 2 === 0 ? t - n : t;
      });
      const written = new Set(idx.map((v, p) => {
        const at = unravel(p, idxDims);
        at[c.ax] = wrap(v, n);
        return ravel(at, c.dims);
      }));
      expect(written.size).toBe(m);
      const x = makeTensor(c.kind, c.ids, c.dims);
      const u = makeTensor(c.kind, Array.from({ length: m }, (_, i) => 2000 + i), idxDims);
      const ind = indexTensor(idx, idxDims, false);
      const y = runOp('ScatterElements', 13, { axis: c.axis }, [x, ind, u]);
      const back = runOp('GatherElements', 13, { axis: c.axis }, [y, ind]);
      expect(keys(back)).toEqual(keys(u));
      // Untouched positions keep their bits.
      const ky = keys(y);
      const kx = keys(x);
      for (let q = 0; q < kx.length; q++) if (!written.has(q)) expect(ky[q]).toBe(kx[q]);
    }), { numRuns: 150 });
  });

  it('Scatter-9 is ScatterElements without reduction', () => {
    const x = new Tensor('float32', new Float32Array(6), [2, 3]);
    const y = runOp('Scatter', 10, { axis: 1 }, [x, new Tensor('int64', [2n, -3n], [1, 2]), new Tensor('float32', [5, 7], [1, 2])]);
    expect(Array.from(y.data as Float32Array)).toEqual([7, 0, 5, 0, 0, 0]);
  });

  it('integer reductions wrap like the integer type (int8, uint32, int64)', () => {
    const y8 = runOp('ScatterElements', 18, { reduction: 'mul' }, [
      new Tensor('int8', Int8Array.from([100, 3]), [2]), new Tensor('int64', [0n, 0n], [2]), new Tensor('int8', Int8Array.from([3, 1]), [2])]);
    expect(Array.from(y8.data as Int8Array)).toEqual([(300 << 24) >> 24, 3]);
    const yu = runOp('ScatterElements', 18, { reduction: 'mul' }, [
      new Tensor('uint32', Uint32Array.from([0xffffffff]), [1]), new Tensor('int64', [0n], [1]), new Tensor('uint32', Uint32Array.from([0xffffffff]), [1])]);
    expect(Array.from(yu.data as Uint32Array)).toEqual([1]);
    const yb = runOp('ScatterElements', 18, { reduction: 'max' }, [
      new Tensor('int64', [2n ** 62n + 1n], [1]), new Tensor('int64', [0n], [1]), new Tensor('int64', [2n ** 62n], [1])]);
    expect(Array.from(yb.data as BigInt64Array)).toEqual([2n ** 62n + 1n]);
  });
});

// ---- GatherND / ScatterND --------------------------------------------------------------------

const ndCase = (batch: boolean) => dimsArb(1, 4, 3).chain((dims) => fc.integer({ min: 0, max: batch ? dims.length - 1 : 0 }).chain((b) =>
  fc.record({
    dims: fc.constant(dims),
    b: fc.constant(b),
    k: fc.integer({ min: 1, max: dims.length - b }),
    mid: dimsArb(0, 2, 3),
    kind: fc.constantFrom(...KINDS),
    ids: idsFor(size(dims)),
    seed: fc.array(fc.integer({ min: 0, max: 1 << 20 }), { minLength: 64, maxLength: 64 }),
  }).map((c) => {
    const idxDims = [...dims.slice(0, b), ...c.mid, c.k];
    const bounds = dims.slice(b, b + c.k);
    const idx = Array.from({ length: size(idxDims) }, (_, i) => {
      const n = bounds[i % c.k]!;
      return n === 0 ? 0 : (c.seed[i % 64]! + 7 * i) % (2 * n) - n;
    });
    return { ...c, idxDims, idx, bounds };
  })));

function refGatherND(data: readonly string[], dims: readonly number[], b: number, k: number,
  idx: readonly number[], idxDims: readonly number[]): string[] {
  const tupleDims = idxDims.slice(0, -1);
  const slice = dims.slice(b + k);
  const outDims = [...tupleDims, ...slice];
  const out: string[] = [];
  for (let p = 0; p < size(outDims); p++) {
    const o = unravel(p, outDims);
    const t = ravel(o.slice(0, tupleDims.length), tupleDims);
    const tuple = idx.slice(t * k, t * k + k).map((v, j) => wrap(v, dims[b + j]!));
    out.push(data[ravel([...o.slice(0, b), ...tuple, ...o.slice(tupleDims.length)], dims)]!);
  }
  return out;
}

describe('GatherND', () => {
  it('matches the reference with batch_dims', () => {
    fc.assert(fc.property(ndCase(true), (c) => {
      const x = makeTensor(c.kind, c.ids, c.dims);
      const run = () => runOp('GatherND', 13, { batch_dims: c.b }, [x, indexTensor(c.idx, c.idxDims, false)]);
      if (c.bounds.includes(0) && c.idx.length > 0) {
        expect(run).toThrow(InvalidNodeError);
        return;
      }
      const y = run();
      expect(y.dims).toEqual([...c.idxDims.slice(0, -1), ...c.dims.slice(c.b + c.k)]);
      expect(keys(y)).toEqual(refGatherND(keys(x), c.dims, c.b, c.k, c.idx, c.idxDims));
    }), { numRuns: 150 });
  });
});

describe('ScatterND', () => {
  it('matches the reference for every reduction', () => {
    fc.assert(fc.property(ndCase(false), fc.constantFrom(...REDS), fc.array(valueArb, { minLength: 300, maxLength: 300 }), (c, red, vals) => {
      if (c.bounds.includes(0) && c.idx.length > 0) return;
      const n = size(c.dims);
      const updDims = [...c.idxDims.slice(0, -1), ...c.dims.slice(c.k)];
      const m = size(updDims);
      if (n > 150 || m > 150) return;
      const data = Float32Array.from(vals.slice(0, n));
      const upd = Float32Array.from(vals.slice(150, 150 + m));
      const want = Float32Array.from(data);
      const block = size(c.dims.slice(c.k));
      for (let t = 0; t < m / Math.max(block, 1) && block > 0; t++) {
        const tuple = c.idx.slice(t * c.k, t * c.k + c.k).map((v, j) => wrap(v, c.dims[j]!));
        for (let e = 0; e < block; e++) {
          const q = ravel([...tuple, ...unravel(e, c.dims.slice(c.k))], c.dims);
          want[q] = combine(want[q]!, upd[t * block + e]!, red);
        }
      }
      const y = runOp('ScatterND', 18, { reduction: red },
        [new Tensor('float32', data, c.dims), indexTensor(c.idx, c.idxDims, false), new Tensor('float32', upd, updDims)]);
      expect(Array.from(y.data as Float32Array)).toEqual(Array.from(want));
    }), { numRuns: 150 });
  });

  it('scatter then GatherND returns the updates (unique tuples, any dtype)', () => {
    fc.assert(fc.property(dimsArb(1, 3, 4), fc.constantFrom(...KINDS), fc.integer({ min: 0, max: 1000 }), (dims, kind, seed) => {
      const k = Math.max(1, Math.min(dims.length, 1 + (seed % dims.length)));
      const lead = dims.slice(0, k);
      const count = size(lead);
      // Every tuple of the leading dims once, in a shuffled order, some written negative.
      const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101));
      const idx = order.flatMap((p, t) => unravel(p, lead).map((v, j) => ((t + j) % 2 === 0 && v > 0 ? v - lead[j]! : v)));
      const idxDims = [count, k];
      const updDims = [count, ...dims.slice(k)];
      const x = makeTensor(kind, Array.from({ length: size(dims) }, (_, i) => i), dims);
      const u = makeTensor(kind, Array.from({ length: size(updDims) }, (_, i) => 5000 + i), updDims);
      const ind = indexTensor(idx, idxDims, true);
      const y = runOp('ScatterND', 13, {}, [x, ind, u]);
      expect(keys(runOp('GatherND', 13, {}, [y, ind]))).toEqual(keys(u));
    }), { numRuns: 100 });
  });
});

// ---- OneHot ----------------------------------------------------------------------------------

describe('OneHot', () => {
  it('matches the reference (negative axes, negative and out-of-range indices)', () => {
    fc.assert(fc.property(dimsArb(0, 3, 3).chain((dims) => fc.record({
      dims: fc.constant(dims),
      depth: fc.integer({ min: 1, max: 4 }),
      axis: fc.integer({ min: -dims.length - 1, max: dims.length }),
      idx: fc.array(fc.integer({ min: -6, max: 6 }), { minLength: size(dims), maxLength: size(dims) }),
      float: fc.boolean(),
    })), (c) => {
      const ax = wrap(c.axis, c.dims.length + 1);
      const outDims = [...c.dims.slice(0, ax), c.depth, ...c.dims.slice(ax)];
      const want: number[] = [];
      for (let p = 0; p < size(outDims); p++) {
        const o = unravel(p, outDims);
        const d = o[ax]!;
        const i = c.idx[ravel([...o.slice(0, ax), ...o.slice(ax + 1)], c.dims)]!;
        want.push(wrap(i, c.depth) === d && i >= -c.depth && i < c.depth ? 7 : -2);
      }
      const ind = c.float ? new Tensor('float32', Float32Array.from(c.idx), c.dims) : indexTensor(c.idx, c.dims, false);
      const y = runOp('OneHot', 11, { axis: c.axis }, [ind, new Tensor('int64', [BigInt(c.depth)], [1]), new Tensor('int32', [-2, 7], [2])]);
      expect(y.type).toBe('int32');
      expect(y.dims).toEqual(outDims);
      expect(Array.from(y.data as Int32Array)).toEqual(want);
    }), { numRuns: 150 });
  });
});
