// Property tests for the sequence and optional ops against plain JS array operations and
// coordinate-by-coordinate split/concat references. Elements are compared by their raw bytes,
// so NaN payloads, -0, int64 extremes and strings must come through untouched.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sequenceOps } from '../../ops/onnx/sequence.js';
import { type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Attribute, Graph, Node } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import type { Value } from '../../src/value.js';

// ---- harness ----

type Body = (inputs: readonly Value[]) => Value[];

function runOp(
  name: string, inputs: (Value | undefined)[], attrs: Record<string, Attribute> = {}, body?: Body, opset = 18,
): Value[] {
  const defs = sequenceOps.filter((d) => d.name === name && d.since <= opset);
  const def: OpDef = defs.reduce((a, b) => (b.since > a.since ? b : a));
  const map = new Map(Object.entries(attrs));
  const node: Node = { name: 'n', domain: '', opType: name, inputs: [], outputs: ['y'], attributes: map };
  const parsed = def.parse ? def.parse(new Attrs(map), node) : undefined;
  const ctx = { node, opset, runSubgraph: (_g: Graph, v: readonly Value[]) => body!(v) };
  return def.run(inputs as (Tensor | undefined)[], parsed, ctx);
}

const intAttr = (value: number): Attribute => ({ type: 'int', value });
const i64 = (x: number) => new Tensor('int64', BigInt64Array.of(BigInt(x)), []);
const nums = (v: Value | undefined) => (v as Tensor).toNumbers();

/** Each element as a comparable key: the string itself, or its bytes in hex. */
function elements(t: Tensor): string[] {
  const d = t.data;
  if (Array.isArray(d)) return [...d];
  const n = t.size;
  if (n === 0) return [];
  const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  const per = d.byteLength / n;
  return Array.from({ length: n }, (_, i) => {
    let s = '';
    for (let b = 0; b < per; b++) s += bytes[i * per + b]!.toString(16).padStart(2, '0');
    return s;
  });
}

/** Any tensor storage: typed arrays and string[] all slice the same way. */
interface Sliceable { slice(a: number, b: number): Float32Array }

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
function unravel(flat: number, dims: readonly number[]): number[] {
  const c = new Array<number>(dims.length);
  for (let i = dims.length - 1; i >= 0; i--) {
    c[i] = flat % dims[i]!;
    flat = Math.floor(flat / dims[i]!);
  }
  return c;
}
function ravel(c: readonly number[], dims: readonly number[]): number {
  let k = 0;
  for (let i = 0; i < dims.length; i++) k = k * dims[i]! + c[i]!;
  return k;
}

/** A random tensor of one of several element types holding extreme values. */
const dimsArb = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 });
function tensorArb(dims: readonly number[]): fc.Arbitrary<Tensor> {
  const n = size(dims);
  return fc.oneof(
    fc.array(fc.oneof(fc.double({ min: -1e3, max: 1e3 }), fc.constantFrom(Infinity, -Infinity, NaN, -0)), { minLength: n, maxLength: n })
      .map((v) => new Tensor('float32', Float32Array.from(v), dims)),
    fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { minLength: n, maxLength: n })
      .map((v) => new Tensor('int64', BigInt64Array.from(v), dims)),
    fc.array(fc.string({ maxLength: 3 }), { minLength: n, maxLength: n }).map((v) => new Tensor('string', v, dims)),
    fc.array(fc.boolean(), { minLength: n, maxLength: n }).map((v) => new Tensor('bool', v.map(Number), dims)),
    fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: n, maxLength: n })
      .map((v) => new Tensor('float16', Uint16Array.from(v), dims)),
  );
}
const anyTensor = dimsArb.chain(tensorArb);

/** Reference: the part of x with axis coordinate in [start, start + len). */
function sliceRef(x: Tensor, axis: number, start: number, len: number): { dims: number[]; elems: string[] } {
  const dims = [...x.dims];
  dims[axis] = len;
  const src = elements(x);
  const elems = Array.from({ length: size(dims) }, (_, k) => {
    const c = unravel(k, dims);
    c[axis]! += start;
    return src[ravel(c, x.dims)]!;
  });
  return { dims, elems };
}

// ---- basic sequence ops vs arrays ----

