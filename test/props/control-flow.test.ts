// Property tests for If, Loop and Scan. Two kinds: the ops run with bodies written as plain JS
// functions (a fake runSubgraph), compared with plain loops; and small ONNX models with real
// bodies, run through the session, to check subgraph inputs/outputs and outer-scope values.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { controlFlowOps } from '../../ops/onnx/control-flow.js';
import { type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { ShapeError } from '../../src/errors.js';
import { loadOnnxModel } from '../../src/formats/onnx/load.js';
import type { Attribute, Dim, Graph, Node } from '../../src/ir/graph.js';
import { InferenceSession } from '../../src/api/session.js';
import { Tensor } from '../../src/tensor.js';
import type { Value } from '../../src/value.js';
import { type GraphSpec, type ModelSpec, writeModel } from '../helpers/onnx-writer.js';

// ---- harness: ops with JS bodies ----

type Body = (inputs: readonly Value[]) => Value[];

/** A graph object standing for a JS body: only its input/output counts and output types matter. */
function fakeGraph(nIn: number, outs: { elem?: 'float64' | 'int64' | 'bool'; shape?: Dim[] }[]): Graph {
  return {
    name: 'body', nodes: [],
    inputs: Array.from({ length: nIn }, (_, i) => ({ name: `in${i}`, type: { kind: 'unknown' as const } })),
    outputs: outs.map((o, i) => ({ name: `out${i}`, type: { kind: 'tensor' as const, elemType: o.elem, shape: o.shape } })),
    initializers: new Map(), sparseInitializers: new Map(), valueInfo: new Map(),
  };
}

function runOp(
  name: string, opset: number, inputs: (Value | undefined)[], attrs: Record<string, Attribute>,
  bodies: Map<Graph, Body>, nOut: number,
): Value[] {
  const defs = controlFlowOps.filter((d) => d.name === name && d.since <= opset);
  const def: OpDef = defs.reduce((a, b) => (b.since > a.since ? b : a));
  const map = new Map(Object.entries(attrs));
  const node: Node = { name: 'n', domain: '', opType: name, inputs: [], outputs: new Array<string>(nOut).fill('y'), attributes: map };
  const parsed = def.parse ? def.parse(new Attrs(map), node) : undefined;
  const ctx = { node, opset, runSubgraph: (g: Graph, v: readonly Value[]) => bodies.get(g)!(v) };
  return def.run(inputs as (Tensor | undefined)[], parsed, ctx);
}

const f64 = (xs: readonly number[], dims: readonly number[]) => new Tensor('float64', Float64Array.from(xs), dims);
const i64 = (x: number) => new Tensor('int64', BigInt64Array.of(BigInt(x)), []);
const bool = (x: boolean) => new Tensor('bool', Uint8Array.of(x ? 1 : 0), []);
const nums = (v: Value | undefined) => (v as Tensor).toNumbers();
const dimsOf = (v: Value | undefined) => [...(v as Tensor).dims];
const graphAttr = (g: Graph): Attribute => ({ type: 'graph', value: g });
const intAttr = (value: number): Attribute => ({ type: 'int', value });
const intsAttr = (value: number[]): Attribute => ({ type: 'ints', value });

const extreme = fc.oneof(
  fc.double({ min: -1e3, max: 1e3, noNaN: true }),
  fc.constantFrom(0, -0, 1e3, -1e3, Infinity, -Infinity, NaN),
);
/** Float32-exact numbers so float32 models and float64 references agree. */
const extreme32 = extreme.map((x) => Math.fround(x));

/** Same numbers, NaN equal to NaN. */
function expectSame(got: readonly number[], want: readonly number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    if (Number.isNaN(want[i]!)) expect(g).toBeNaN();
    else expect(g).toBe(want[i]);
  });
}

const sumRows = (a: readonly number[], b: readonly number[]) => a.map((x, i) => x + b[i]!);

// ---- Loop ----

