// Property tests for the movement family (Transpose, Concat, Split, Slice, Tile, Pad, Trilu,
// DepthToSpace, SpaceToDepth, ReverseSequence) against plain coordinate-by-coordinate references.
// Elements are compared by their raw bytes, so NaN payloads, -0, int64 -1 and strings must
// come through untouched.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { movementOps } from '../../ops/onnx/movement.js';
import { type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute, Node } from '../../src/ir/graph.js';
import { type DataType, allocate } from '../../src/dtypes.js';
import { Tensor } from '../../src/tensor.js';

// ---- harness ----

type AttrValue = number | readonly number[] | string;

function runOp(
  name: string, opset: number, inputs: (Tensor | undefined)[], attrs: Record<string, AttrValue> = {}, nOut = 1,
): Tensor[] {
  const defs = movementOps.filter((d) => d.name === name && d.since <= opset);
  const def: OpDef = defs.reduce((a, b) => (b.since > a.since ? b : a));
  const map = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'string') map.set(k, { type: 'string', value: v, bytes: new TextEncoder().encode(v) });
    else if (typeof v === 'number') map.set(k, { type: 'int', value: v });
    else map.set(k, { type: 'ints', value: v });
  }
  const node: Node = {
    name: 'n', domain: '', opType: name, inputs: [], outputs: new Array<string>(nOut).fill('y'), attributes: map,
  };
  const parsed = def.parse ? def.parse(new Attrs(map), node) : undefined;
  const ctx = { node, opset, runSubgraph: () => { throw new Error('no subgraphs'); } };
  return def.run(inputs, parsed, ctx) as Tensor[];
}

const int64 = (xs: readonly (number | bigint)[], dims = [xs.length]) =>
  new Tensor('int64', BigInt64Array.from(xs.map((x) => BigInt(x))), dims);

/** Each element as a comparable key: the string itself, or its bytes in hex. */
function elements(t: Tensor): string[] {
  const d = t.data;
  if (Array.isArray(d)) return [...d];
  const n = t.size;
  if (n === 0) return [];
  const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  const per = d.byteLength / n;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    for (let b = 0; b < per; b++) s += bytes[i * per + b]!.toString(16).padStart(2, '0');
    out.push(s);
  }
  return out;
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function unravel(flat: number, dims: readonly number[]): number[] {
  const c = new Array<number>(dims.length);
  for (let a = dims.length - 1; a >= 0; a--) {
    c[a] = flat % dims[a]!;
    flat = Math.floor(flat / dims[a]!);
  }
  return c;
}

function ravel(c: readonly number[], dims: readonly number[]): number {
  let f = 0;
  for (let a = 0; a < dims.length; a++) f = f * dims[a]! + c[a]!;
  return f;
}

/** Reference output: for each output coordinate, the input coordinate it reads (or null = fill). */
function gatherRef(
  inEls: readonly string[], inDims: readonly number[], outDims: readonly number[],
  source: (c: number[]) => number[] | null, fill = '',
): string[] {
  const out: string[] = [];
  for (let i = 0; i < size(outDims); i++) {
    const c = source(unravel(i, outDims));
    out.push(c === null ? fill : inEls[ravel(c, inDims)]!);
  }
  return out;
}

const SPECIAL_WORDS = [0x7fc00000, 0x7fa00001, 0xffffffff, 0x7f800000, 0xff800000, 0x80000000, 0x447a0000, 0xc47a0000, 0];
const TYPES: DataType[] = ['float32', 'float64', 'float16', 'int64', 'uint8', 'bool', 'string', 'complex64'];

/** A tensor of `type` whose storage is random words (extreme float bit patterns included). */
function tensorArb(dims: readonly number[], types: readonly DataType[] = TYPES): fc.Arbitrary<Tensor> {
  const word = fc.oneof(fc.constantFrom(...SPECIAL_WORDS), fc.integer({ min: 0, max: 0xffffffff }));
  return fc.constantFrom(...types).chain((type) => {
    const n = size(dims);
    const data = allocate(type, n);
    const words = Array.isArray(data) ? n : Math.ceil(data.byteLength / 4);
    return fc.array(word, { minLength: words, maxLength: words }).map((ws) => {
      if (Array.isArray(data)) return new Tensor('string', ws.map((w) => `s${w}`), dims);
      const bytes = new Uint8Array(data.buffer);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (ws[i >> 2]! >>> ((i & 3) * 8)) & 0xff;
      if (type === 'bool') for (let i = 0; i < bytes.length; i++) bytes[i]! &= 1;
      return new Tensor(type, data, dims);
    });
  });
}