type Edit = { kind: 'insert'; pos: number | null } | { kind: 'erase'; pos: number | null } | { kind: 'at'; pos: number };
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), pos: fc.option(fc.integer({ min: -6, max: 6 })) }),
  fc.record({ kind: fc.constant('erase' as const), pos: fc.option(fc.integer({ min: -6, max: 6 })) }),
  fc.record({ kind: fc.constant('at' as const), pos: fc.integer({ min: -6, max: 6 }) }),
);

describe('SequenceConstruct / Insert / Erase / At / Length', () => {
  it('behave like array splice and indexing, rejecting out-of-range positions', () => {
    fc.assert(fc.property(fc.array(fc.integer(), { maxLength: 4 }), fc.array(editArb, { maxLength: 10 }), (init, edits) => {
      let next = 1000;
      const mk = (v: number) => new Tensor('int32', Int32Array.of(v), [1]);
      let seq = runOp('SequenceConstruct', init.map(mk))[0] as readonly Value[];
      let ref = [...init];
      for (const e of edits) {
        const n = ref.length;
        const posT = e.pos === null ? undefined : e.pos % 2 ? i64(e.pos) : new Tensor('int32', Int32Array.of(e.pos), []);
        if (e.kind === 'insert') {
          const p = e.pos === null ? n : e.pos < 0 ? e.pos + n : e.pos;
          const v = next++;
          if (p < 0 || p > n) {
            expect(() => runOp('SequenceInsert', [seq, mk(v), posT])).toThrow(InvalidNodeError);
            continue;
          }
          seq = runOp('SequenceInsert', [seq, mk(v), posT])[0] as readonly Value[];
          ref.splice(p, 0, v);
        } else if (e.kind === 'erase') {
          const p = e.pos === null ? n - 1 : e.pos < 0 ? e.pos + n : e.pos;
          if (p < 0 || p >= n) {
            expect(() => runOp('SequenceErase', [seq, posT])).toThrow(InvalidNodeError);
            continue;
          }
          const before = seq;
          seq = runOp('SequenceErase', [seq, posT])[0] as readonly Value[];
          expect(before.length).toBe(n); // inputs are never mutated
          ref = ref.filter((_, i) => i !== p);
        } else {
          const p = e.pos < 0 ? e.pos + n : e.pos;
          if (p < 0 || p >= n) {
            expect(() => runOp('SequenceAt', [seq, posT])).toThrow(InvalidNodeError);
            continue;
          }
          expect(nums(runOp('SequenceAt', [seq, posT!])[0])).toEqual([ref[p]]);
        }
        const len = runOp('SequenceLength', [seq])[0] as Tensor;
        expect(len.type).toBe('int64');
        expect(len.dims).toEqual([]);
        expect(nums(len)).toEqual([ref.length]);
        expect(seq.map((t) => nums(t)[0])).toEqual(ref);
      }
    }), { numRuns: 200 });
  });

  it('SequenceEmpty gives an empty sequence; mixed element types are rejected', () => {
    expect(runOp('SequenceEmpty', [], { dtype: intAttr(7) })[0]).toEqual([]);
    expect(runOp('SequenceEmpty', [])[0]).toEqual([]);
    const f = new Tensor('float32', [1], [1]);
    const i = new Tensor('int32', Int32Array.of(1), [1]);
    expect(() => runOp('SequenceConstruct', [f, i])).toThrow(InvalidNodeError);
    expect(() => runOp('SequenceInsert', [[f], i])).toThrow(InvalidNodeError);
    expect(() => runOp('SequenceAt', [[f], new Tensor('int64', BigInt64Array.of(0n, 0n), [2])])).toThrow(InvalidNodeError);
  });
});

// ---- SplitToSequence / ConcatFromSequence ----