describe('Loop', () => {
  it('matches a plain while loop: carried sum, counter, stacked scan outputs', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 3 }), fc.array(fc.array(extreme, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 6 }),
      fc.option(fc.integer({ min: 0, max: 8 })), fc.boolean(), fc.integer({ min: 0, max: 8 }),
      (n, rowsIn, trip, cond0, stopAt) => {
        const rows = rowsIn.map((r) => r.slice(0, n));
        const body = fakeGraph(4, [{ elem: 'bool' }, {}, {}, { elem: 'float64', shape: [n] }, { elem: 'int64', shape: [] }]);
        const fn: Body = ([iter, , acc, count]) => {
          const i = nums(iter)[0]!;
          const next = sumRows(nums(acc), rows[i % rows.length]!);
          return [bool(i + 1 < stopAt), f64(next, [n]), i64(nums(count)[0]! + 1), f64(next, [n]), i64(i * i)];
        };
        const out = runOp('Loop', 16, [trip === null ? undefined : i64(trip), bool(cond0), f64(new Array(n).fill(0), [n]), i64(0)],
          { body: graphAttr(body) }, new Map([[body, fn]]), 4);
        // Reference.
        let acc = new Array<number>(n).fill(0);
        let count = 0;
        let cond = cond0;
        const running: number[][] = [];
        const squares: number[] = [];
        for (let i = 0; (trip === null || i < trip) && cond; i++) {
          acc = sumRows(acc, rows[i % rows.length]!);
          count++;
          running.push(acc);
          squares.push(i * i);
          cond = i + 1 < stopAt;
        }
        expectSame(nums(out[0]), acc);
        expect(nums(out[1])).toEqual([count]);
        expect(dimsOf(out[2])).toEqual([count, n]);
        expectSame(nums(out[2]), running.flat());
        expect(dimsOf(out[3])).toEqual([count]);
        expect(nums(out[3])).toEqual(squares);
        expect((out[3] as Tensor).type).toBe('int64');
      },
    ), { numRuns: 150 });
  });

  it('empty loops give empty scan outputs of the declared type and shape', () => {
    const body = fakeGraph(2, [{ elem: 'bool' }, { elem: 'int64', shape: [2, 'N', 3] }, { elem: 'float64', shape: [4] }]);
    const fn: Body = () => { throw new Error('the body must not run'); };
    for (const [m, c] of [[0, true], [5, false]] as const) {
      const out = runOp('Loop', 13, [i64(m), bool(c)], { body: graphAttr(body) }, new Map([[body, fn]]), 2);
      expect((out[0] as Tensor).type).toBe('int64');
      expect(dimsOf(out[0])).toEqual([0, 2, 0, 3]);
      expect((out[1] as Tensor).type).toBe('float64');
      expect(dimsOf(out[1])).toEqual([0, 4]);
    }
  });

  it('carries sequences and empty optionals through unchanged', () => {
    const body = fakeGraph(4, [{ elem: 'bool' }, {}, {}]);
    const fn: Body = ([iter, c, seq, opt]) => [c!, [...(seq as Value[]), iter!], opt!];
    const out = runOp('Loop', 16, [i64(4), undefined, [], null], { body: graphAttr(body) }, new Map([[body, fn]]), 2);
    expect((out[0] as Tensor[]).map((t) => nums(t)[0])).toEqual([0, 1, 2, 3]);
    expect(out[1]).toBeNull();
  });

  it('rejects scan outputs whose shape changes between iterations', () => {
    const body = fakeGraph(2, [{ elem: 'bool' }, {}]);
    const fn: Body = ([iter]) => [bool(true), f64(new Array(nums(iter)[0]! + 1).fill(1), [nums(iter)[0]! + 1])];
    expect(() => runOp('Loop', 11, [i64(3), undefined], { body: graphAttr(body) }, new Map([[body, fn]]), 1))
      .toThrow(ShapeError);
  });
});

// ---- Scan ----

function insertAt<T>(xs: readonly T[], at: number, v: T): T[] {
  return [...xs.slice(0, at), v, ...xs.slice(at)];
}
function flatIndex(dims: readonly number[], coords: readonly number[]): number {
  let k = 0;
  for (let i = 0; i < dims.length; i++) k = k * dims[i]! + coords[i]!;
  return k;
}