const dimsArb = (maxRank = 4, maxDim = 4, minRank = 0) =>
  fc.array(fc.integer({ min: 0, max: maxDim }), { minLength: minRank, maxLength: maxRank });
const withTensor = (dims: fc.Arbitrary<number[]>, types?: readonly DataType[]) =>
  dims.chain((d) => tensorArb(d, types));

// ---- Transpose ----

describe('Transpose', () => {
  it('matches an index-by-index reference for every permutation and type', () => {
    fc.assert(fc.property(
      withTensor(dimsArb(5, 4)).chain((x) => fc.tuple(fc.constant(x),
        fc.shuffledSubarray([...x.dims.keys()], { minLength: x.dims.length, maxLength: x.dims.length }))),
      ([x, perm]) => {
        const [y] = runOp('Transpose', 13, [x], { perm });
        const outDims = perm.map((a) => x.dims[a]!);
        expect(y!.dims).toEqual(outDims);
        expect(y!.type).toBe(x.type);
        const ref = gatherRef(elements(x), x.dims, outDims, (c) => {
          const src = new Array<number>(c.length);
          perm.forEach((a, i) => { src[a] = c[i]!; });
          return src;
        });
        expect(elements(y!)).toEqual(ref);
      },
    ), { numRuns: 200 });
  });

  it('uses the tiled path correctly on larger matrices and batches', () => {
    fc.assert(fc.property(
      withTensor(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 70 }))
        .map((d) => [...d]), ['float32', 'float64', 'int64']),
      fc.constantFrom([0, 2, 1], [2, 1, 0], [1, 2, 0], [2, 0, 1]),
      (x, perm) => {
        const [y] = runOp('Transpose', 13, [x], { perm });
        const outDims = perm.map((a) => x.dims[a]!);
        const ref = gatherRef(elements(x), x.dims, outDims, (c) => {
          const src = new Array<number>(3);
          perm.forEach((a, i) => { src[a] = c[i]!; });
          return src;
        });
        expect(elements(y!)).toEqual(ref);
      },
    ), { numRuns: 40 });
  });

  it('reverses the axes by default and rejects bad permutations', () => {
    fc.assert(fc.property(withTensor(dimsArb(4, 3)), (x) => {
      const [y] = runOp('Transpose', 1, [x]);
      const r = x.dims.length;
      const [z] = runOp('Transpose', 1, [x], { perm: x.dims.map((_, i) => r - 1 - i) });
      expect(y!.dims).toEqual([...x.dims].reverse());
      expect(elements(y!)).toEqual(elements(z!));
    }), { numRuns: 60 });
    const x = new Tensor('float32', new Float32Array(6), [2, 3]);
    expect(() => runOp('Transpose', 13, [x], { perm: [0, 0] })).toThrow(/permutation/);
    expect(() => runOp('Transpose', 13, [x], { perm: [0, 1, 2] })).toThrow();
  });
});

// ---- Concat / Split ----

/** dims plus a partition of dims[axis] into `parts` sizes (zeros allowed). */
const partitionArb = dimsArb(4, 4, 1).chain((dims) => fc.tuple(
  fc.constant(dims),
  fc.integer({ min: 0, max: dims.length - 1 }),
  fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
  fc.boolean(),
));