describe('SplitToSequence', () => {
  it('matches slices along the axis for absent, scalar and list splits', () => {
    const arb = anyTensor.chain((x) => fc.record({
      x: fc.constant(x),
      axis: fc.integer({ min: -x.dims.length, max: x.dims.length - 1 }),
      mode: fc.constantFrom('none', 'scalar', 'list'),
      keepdims: fc.boolean(),
      chunk: fc.integer({ min: 1, max: 4 }),
      cuts: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
    }));
    fc.assert(fc.property(arb, ({ x, axis, mode, keepdims, chunk, cuts }) => {
      const a = axis < 0 ? axis + x.dims.length : axis;
      const dim = x.dims[a]!;
      let parts: number[];
      let splitT: Tensor | undefined;
      if (mode === 'none') parts = new Array<number>(dim).fill(1);
      else if (mode === 'scalar') {
        parts = [];
        for (let s = 0; s < dim; s += chunk) parts.push(Math.min(chunk, dim - s));
        splitT = i64(chunk);
      } else {
        const sorted = [...new Set(cuts.map((c) => Math.min(c, dim)))].sort((p, q) => p - q);
        const bounds = [0, ...sorted, dim];
        parts = bounds.slice(1).map((b, i) => b - bounds[i]!);
        splitT = new Tensor('int64', BigInt64Array.from(parts.map(BigInt)), [parts.length]);
      }
      const seq = runOp('SplitToSequence', [x, splitT], { axis: intAttr(axis), keepdims: intAttr(keepdims ? 1 : 0) })[0] as Tensor[];
      expect(seq.length).toBe(parts.length);
      let start = 0;
      parts.forEach((len, i) => {
        const want = sliceRef(x, a, start, len);
        start += len;
        const wantDims = mode === 'none' && !keepdims ? want.dims.filter((_, k) => k !== a) : want.dims;
        expect(seq[i]!.type).toBe(x.type);
        expect([...seq[i]!.dims]).toEqual(wantDims);
        expect(elements(seq[i]!)).toEqual(want.elems);
      });
    }), { numRuns: 200 });
  });

  it('rejects split sizes that do not add up', () => {
    const x = new Tensor('float32', new Float32Array(6), [2, 3]);
    const bad = new Tensor('int64', BigInt64Array.of(1n, 1n), [2]);
    expect(() => runOp('SplitToSequence', [x, bad], { axis: intAttr(1) })).toThrow(ShapeError);
    expect(() => runOp('SplitToSequence', [x, undefined], { axis: intAttr(2) })).toThrow(InvalidNodeError);
  });
});

describe('ConcatFromSequence', () => {
  it('concatenates (or stacks with new_axis) like a coordinate reference', () => {
    const arb = fc.tuple(dimsArb, fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }))
      .chain(([dims, lens]) => fc.record({
        newAxis: fc.boolean(),
        axis: fc.integer({ min: -dims.length - 1, max: dims.length }),
        dims: fc.constant(dims),
        lens: fc.constant(lens),
        seed: tensorArb([size(dims.map((d) => Math.max(d, 3))) * lens.length + 1]),
      }));
    fc.assert(fc.property(arb, ({ newAxis, axis, dims, lens, seed }) => {
      const r = dims.length;
      const rank = newAxis ? r + 1 : r;
      const a = axis < 0 ? axis + rank : axis;
      if (a < 0 || a >= rank) {
        const t = new Tensor(seed.type, (seed.data as Sliceable).slice(0, 1), [1]);
        expect(() => runOp('ConcatFromSequence', [[t]], { axis: intAttr(axis), new_axis: intAttr(newAxis ? 1 : 0) }))
          .toThrow(InvalidNodeError);
        return;
      }
      // Element i: dims with the axis length lens[i] (or unchanged dims when stacking).
      let used = 0;
      const seq = lens.map((len) => {
        const d = newAxis ? dims : dims.map((x, k) => (k === a ? len : x));
        const n = size(d);
        const data = (seed.data as Sliceable).slice(used, used + n);
        used += n;
        return new Tensor(seed.type, data, d);
      });
      const out = runOp('ConcatFromSequence', [seq], { axis: intAttr(axis), new_axis: intAttr(newAxis ? 1 : 0) })[0] as Tensor;
      // Reference: each element viewed with a length-1 axis inserted when stacking.
      const views = seq.map((t) => (newAxis ? [...t.dims.slice(0, a), 1, ...t.dims.slice(a)] : [...t.dims]));
      const outDims = [...views[0]!];
      outDims[a] = views.reduce((s, v) => s + v[a]!, 0);
      expect([...out.dims]).toEqual(outDims);
      const got = elements(out);
      for (let k = 0; k < size(outDims); k++) {
        const c = unravel(k, outDims);
        let i = 0;
        let pos = c[a]!;
        while (pos >= views[i]![a]!) { pos -= views[i]![a]!; i++; }
        c[a] = pos;
        expect(got[k]).toBe(elements(seq[i]!)[ravel(c, views[i]!)]);
      }
    }), { numRuns: 200 });
  });

  it('undoes SplitToSequence', () => {
    fc.assert(fc.property(anyTensor.chain((x) => fc.tuple(fc.constant(x), fc.integer({ min: 0, max: x.dims.length - 1 }))), ([x, axis]) => {
      fc.pre(x.dims[axis]! > 0);
      const parts = runOp('SplitToSequence', [x], { axis: intAttr(axis), keepdims: intAttr(0) })[0] as Tensor[];
      const back = runOp('ConcatFromSequence', [parts], { axis: intAttr(axis), new_axis: intAttr(1) })[0] as Tensor;
      expect([...back.dims]).toEqual([...x.dims]);
      expect(elements(back)).toEqual(elements(x));
    }), { numRuns: 100 });
  });

  it('rejects an empty sequence and mismatched shapes', () => {
    expect(() => runOp('ConcatFromSequence', [[]], { axis: intAttr(0) })).toThrow(InvalidNodeError);
    const a = new Tensor('float32', new Float32Array(6), [2, 3]);
    const b = new Tensor('float32', new Float32Array(4), [2, 2]);
    expect(() => runOp('ConcatFromSequence', [[a, b]], { axis: intAttr(0) })).toThrow(ShapeError);
    expect(() => runOp('ConcatFromSequence', [[a, b]], { axis: intAttr(1), new_axis: intAttr(1) })).toThrow(ShapeError);
    expect([...(runOp('ConcatFromSequence', [[a, b]], { axis: intAttr(1) })[0] as Tensor).dims]).toEqual([2, 5]);
  });
});