describe('Scan (opset 9+)', () => {
  it('cumulative sums with any axes and directions match a coordinate reference', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: -3, max: 2 }), fc.integer({ min: -3, max: 2 }), fc.integer({ min: -3, max: 2 }),
      fc.boolean(), fc.boolean(), fc.boolean(), fc.array(extreme, { minLength: 48, maxLength: 48 }),
      (T, p, q, inAxis, outAxisY, outAxisZ, inRev, yRev, zRev, pool) => {
        const row = [p, q];
        const ia = inAxis < 0 ? inAxis + 3 : inAxis;
        const xDims = insertAt(row, ia, T);
        const xData = pool.slice(0, T * p * q);
        const body = fakeGraph(2, [{}, { elem: 'float64', shape: [p, q] }, { elem: 'float64', shape: [p, q] }]);
        const fn: Body = ([s, x]) => {
          const next = sumRows(nums(s), nums(x));
          return [f64(next, row), f64(nums(x).map((v) => v * 2), row), f64(next, row)];
        };
        const out = runOp('Scan', 11, [f64(new Array(p * q).fill(0), row), new Tensor('float64', Float64Array.from(xData), xDims)], {
          body: graphAttr(body), num_scan_inputs: intAttr(1), scan_input_axes: intsAttr([inAxis]),
          scan_input_directions: intsAttr([inRev ? 1 : 0]), scan_output_axes: intsAttr([outAxisY, outAxisZ]),
          scan_output_directions: intsAttr([yRev ? 1 : 0, zRev ? 1 : 0]),
        }, new Map([[body, fn]]), 3);
        // Reference, coordinate by coordinate.
        const state = new Array<number>(p * q).fill(0);
        const oy = outAxisY < 0 ? outAxisY + 3 : outAxisY;
        const oz = outAxisZ < 0 ? outAxisZ + 3 : outAxisZ;
        const yDims = insertAt(row, oy, T);
        const zDims = insertAt(row, oz, T);
        const y = new Array<number>(T * p * q).fill(0);
        const z = new Array<number>(T * p * q).fill(0);
        for (let t = 0; t < T; t++) {
          const src = inRev ? T - 1 - t : t;
          for (let i = 0; i < p; i++) {
            for (let j = 0; j < q; j++) {
              const x = xData[flatIndex(xDims, insertAt([i, j], ia, src))]!;
              state[i * q + j] += x;
              y[flatIndex(yDims, insertAt([i, j], oy, yRev ? T - 1 - t : t))] = x * 2;
              z[flatIndex(zDims, insertAt([i, j], oz, zRev ? T - 1 - t : t))] = state[i * q + j]!;
            }
          }
        }
        expectSame(nums(out[0]), state);
        expect(dimsOf(out[1])).toEqual(yDims);
        expectSame(nums(out[1]), y);
        expect(dimsOf(out[2])).toEqual(zDims);
        expectSame(nums(out[2]), z);
      },
    ), { numRuns: 150 });
  });

  it('rejects scan inputs of different lengths', () => {
    const body = fakeGraph(2, [{}]);
    const a = f64([1, 2, 3], [3]);
    const b = f64([1, 2], [2]);
    expect(() => runOp('Scan', 9, [a, b], { body: graphAttr(body), num_scan_inputs: intAttr(2) }, new Map(), 1))
      .toThrow(ShapeError);
  });
});

describe('Scan (opset 8, batched)', () => {
  it('matches a per-batch reference with sequence_lens, directions and zero padding', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.boolean(),
      fc.boolean(), fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), fc.array(extreme, { minLength: 36, maxLength: 36 }),
      (B, T, m, rev, withLens, lensRaw, pool) => {
        const lens = lensRaw.slice(0, B).map((l) => l % (T + 1));
        const init = pool.slice(0, B * m);
        const xs = pool.slice(0, B * T * m).map((v) => v / 2);
        const body = fakeGraph(2, [{}, { elem: 'float64', shape: [m] }]);
        const fn: Body = ([s, x]) => {
          const next = sumRows(nums(s), nums(x));
          return [f64(next, [m]), f64(next, [m])];
        };
        const lensT = withLens ? new Tensor('int32', Int32Array.from(lens), [B]) : undefined;
        const attrs: Record<string, Attribute> = { body: graphAttr(body), num_scan_inputs: intAttr(1) };
        if (rev) attrs.directions = intsAttr([1]);
        const out = runOp('Scan', 8, [lensT, f64(init, [B, m]), f64(xs, [B, T, m])], attrs, new Map([[body, fn]]), 2);
        const finals: number[] = [];
        const ys = new Array<number>(B * T * m).fill(0);
        for (let b = 0; b < B; b++) {
          const len = withLens ? lens[b]! : T;
          const s = init.slice(b * m, (b + 1) * m);
          for (let t = 0; t < len; t++) {
            const src = rev ? len - 1 - t : t;
            for (let k = 0; k < m; k++) {
              s[k] += xs[(b * T + src) * m + k]!;
              ys[(b * T + t) * m + k] = s[k]!;
            }
          }
          finals.push(...s);
        }
        expect(dimsOf(out[0])).toEqual([B, m]);
        expectSame(nums(out[0]), finals);
        expect(dimsOf(out[1])).toEqual([B, T, m]);
        expectSame(nums(out[1]), ys);
      },
    ), { numRuns: 150 });
  });
});