describe('Concat and Split', () => {
  it('concat matches a coordinate reference (any type, zero-sized inputs, negative axis)', () => {
    fc.assert(fc.property(partitionArb, fc.constantFrom(...TYPES), ([dims, axis, parts, neg], type) => {
      const xs = parts.map((p) => { const d = [...dims]; d[axis] = p; return d; });
      return fc.assert(fc.property(fc.tuple(...xs.map((d) => tensorArb(d, [type]))), (ts) => {
        const [y] = runOp('Concat', 13, ts, { axis: neg ? axis - dims.length : axis });
        const outDims = [...dims];
        outDims[axis] = parts.reduce((a, b) => a + b, 0);
        expect(y!.dims).toEqual(outDims);
        const ref: string[] = [];
        for (let i = 0; i < size(outDims); i++) {
          const c = unravel(i, outDims);
          let k = 0;
          let at = c[axis]!;
          while (at >= parts[k]!) { at -= parts[k]!; k++; }
          c[axis] = at;
          ref.push(elements(ts[k]!)[ravel(c, ts[k]!.dims)]!);
        }
        expect(elements(y!)).toEqual(ref);
      }), { numRuns: 3 });
    }), { numRuns: 60 });
  });

  it('split (input sizes, opset 13) then concat is the identity', () => {
    fc.assert(fc.property(partitionArb.chain(([dims, axis, parts, neg]) => {
      const d = [...dims];
      d[axis] = parts.reduce((a, b) => a + b, 0);
      return fc.tuple(tensorArb(d), fc.constant(axis), fc.constant(parts), fc.constant(neg));
    }), ([x, axis, parts, neg]) => {
      const ax = neg ? axis - x.dims.length : axis;
      const ys = runOp('Split', 13, [x, int64(parts)], { axis: ax }, parts.length);
      expect(ys.map((y) => y.dims[axis])).toEqual(parts);
      const [z] = runOp('Concat', 13, ys, { axis: ax });
      expect(z!.dims).toEqual(x.dims);
      expect(elements(z!)).toEqual(elements(x));
    }), { numRuns: 100 });
  });

  it('split with the attribute (opset 2) and equal parts agree with slicing', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }),
      (n, chunk, other) => {
        const x = new Tensor('int32', Int32Array.from({ length: other * n * chunk }, (_, i) => i), [other, n * chunk]);
        const a = runOp('Split', 2, [x], { axis: 1 }, n);
        const b = runOp('Split', 11, [x], { axis: -1, split: new Array<number>(n).fill(chunk) }, n);
        for (let k = 0; k < n; k++) {
          const [s] = runOp('Slice', 13, [x, int64([k * chunk]), int64([(k + 1) * chunk]), int64([1])]);
          expect(elements(a[k]!)).toEqual(elements(s!));
          expect(elements(b[k]!)).toEqual(elements(s!));
        }
      },
    ), { numRuns: 50 });
  });

  it('num_outputs (opset 18) makes ceil-sized chunks with a smaller last one', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), (dim, n) => {
      const chunk = Math.ceil(dim / n);
      const x = new Tensor('float32', Float32Array.from({ length: dim }, (_, i) => i), [dim]);
      if (dim - chunk * (n - 1) < 0) {
        expect(() => runOp('Split', 18, [x], { num_outputs: n }, n)).toThrow();
        return;
      }
      const ys = runOp('Split', 18, [x], { num_outputs: n }, n);
      const sizes = ys.map((y) => y.dims[0]);
      expect(sizes.slice(0, -1).every((s) => s === chunk)).toBe(true);
      expect(sizes.reduce((a, b) => a! + b!, 0)).toBe(dim);
      expect(ys.flatMap((y) => [...(y.data as Float32Array)])).toEqual([...(x.data as Float32Array)]);
    }), { numRuns: 60 });
  });
});

// ---- Slice ----

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** The indices a numpy-style slice visits: start clamped into range, then stepped until end. */
function sliceIndices(dim: number, start: bigint, end: bigint, step: bigint): number[] {
  const d = BigInt(dim);
  let s = start < 0n ? start + d : start;
  let e = end < 0n ? end + d : end;
  if (step > 0n) {
    s = s < 0n ? 0n : s > d ? d : s;
    e = e > d ? d : e;
  } else {
    s = s < -1n ? -1n : s > d - 1n ? d - 1n : s;
    e = e < -1n ? -1n : e;
  }
  const out: number[] = [];
  for (let i = s; step > 0n ? i < e : i > e; i += step) if (i >= 0n && i < d) out.push(Number(i));
  return out;
}