// ---- SequenceMap ----

describe('SequenceMap', () => {
  it('maps the body over positions, passing tensors whole, like Array.map', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -1000, max: 1000 })), { maxLength: 5 }),
      fc.integer({ min: -1000, max: 1000 }),
      (pairs, k) => {
        const mk = (v: number) => new Tensor('int32', Int32Array.of(v), [1]);
        const body: Body = ([a, b, c]) => [mk(nums(a)[0]! + nums(b)[0]! * nums(c)[0]!), [a!, b!]];
        const g: Attribute = { type: 'graph', value: { name: 'b', nodes: [], inputs: [0, 1, 2].map((i) => ({ name: `i${i}`, type: { kind: 'unknown' } })), outputs: [0, 1].map((i) => ({ name: `o${i}`, type: { kind: 'unknown' } })), initializers: new Map(), sparseInitializers: new Map(), valueInfo: new Map() } };
        const [sums, nested] = runOp('SequenceMap', [pairs.map(([a]) => mk(a)), pairs.map(([, b]) => mk(b)), mk(k)], { body: g }, body);
        expect((sums as Tensor[]).map((t) => nums(t)[0])).toEqual(pairs.map(([a, b]) => a + b * k));
        expect((nested as Tensor[][]).map((s) => s.map((t) => nums(t)[0]))).toEqual(pairs.map(([a, b]) => [a, b]));
      },
    ), { numRuns: 100 });
  });

  it('rejects sequences of different lengths', () => {
    const t = new Tensor('float32', [1], [1]);
    const g: Attribute = { type: 'graph', value: { name: 'b', nodes: [], inputs: [], outputs: [], initializers: new Map(), sparseInitializers: new Map(), valueInfo: new Map() } };
    expect(() => runOp('SequenceMap', [[t, t], [t]], { body: g }, () => [])).toThrow(ShapeError);
  });
});

// ---- optionals ----

describe('Optional / OptionalHasElement / OptionalGetElement', () => {
  it('wrap, test and unwrap tensors, sequences and empty optionals', () => {
    fc.assert(fc.property(fc.option(fc.oneof(anyTensor, fc.array(anyTensor, { maxLength: 3 }))), (v) => {
      const opt = runOp('Optional', [v ?? undefined])[0];
      expect(opt).toBe(v ?? null);
      const has = runOp('OptionalHasElement', [opt])[0] as Tensor;
      expect(has.type).toBe('bool');
      expect(has.dims).toEqual([]);
      expect(nums(has)).toEqual([v === null ? 0 : 1]);
      if (v === null) expect(() => runOp('OptionalGetElement', [opt])).toThrow(InvalidNodeError);
      else expect(runOp('OptionalGetElement', [opt])[0]).toBe(v);
    }), { numRuns: 100 });
    // Opset 18: a missing input counts as empty.
    expect(nums(runOp('OptionalHasElement', [undefined])[0])).toEqual([0]);
    expect(() => runOp('OptionalGetElement', [undefined])).toThrow(InvalidNodeError);
  });
});