// ---- real models through the session ----

const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;

async function session(graph: GraphSpec, opset = 17): Promise<InferenceSession> {
  const spec: ModelSpec = { opsets: [['', opset]], graph };
  return InferenceSession.fromModel(await loadOnnxModel(writeModel(spec)));
}

describe('control flow in models', () => {
  it('Loop sums the first M rows of an outer-scope tensor, with running sums as scan output', async () => {
    const body: GraphSpec = {
      name: 'body',
      inputs: [{ name: 'i', elemType: INT64, shape: [] }, { name: 'c', elemType: BOOL, shape: [] }, { name: 'acc', elemType: FLOAT, shape: [3] }],
      outputs: [{ name: 'c_out', elemType: BOOL, shape: [] }, { name: 'acc_out', elemType: FLOAT, shape: [3] }, { name: 'run', elemType: FLOAT, shape: [3] }],
      nodes: [
        { op: 'Gather', inputs: ['xs', 'i'], outputs: ['row'], attrs: [{ name: 'axis', i: 0 }] },
        { op: 'Add', inputs: ['acc', 'row'], outputs: ['acc_out'] },
        { op: 'Identity', inputs: ['c'], outputs: ['c_out'] },
        { op: 'Identity', inputs: ['acc_out'], outputs: ['run'] },
      ],
    };
    const s = await session({
      inputs: [{ name: 'M', elemType: INT64, shape: [] }, { name: 'x0', elemType: FLOAT, shape: [3] }, { name: 'xs', elemType: FLOAT, shape: [5, 3] }],
      outputs: [{ name: 'sum', elemType: FLOAT }, { name: 'sums', elemType: FLOAT }],
      nodes: [{ op: 'Loop', inputs: ['M', '', 'x0'], outputs: ['sum', 'sums'], attrs: [{ name: 'body', g: body }] }],
    });
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 5 }), fc.array(extreme32, { minLength: 18, maxLength: 18 }),
      async (M, pool) => {
        const x0 = pool.slice(0, 3);
        const xs = pool.slice(3);
        const { sum, sums } = await s.runValues({
          M: i64(M), x0: new Tensor('float32', Float32Array.from(x0), [3]), xs: new Tensor('float32', Float32Array.from(xs), [5, 3]),
        });
        let acc = x0;
        const running: number[] = [];
        for (let i = 0; i < M; i++) {
          acc = acc.map((v, k) => Math.fround(v + xs[i * 3 + k]!));
          running.push(...acc);
        }
        expectSame(nums(sum), acc);
        expect(dimsOf(sums)).toEqual([M, 3]);
        expectSame(nums(sums), running);
      },
    ), { numRuns: 60 });
  });

  it('Loop builds a sequence of iteration numbers', async () => {
    const body: GraphSpec = {
      name: 'body',
      inputs: [{ name: 'i', elemType: INT64, shape: [] }, { name: 'c', elemType: BOOL, shape: [] }, { name: 'seq' }],
      outputs: [{ name: 'c_out', elemType: BOOL, shape: [] }, { name: 'seq_out' }],
      nodes: [
        { op: 'Identity', inputs: ['c'], outputs: ['c_out'] },
        { op: 'SequenceInsert', inputs: ['seq', 'i'], outputs: ['seq_out'] },
      ],
    };
    const s = await session({
      inputs: [{ name: 'M', elemType: INT64, shape: [] }],
      outputs: [{ name: 'out' }],
      nodes: [
        { op: 'SequenceEmpty', inputs: [], outputs: ['empty'], attrs: [{ name: 'dtype', i: INT64 }] },
        { op: 'Loop', inputs: ['M', '', 'empty'], outputs: ['out'], attrs: [{ name: 'body', g: body }] },
      ],
    });
    for (const M of [0, 1, 4]) {
      const { out } = await s.runValues({ M: i64(M) });
      expect((out as Tensor[]).map((t) => nums(t)[0])).toEqual(Array.from({ length: M }, (_, i) => i));
    }
  });

  it('Scan computes a cumulative sum like a plain loop', async () => {
    const body: GraphSpec = {
      name: 'body',
      inputs: [{ name: 's', elemType: FLOAT, shape: [2] }, { name: 'x', elemType: FLOAT, shape: [2] }],
      outputs: [{ name: 's_out', elemType: FLOAT, shape: [2] }, { name: 'y', elemType: FLOAT, shape: [2] }],
      nodes: [
        { op: 'Add', inputs: ['s', 'x'], outputs: ['s_out'] },
        { op: 'Identity', inputs: ['s_out'], outputs: ['y'] },
      ],
    };
    const s = await session({
      inputs: [{ name: 'init', elemType: FLOAT, shape: [2] }, { name: 'xs', elemType: FLOAT, shape: ['T', 2] }],
      outputs: [{ name: 'final', elemType: FLOAT }, { name: 'ys', elemType: FLOAT }],
      nodes: [{ op: 'Scan', inputs: ['init', 'xs'], outputs: ['final', 'ys'], attrs: [{ name: 'body', g: body }, { name: 'num_scan_inputs', i: 1 }] }],
    });
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 6 }), fc.array(extreme32, { minLength: 14, maxLength: 14 }),
      async (T, pool) => {
        const init = pool.slice(0, 2);
        const xs = pool.slice(2, 2 + 2 * T);
        const { final: fin, ys } = await s.runValues({
          init: new Tensor('float32', Float32Array.from(init), [2]), xs: new Tensor('float32', Float32Array.from(xs), [T, 2]),
        });
        let acc = init;
        const want: number[] = [];
        for (let t = 0; t < T; t++) {
          acc = acc.map((v, k) => Math.fround(v + xs[t * 2 + k]!));
          want.push(...acc);
        }
        expectSame(nums(fin), acc);
        expect(dimsOf(ys)).toEqual([T, 2]);
        expectSame(nums(ys), want);
      },
    ), { numRuns: 60 });
  });

  it('If runs the chosen branch, which reads outer values and its own initializers', async () => {
    const thenBranch: GraphSpec = {
      name: 'then', inputs: [], outputs: [{ name: 't_out', elemType: FLOAT }],
      initializers: [{ name: 'ten', dataType: FLOAT, dims: [], floats: [10] }],
      nodes: [{ op: 'Add', inputs: ['x', 'ten'], outputs: ['t_out'] }],
    };
    const elseBranch: GraphSpec = {
      name: 'else', inputs: [], outputs: [{ name: 'e_out', elemType: FLOAT }],
      nodes: [{ op: 'Mul', inputs: ['x', 'x'], outputs: ['e_out'] }],
    };
    const s = await session({
      inputs: [{ name: 'c', elemType: BOOL, shape: [] }, { name: 'x', elemType: FLOAT, shape: [3] }],
      outputs: [{ name: 'y', elemType: FLOAT }],
      nodes: [{ op: 'If', inputs: ['c'], outputs: ['y'], attrs: [{ name: 'then_branch', g: thenBranch }, { name: 'else_branch', g: elseBranch }] }],
    });
    await fc.assert(fc.asyncProperty(fc.boolean(), fc.array(extreme32, { minLength: 3, maxLength: 3 }), async (c, x) => {
      const { y } = await s.runValues({ c: bool(c), x: new Tensor('float32', Float32Array.from(x), [3]) });
      expectSame(nums(y), x.map((v) => Math.fround(c ? v + 10 : v * v)));
    }), { numRuns: 60 });
  });
});