describe('Slice', () => {
  const bound = fc.oneof(fc.bigInt({ min: -6n, max: 6n }), fc.constantFrom(INT64_MIN, INT64_MAX, INT64_MIN + 1n));
  const stepArb = fc.oneof(
    fc.bigInt({ min: -3n, max: 3n }).filter((s) => s !== 0n), fc.constantFrom(INT64_MAX, INT64_MIN),
  );

  it('matches explicit index lists (clamping, negative steps, negative axes, INT64 extremes)', () => {
    fc.assert(fc.property(
      withTensor(dimsArb(4, 5, 1)).chain((x) => fc.tuple(
        fc.constant(x),
        fc.shuffledSubarray([...x.dims.keys()], { minLength: 1 }),
        fc.array(fc.tuple(bound, bound, stepArb, fc.boolean()), { minLength: 4, maxLength: 4 }),
        fc.boolean(),
      )),
      ([x, axes, specs, withSteps]) => {
        const r = x.dims.length;
        const sp = axes.map((_, i) => specs[i]!);
        const steps = sp.map((s) => (withSteps ? s[2] : 1n));
        const lists = x.dims.map((d) => [...Array(d).keys()]);
        axes.forEach((a, i) => { lists[a] = sliceIndices(x.dims[a]!, sp[i]![0], sp[i]![1], steps[i]!); });
        const inputs = [
          x, int64(sp.map((s) => s[0])), int64(sp.map((s) => s[1])),
          int64(axes.map((a, i) => (sp[i]![3] ? a - r : a))), withSteps ? int64(steps) : undefined,
        ];
        const [y] = runOp('Slice', 13, inputs);
        const outDims = lists.map((l) => l.length);
        expect(y!.dims).toEqual(outDims);
        expect(elements(y!)).toEqual(gatherRef(elements(x), x.dims, outDims, (c) => c.map((k, a) => lists[a]![k]!)));
      },
    ), { numRuns: 200 });
  });

  it('opset 1 attributes agree with opset 10 inputs', () => {
    fc.assert(fc.property(
      withTensor(dimsArb(3, 4, 1)).chain((x) => fc.tuple(fc.constant(x),
        fc.array(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: -5, max: 5 })),
          { minLength: x.dims.length, maxLength: x.dims.length }))),
      ([x, se]) => {
        const starts = se.map((s) => s[0]);
        const ends = se.map((s) => s[1]);
        const [a] = runOp('Slice', 1, [x], { starts, ends });
        const [b] = runOp('Slice', 10, [x, int64(starts), int64(ends)]);
        expect(a!.dims).toEqual(b!.dims);
        expect(elements(a!)).toEqual(elements(b!));
      },
    ), { numRuns: 60 });
  });

  it('rejects a zero step and repeated axes', () => {
    const x = new Tensor('float32', new Float32Array(4), [4]);
    expect(() => runOp('Slice', 13, [x, int64([0]), int64([4]), int64([0]), int64([0])])).toThrow(/step/);
    const m = new Tensor('float32', new Float32Array(4), [2, 2]);
    expect(() => runOp('Slice', 13, [m, int64([0, 0]), int64([1, 1]), int64([1, -1])])).toThrow(/repeated/);
  });
});

// ---- Tile ----

describe('Tile', () => {
  it('reads input coordinate (output coordinate mod dim)', () => {
    fc.assert(fc.property(
      withTensor(dimsArb(4, 3)).chain((x) => fc.tuple(fc.constant(x),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: x.dims.length, maxLength: x.dims.length }))),
      ([x, reps]) => {
        const [y] = runOp('Tile', 13, [x, int64(reps)]);
        const outDims = x.dims.map((d, i) => d * reps[i]!);
        expect(y!.dims).toEqual(outDims);
        expect(elements(y!)).toEqual(gatherRef(elements(x), x.dims, outDims, (c) => c.map((k, a) => k % x.dims[a]!)));
      },
    ), { numRuns: 150 });
  });
});

// ---- Pad ----

function padSource(j: number, n: number, mode: string): number | null {
  if (j >= 0 && j < n) return j;
  switch (mode) {
    case 'constant': return null;
    case 'edge': return j < 0 ? 0 : n - 1;
    case 'wrap': while (j < 0) j += n; while (j >= n) j -= n; return j;
    default: // reflect, mirrored about the edge elements, as often as needed
      if (n === 1) return 0;
      while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
      return j;
  }
}

describe('Pad', () => {
  it('matches a per-mode reference (opset 18 inputs, axes incl. negative, any type)', () => {
    fc.assert(fc.property(
      withTensor(dimsArb(3, 4, 1)).chain((x) => fc.tuple(
        fc.constant(x),
        fc.constantFrom('constant', 'reflect', 'edge', 'wrap'),
        fc.shuffledSubarray([...x.dims.keys()], { minLength: 1 }),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 2 * x.dims.length, maxLength: 2 * x.dims.length }),
        fc.boolean(),
      )),
      ([x, mode, axes, padsAll, useValue]) => {
        const r = x.dims.length;
        const pads = [...axes.map((_, i) => padsAll[i]!), ...axes.map((_, i) => padsAll[r + i]!)];
        const before = x.dims.map(() => 0);
        const after = x.dims.map(() => 0);
        axes.forEach((a, i) => { before[a] = pads[i]!; after[a] = pads[axes.length + i]!; });
        const outDims = x.dims.map((d, a) => d + before[a]! + after[a]!);
        const fill = useValue && mode === 'constant' ? x : undefined;
        const value = fill && fill.size > 0 ? new Tensor(x.type, x.data.slice(0, x.type === 'complex64' ? 2 : 1) as never, []) : undefined;
        const inputs = [x, int64(pads), value, int64(axes.map((a) => a - r))];
        const emptyPadded = mode !== 'constant' && x.dims.some((d, a) => d === 0 && before[a]! + after[a]! > 0);
        if (emptyPadded) {
          expect(() => runOp('Pad', 18, inputs, { mode })).toThrow(/empty/);
          return;
        }
        const [y] = runOp('Pad', 18, inputs, { mode });
        expect(y!.dims).toEqual(outDims);
        const zero = elements(Tensor.zeros(x.type, [1]))[0]!;
        const ref = gatherRef(elements(x), x.dims, outDims, (c) => {
          const src: number[] = [];
          for (let a = 0; a < r; a++) {
            const j = padSource(c[a]! - before[a]!, x.dims[a]!, mode);
            if (j === null) return null;
            src.push(j);
          }
          return src;
        }, value ? elements(value)[0] : zero);
        expect(elements(y!)).toEqual(ref);
      },
    ), { numRuns: 200 });
  });

  it('constant mode with negative pads crops (opset 11), opset 1/2 attributes agree', () => {
    fc.assert(fc.property(
      withTensor(dimsArb(3, 5, 1), ['float32', 'int64']).chain((x) => fc.tuple(fc.constant(x),
        fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 2 * x.dims.length, maxLength: 2 * x.dims.length }))),
      ([x, pads]) => {
        const r = x.dims.length;
        const outDims = x.dims.map((d, a) => d + pads[a]! + pads[r + a]!);
        if (outDims.some((d) => d < 0)) {
          expect(() => runOp('Pad', 11, [x, int64(pads)])).toThrow();
          return;
        }
        const [y] = runOp('Pad', 11, [x, int64(pads)]);
        const zero = elements(Tensor.zeros(x.type, [1]))[0]!;
        const ref = gatherRef(elements(x), x.dims, outDims, (c) => {
          const src = c.map((k, a) => k - pads[a]!);
          return src.every((j, a) => j >= 0 && j < x.dims[a]!) ? src : null;
        }, zero);
        expect(y!.dims).toEqual(outDims);
        expect(elements(y!)).toEqual(ref);
        if (x.type === 'float32') {
          const [z] = runOp('Pad', 2, [x], { pads });
          expect(elements(z!)).toEqual(ref);
          const [z1] = runOp('Pad', 1, [x], { paddings: pads });
          expect(elements(z1!)).toEqual(ref);
        }
      },
    ), { numRuns: 100 });
  });
});

// ---- Trilu ----

describe('Trilu', () => {
  it('keeps j - i >= k (upper) or j - i <= k (lower) and zeroes the rest', () => {
    fc.assert(fc.property(
      withTensor(dimsArb(4, 5, 2)),
      fc.oneof(fc.integer({ min: -6, max: 6 }), fc.constantFrom(-(2 ** 40), 2 ** 40)),
      fc.boolean(),
      (x, k, upper) => {
        const [y] = runOp('Trilu', 14, [x, int64([k], [])], { upper: upper ? 1 : 0 });
        const r = x.dims.length;
        const zero = elements(Tensor.zeros(x.type, [1]))[0]!;
        const xs = elements(x);
        const ref = xs.map((v, i) => {
          const c = unravel(i, x.dims);
          const d = c[r - 1]! - c[r - 2]!;
          return (upper ? d >= k : d <= k) ? v : zero;
        });
        expect(elements(y!)).toEqual(ref);
      },
    ), { numRuns: 150 });
  });
});

// ---- DepthToSpace / SpaceToDepth ----

describe('DepthToSpace and SpaceToDepth', () => {
  const arb = fc.tuple(
    fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }),
  ).chain(([n, c, b, h, w]) => fc.tuple(tensorArb([n, c * b * b, h, w]), fc.constant(b), fc.constantFrom('DCR', 'CRD')));

  it('DepthToSpace matches the formula for DCR and CRD', () => {
    fc.assert(fc.property(arb, ([x, b, mode]) => {
      const [n, c, h, w] = x.dims as [number, number, number, number];
      const c2 = c / (b * b);
      const [y] = runOp('DepthToSpace', 13, [x], { blocksize: b, mode });
      const outDims = [n, c2, h * b, w * b];
      expect(y!.dims).toEqual(outDims);
      expect(elements(y!)).toEqual(gatherRef(elements(x), x.dims, outDims, ([bn, cc, hh, ww]) => {
        const i = hh! % b;
        const j = ww! % b;
        const ch = mode === 'DCR' ? (i * b + j) * c2 + cc! : cc! * b * b + i * b + j;
        return [bn!, ch, Math.floor(hh! / b), Math.floor(ww! / b)];
      }));
    }), { numRuns: 80 });
  });

  it('SpaceToDepth inverts DepthToSpace (DCR)', () => {
    fc.assert(fc.property(arb, ([x, b]) => {
      const [y] = runOp('DepthToSpace', 13, [x], { blocksize: b });
      const [z] = runOp('SpaceToDepth', 13, [y!], { blocksize: b });
      expect(z!.dims).toEqual(x.dims);
      expect(elements(z!)).toEqual(elements(x));
    }), { numRuns: 60 });
  });
});

// ---- ReverseSequence ----

describe('ReverseSequence', () => {
  it('reverses the first lens[b] steps of each batch entry', () => {
    fc.assert(fc.property(
      withTensor(dimsArb(4, 4, 2)).chain((x) => fc.tuple(fc.constant(x), fc.boolean())).chain(([x, timeMajor]) => {
        const steps = x.dims[timeMajor ? 0 : 1]!;
        const batch = x.dims[timeMajor ? 1 : 0]!;
        return fc.tuple(fc.constant(x), fc.constant(timeMajor),
          fc.array(fc.integer({ min: 0, max: steps }), { minLength: batch, maxLength: batch }));
      }),
      ([x, timeMajor, lens]) => {
        const ta = timeMajor ? 0 : 1;
        const ba = 1 - ta;
        const [y] = runOp('ReverseSequence', 10, [x, int64(lens)], { time_axis: ta, batch_axis: ba });
        expect(elements(y!)).toEqual(gatherRef(elements(x), x.dims, x.dims, (c) => {
          const t = c[ta]!;
          const len = lens[c[ba]!]!;
          const src = [...c];
          if (t < len) src[ta] = len - 1 - t;
          return src;
        }));
      },
    ), { numRuns: 100 });
  });
});
