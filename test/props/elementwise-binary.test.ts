// Elementwise binary / variadic ops against plain references: numpy broadcasting done by
// decoding every output index, integer arithmetic done exactly in BigInt and then wrapped.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { broadcastCopy, broadcastPlan } from '../../kernels/elementwise-binary-plan.js';
import { float16BitsToNumber, numberToFloat16Bits } from '../../kernels/float16.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { elementwiseBinaryOps } from '../../ops/onnx/elementwise-binary.js';
import type { DataType } from '../../src/dtypes.js';
import type { Attribute, Node } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';

// ------------------------------------------------------------------ running ops

function runOp(
  name: string, inputs: (Tensor | undefined)[], attrs: Record<string, Attribute> = {}, opset = 22,
): Tensor {
  const defs = elementwiseBinaryOps.filter((d) => d.name === name && d.since <= opset);
  if (defs.length === 0) throw new Error(`no definition of ${name} at opset ${opset}`);
  const def = defs.reduce((a, b) => (b.since > a.since ? b : a));
  const node = { name: 't', domain: '', opType: name, inputs: [], outputs: ['y'], attributes: new Map() } as Node;
  const parsed = def.parse ? def.parse(new Attrs(new Map(Object.entries(attrs))), node) : undefined;
  const ctx: OpContext = { node, opset, runSubgraph: () => { throw new Error('no subgraphs'); } };
  return def.run(inputs, parsed, ctx)[0] as Tensor;
}

const int = (value: number): Attribute => ({ type: 'int', value });
const str = (value: string): Attribute => ({ type: 'string', value, bytes: new TextEncoder().encode(value) });

// ------------------------------------------------------------------ references

function size(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** numpy broadcast shape, written out plainly. */
function refBroadcastShape(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      const v = k >= 0 ? s[k]! : 1;
      if (v !== 1) d = v;
    }
    out.push(d);
  }
  return out;
}

/** Flat index into an input of shape `dims` for output flat index `flat` of shape `out`. */
function sourceIndex(flat: number, out: readonly number[], dims: readonly number[]): number {
  const idx: number[] = new Array(out.length).fill(0);
  for (let i = out.length - 1; i >= 0; i--) {
    idx[i] = flat % out[i]!;
    flat = Math.floor(flat / out[i]!);
  }
  let src = 0;
  for (let i = 0; i < dims.length; i++) {
    const k = out.length - dims.length + i;
    src = src * dims[i]! + (dims[i] === 1 ? 0 : idx[k]!);
  }
  return src;
}

type Scalar = number | bigint | string;

/** Reference elementwise map with broadcasting. */
function refMap(
  inputs: readonly Tensor[], f: (...xs: Scalar[]) => Scalar,
): { dims: number[]; values: Scalar[] } {
  const dims = refBroadcastShape(inputs.map((t) => t.dims));
  const values: Scalar[] = [];
  for (let i = 0; i < size(dims); i++) {
    values.push(f(...inputs.map((t) => readScalar(t, sourceIndex(i, dims, t.dims)))));
  }
  return { dims, values };
}

function readScalar(t: Tensor, i: number): Scalar {
  const v = (t.data as ArrayLike<Scalar>)[i]!;
  return t.type === 'float16' ? float16BitsToNumber(v as number) : v;
}

const INT_TYPES: Record<string, { bits: number; signed: boolean }> = {
  int8: { bits: 8, signed: true }, uint8: { bits: 8, signed: false },
  int16: { bits: 16, signed: true }, uint16: { bits: 16, signed: false },
  int32: { bits: 32, signed: true }, uint32: { bits: 32, signed: false },
  int64: { bits: 64, signed: true }, uint64: { bits: 64, signed: false },
};

function wrap(type: DataType, v: bigint): bigint {
  const { bits, signed } = INT_TYPES[type]!;
  return signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
}

/** Rounds a double result to the storage precision of a float type. */
function roundTo(type: DataType, v: number): number {
  if (type === 'float32') return Math.fround(v);
  if (type === 'float16') return float16BitsToNumber(numberToFloat16Bits(Math.fround(v)));
  return v;
}

/** Compares an op's output tensor to reference values. */
function expectValues(t: Tensor, type: DataType, dims: number[], values: Scalar[]): void {
  expect(t.type).toBe(type);
  expect([...t.dims]).toEqual(dims);
  for (let i = 0; i < values.length; i++) {
    const got = readScalar(t, i);
    const want = values[i]!;
    const same = typeof got === 'number' && typeof want === 'number'
      ? got === want || (Number.isNaN(got) && Number.isNaN(want))
      : got === (typeof got === 'bigint' && typeof want === 'number' ? BigInt(want) : want);
    if (!same) {
      throw new Error(`element ${i}: got ${String(got)}, want ${String(want)} (dims [${dims.join(', ')}])`);
    }
  }
}

// ------------------------------------------------------------------ arbitraries

const FLOATS: DataType[] = ['float32', 'float64', 'float16'];
const INTS: DataType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'];
const UINTS: DataType[] = ['uint8', 'uint16', 'uint32', 'uint64'];

const dimArb = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 3 }), weight: 8 }, { arbitrary: fc.constant(0), weight: 1 });

/** `count` shapes that broadcast together: suffixes of one shape with some dims set to 1. */
function shapesArb(count: number): fc.Arbitrary<number[][]> {
  return fc.array(dimArb, { maxLength: 4 }).chain((out) => {
    const one = fc.tuple(
      fc.integer({ min: 0, max: out.length }),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
    ).map(([k, ones]) => out.slice(out.length - k).map((d, i) => (ones[out.length - k + i] ? 1 : d)));
    return fc.tuple(...new Array(count).fill(one)) as fc.Arbitrary<number[][]>;
  });
}

function floatValueArb(): fc.Arbitrary<number> {
  return fc.oneof(
    { arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }), weight: 4 },
    { arbitrary: fc.constantFrom(0, -0, 1, -1, 2, 0.5, 1e3, -1e3, Infinity, -Infinity, NaN), weight: 2 },
  );
}

function intValueArb(type: DataType): fc.Arbitrary<bigint> {
  const { bits, signed } = INT_TYPES[type]!;
  const min = signed ? -(2n ** BigInt(bits - 1)) : 0n;
  const max = signed ? 2n ** BigInt(bits - 1) - 1n : 2n ** BigInt(bits) - 1n;
  return fc.oneof(
    { arbitrary: fc.bigInt({ min, max }), weight: 3 },
    { arbitrary: fc.bigInt({ min: signed ? -5n : 0n, max: 5n }), weight: 2 },
    { arbitrary: fc.constantFrom(min, max, 0n, 1n), weight: 1 },
  );
}

/** A tensor of `type` and `dims` with arbitrary values. */
function tensorArb(type: DataType, dims: number[], values?: fc.Arbitrary<Scalar>): fc.Arbitrary<Tensor> {
  const n = size(dims);
  let arb: fc.Arbitrary<Scalar>;
  if (values) arb = values;
  else if (type === 'bool') arb = fc.constantFrom(0, 1);
  else if (type === 'string') arb = fc.constantFrom('', 'a', 'b', 'ab');
  else if (INT_TYPES[type]) arb = intValueArb(type);
  else arb = floatValueArb();
  return fc.array(arb, { minLength: n, maxLength: n }).map((vs) => makeTensor(type, vs, dims));
}

function makeTensor(type: DataType, vs: Scalar[], dims: number[]): Tensor {
  if (type === 'float16') return new Tensor('float16', Uint16Array.from(vs, (v) => numberToFloat16Bits(Number(v))), dims);
  if (type === 'int64' || type === 'uint64') return new Tensor(type, vs.map((v) => BigInt(v)), dims);
  if (type === 'string') return new Tensor('string', vs as string[], dims);
  return new Tensor(type, vs.map((v) => Number(v)), dims);
}

/** `count` broadcast-compatible tensors of one type. */
function operandsArb(types: DataType[], count: number): fc.Arbitrary<{ type: DataType; ts: Tensor[] }> {
  return fc.tuple(fc.constantFrom(...types), shapesArb(count)).chain(([type, shapes]) =>
    fc.tuple(...shapes.map((s) => tensorArb(type, s))).map((ts) => ({ type, ts })));
}

const RUNS = { numRuns: 150 };

// ------------------------------------------------------------------ properties

describe('broadcast plan', () => {
  it('broadcastCopy reads every output element from the numpy source index', () => {
    fc.assert(fc.property(shapesArb(3), ([a, b, c]) => {
      const out = refBroadcastShape([a!, b!, c!]);
      for (const dims of [a!, b!, c!]) {
        const src = Array.from({ length: size(dims) }, (_, i) => i);
        const dst = new Array<number>(size(out)).fill(-1);
        broadcastCopy(src, dst, broadcastPlan([dims], out));
        for (let i = 0; i < dst.length; i++) expect(dst[i]).toBe(sourceIndex(i, out, dims));
      }
    }), { numRuns: 300 });
  });

  it('same-shape and scalar operands collapse to one row (the fast path)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 5 }), fc.boolean(), (dims, scalar) => {
      const other = scalar ? [] : dims;
      const plan = broadcastPlan([dims, other], dims);
      expect(plan.rows).toBe(1);
      expect(plan.inner).toBe(size(dims));
      expect(plan.steps).toEqual(scalar && size(dims) > 1 ? [1, 0] : [1, 1]);
    }));
  });
});

/** Exact reference of integer arithmetic, on BigInts. */
function refInt(op: string, x: bigint, y: bigint): bigint {
  switch (op) {
    case 'Add': return x + y;
    case 'Sub': return x - y;
    case 'Mul': return x * y;
    case 'Div': return y === 0n ? 0n : x / y; // BigInt division truncates toward zero
    default: throw new Error(op);
  }
}

function refFloat(op: string, x: number, y: number): number {
  switch (op) {
    case 'Add': return x + y;
    case 'Sub': return x - y;
    case 'Mul': return x * y;
    case 'Div': return x / y;
    default: throw new Error(op);
  }
}

describe('Add / Sub / Mul / Div', () => {
  it('match exact arithmetic (ints wrap, int division truncates, int x / 0 raises)', () => {
    fc.assert(fc.property(
      fc.constantFrom('Add', 'Sub', 'Mul', 'Div'), operandsArb([...FLOATS, ...INTS], 2),
      (op, { type, ts }) => {
        const ref = refMap(ts, (x, y) => (INT_TYPES[type]
          ? wrap(type, refInt(op, BigInt(x), BigInt(y)))
          : roundTo(type, refFloat(op, x as number, y as number))));
        if (op === 'Div' && INT_TYPES[type] && ref.values.length > 0 && ts[1]!.toNumbers().includes(0)) {
          expect(() => runOp(op, ts)).toThrow(/Div: integer division by zero/);
          return;
        }
        const is64 = type === 'int64' || type === 'uint64';
        expectValues(runOp(op, ts), type, ref.dims, ref.values.map((v) => (typeof v === 'bigint' && !is64 ? Number(v) : v)));
      },
    ), { numRuns: 400 });
  });

  it('rejects shapes that do not broadcast and mixed types', () => {
    const a = new Tensor('float32', [1, 2, 3], [3]);
    expect(() => runOp('Add', [a, new Tensor('float32', [1, 2], [2])])).toThrow(/do not broadcast/);
    expect(() => runOp('Mul', [a, new Tensor('int32', [1, 2, 3], [3])])).toThrow(/type int32/);
    expect(() => runOp('Add', [new Tensor('bool', [1], [1]), new Tensor('bool', [1], [1])])).toThrow(/numeric/);
  });

  it('opset 6 broadcast=1 with axis aligns B at the axis', () => {
    const a = new Tensor('float32', Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
    const b = new Tensor('float32', [100, 200, 300], [3]);
    const y = runOp('Add', [a, b], { broadcast: int(1), axis: int(1) }, 6);
    const ref = refMap([a, new Tensor('float32', [100, 200, 300], [3, 1])], (x, z) => (x as number) + (z as number));
    expectValues(y, 'float32', ref.dims, ref.values);
  });
});

describe('Mod', () => {
  /** Python / numpy remainder from floor division, in BigInt. */
  const pyMod = (x: bigint, y: bigint): bigint => {
    if (y === 0n) return 0n;
    let q = x / y;
    if ((x % y !== 0n) && ((x < 0n) !== (y < 0n))) q -= 1n;
    return x - q * y;
  };
  it('fmod=0 on integers has the sign of the divisor; fmod=1 the sign of the dividend; x % 0 raises', () => {
    fc.assert(fc.property(fc.constantFrom(0, 1), operandsArb(INTS, 2), (fmod, { type, ts }) => {
      const ref = refMap(ts, (x, y) => {
        const a = BigInt(x);
        const b = BigInt(y);
        const r = fmod ? (b === 0n ? 0n : a - (a / b) * b) : pyMod(a, b);
        return type === 'int64' || type === 'uint64' ? wrap(type, r) : Number(r);
      });
      if (ref.values.length > 0 && ts[1]!.toNumbers().includes(0)) {
        expect(() => runOp('Mod', ts, { fmod: int(fmod) })).toThrow(/Mod: integer division by zero/);
        return;
      }
      expectValues(runOp('Mod', ts, { fmod: int(fmod) }), type, ref.dims, ref.values);
    }), RUNS);
  });

  it('fmod=1 on floats is C fmod', () => {
    fc.assert(fc.property(operandsArb(FLOATS, 2), ({ type, ts }) => {
      const ref = refMap(ts, (x, y) => {
        const a = x as number;
        const b = y as number;
        if (!Number.isFinite(a) || Number.isNaN(b) || b === 0) return NaN;
        if (!Number.isFinite(b)) return a;
        // JS % is defined as C fmod (exact, sign of the dividend).
        return roundTo(type, a % b);
      });
      expectValues(runOp('Mod', ts, { fmod: int(1) }), type, ref.dims, ref.values);
    }), RUNS);
    expect(runOp('Mod', [new Tensor('float32', [-5.5, 5.5], [2]), new Tensor('float32', [2, -2], [2])], { fmod: int(1) })
      .toNumbers()).toEqual([-1.5, 1.5]);
    expect(() => runOp('Mod', [new Tensor('float32', [1], [1]), new Tensor('float32', [1], [1])])).toThrow(/fmod must be 1/);
  });
});

describe('Min / Max / Sum / Mean', () => {
  const nanMin = (x: number, y: number): number => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x < y ? x : y);
  const nanMax = (x: number, y: number): number => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x > y ? x : y);
  it('fold 1..4 broadcast inputs; Min/Max propagate NaN', () => {
    const caseArb = fc.tuple(fc.constantFrom('Min', 'Max', 'Sum', 'Mean'), fc.integer({ min: 1, max: 4 }))
      .chain(([op, count]) => operandsArb(op === 'Mean' ? FLOATS : [...FLOATS, ...INTS], count).map((o) => ({ op, ...o })));
    fc.assert(fc.property(
      caseArb,
      ({ op, type, ts }) => {
        const isInt = !!INT_TYPES[type];
        const ref = refMap(ts, (...xs) => {
          if (isInt) {
            const bs = xs.map((x) => BigInt(x));
            let r = bs[0]!;
            for (const b of bs.slice(1)) r = op === 'Min' ? (b < r ? b : r) : op === 'Max' ? (b > r ? b : r) : r + b;
            r = wrap(type, r);
            return type === 'int64' || type === 'uint64' ? r : Number(r);
          }
          // Accumulate with rounding at each step in the compute type (float32 for halves, rounded at the end).
          let r = xs[0] as number;
          for (const x of xs.slice(1)) {
            const v = x as number;
            r = op === 'Min' ? nanMin(r, v) : op === 'Max' ? nanMax(r, v) : roundTo(type === 'float16' ? 'float32' : type, r + v);
          }
          if (op === 'Mean' && xs.length > 1) r = roundTo(type === 'float16' ? 'float32' : type, r / xs.length);
          return roundTo(type, r);
        });
        expectValues(runOp(op, ts), type, ref.dims, ref.values);
      },
    ), RUNS);
  });

  it('Max of [-1000, -1000] and NaN', () => {
    const a = new Tensor('float32', [-1000, NaN, 3], [3]);
    const b = new Tensor('float32', [-1000, 1, NaN], [3]);
    expect(runOp('Max', [a, b]).toNumbers()).toEqual([-1000, NaN, NaN]);
    expect(runOp('Min', [a, b]).toNumbers()).toEqual([-1000, NaN, NaN]);
  });
});

describe('comparisons', () => {
  it('Equal / Less / Greater / LessOrEqual / GreaterOrEqual give bool, NaN compares false', () => {
    fc.assert(fc.property(
      fc.constantFrom('Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual'),
      operandsArb([...FLOATS, ...INTS, 'bool'], 2),
      (op, { ts }) => {
        const ref = refMap(ts, (x, y) => {
          const c = op === 'Equal' ? x === y : op === 'Less' ? x < y : op === 'Greater' ? x > y
            : op === 'LessOrEqual' ? x <= y : x >= y;
          return c ? 1 : 0;
        });
        expectValues(runOp(op, ts), 'bool', ref.dims, ref.values);
      },
    ), RUNS);
  });

  it('Equal on strings', () => {
    fc.assert(fc.property(operandsArb(['string'], 2), ({ ts }) => {
      const ref = refMap(ts, (x, y) => (x === y ? 1 : 0));
      expectValues(runOp('Equal', ts), 'bool', ref.dims, ref.values);
    }), RUNS);
  });
});

describe('logical and bitwise', () => {
  it('And / Or / Xor on bool', () => {
    fc.assert(fc.property(fc.constantFrom('And', 'Or', 'Xor'), operandsArb(['bool'], 2), (op, { ts }) => {
      const ref = refMap(ts, (x, y) => {
        const a = x === 1;
        const b = y === 1;
        return (op === 'And' ? a && b : op === 'Or' ? a || b : a !== b) ? 1 : 0;
      });
      expectValues(runOp(op, ts), 'bool', ref.dims, ref.values);
    }), RUNS);
  });

  it('BitwiseAnd / Or / Xor / Not on integers', () => {
    fc.assert(fc.property(
      fc.constantFrom('BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot'), operandsArb(INTS, 2),
      (op, { type, ts }) => {
        const inputs = op === 'BitwiseNot' ? ts.slice(0, 1) : ts;
        const ref = refMap(inputs, (x, y) => {
          const a = BigInt(x);
          const r = op === 'BitwiseNot' ? ~a : op === 'BitwiseAnd' ? a & BigInt(y!)
            : op === 'BitwiseOr' ? a | BigInt(y!) : a ^ BigInt(y!);
          const w = wrap(type, r);
          return type === 'int64' || type === 'uint64' ? w : Number(w);
        });
        expectValues(runOp(op, inputs), type, ref.dims, ref.values);
      },
    ), RUNS);
  });

  it('BitShift LEFT / RIGHT on unsigned types; shifts past the width give 0', () => {
    const shiftArb = (type: DataType): fc.Arbitrary<Scalar> => fc.bigInt({ min: 0n, max: BigInt(INT_TYPES[type]!.bits + 3) });
    const caseArb = fc.tuple(fc.constantFrom('LEFT', 'RIGHT'), fc.constantFrom(...UINTS), shapesArb(2))
      .chain(([dir, type, [sa, sb]]) => fc.tuple(tensorArb(type, sa!), tensorArb(type, sb!, shiftArb(type)))
        .map(([a, b]) => ({ dir, type, a, b })));
    fc.assert(fc.property(
      caseArb,
      ({ dir, type, a, b }) => {
        const bits = BigInt(INT_TYPES[type]!.bits);
        const ref = refMap([a, b], (x, y) => {
          const s = BigInt(y);
          const r = s >= bits ? 0n : dir === 'LEFT' ? wrap(type, BigInt(x) << s) : BigInt(x) >> s;
          return type === 'uint64' ? r : Number(r);
        });
        expectValues(runOp('BitShift', [a, b], { direction: str(dir) }), type, ref.dims, ref.values);
      },
    ), RUNS);
  });
});

describe('Pow', () => {
  it('integer base and exponent: exact power, wrapped', () => {
    const expArb = fc.bigInt({ min: 0n, max: 40n });
    const caseArb = fc.tuple(
      fc.constantFrom<DataType>('int32', 'int64', 'uint8', 'int16'), fc.constantFrom<DataType>('int32', 'int64'), shapesArb(2),
    ).chain(([bt, et, [sa, sb]]) => fc.tuple(tensorArb(bt, sa!), tensorArb(et, sb!, expArb)).map(([a, b]) => ({ bt, a, b })));
    fc.assert(fc.property(
      caseArb,
      ({ bt, a, b }) => {
        const ref = refMap([a, b], (x, y) => {
          let r = 1n;
          for (let k = 0n; k < BigInt(y); k++) r = wrap(bt, r * BigInt(x));
          return bt === 'int64' ? r : Number(r);
        });
        expectValues(runOp('Pow', [a, b]), bt, ref.dims, ref.values);
      },
    ), RUNS);
  });

  it('float base with float or integer exponent, result in the base type', () => {
    const caseArb = fc.tuple(
      fc.constantFrom<DataType>(...FLOATS), fc.constantFrom<DataType>('float32', 'float64', 'int32', 'int64'), shapesArb(2),
    ).chain(([bt, et, [sa, sb]]) => {
      const expArb = INT_TYPES[et] ? fc.bigInt({ min: -4n, max: 4n }) : undefined;
      return fc.tuple(tensorArb(bt, sa!), tensorArb(et, sb!, expArb)).map(([a, b]) => ({ bt, a, b }));
    });
    fc.assert(fc.property(
      caseArb,
      ({ bt, a, b }) => {
        const ref = refMap([a, b], (x, y) => {
          const base = x as number;
          const e = Number(y);
          // C pow: pow(1, anything) = 1, pow(-1, ±inf) = 1, pow(anything, 0) = 1.
          if (base === 1 || e === 0) return 1;
          if (base === -1 && !Number.isFinite(e) && !Number.isNaN(e)) return 1;
          return roundTo(bt, Math.pow(base, e));
        });
        expectValues(runOp('Pow', [a, b]), bt, ref.dims, ref.values);
      },
    ), RUNS);
  });

  it('follows C pow where JS differs: pow(1, NaN) = 1, pow(-1, ±Inf) = 1', () => {
    for (const type of FLOATS) {
      const a = makeTensor(type, [1, -1, -1, NaN, 2], [5]);
      const b = makeTensor(type, [NaN, Infinity, -Infinity, 0, NaN], [5]);
      expect(runOp('Pow', [a, b]).type).toBe(type);
      expectValues(runOp('Pow', [a, b]), type, [5], [1, 1, 1, 1, NaN]);
    }
  });

  it('integer base with float exponent truncates toward zero', () => {
    const y = runOp('Pow', [new Tensor('int32', [2, 3, -2, 9], [4]), new Tensor('float32', [0.5, 2, 3, 0.5], [4])]);
    expect(y.type).toBe('int32');
    expect(y.toNumbers()).toEqual([1, 9, -8, 3]);
  });
});

describe('Where', () => {
  it('selects with three-way broadcasting for any type', () => {
    const caseArb = fc.tuple(
      fc.constantFrom<DataType>('float32', 'float16', 'int8', 'int64', 'uint32', 'bool', 'string'), shapesArb(3),
    ).chain(([type, [sc, sx, sy]]) => fc.tuple(tensorArb('bool', sc!), tensorArb(type, sx!), tensorArb(type, sy!))
      .map(([c, x, y]) => ({ type, c, x, y })));
    fc.assert(fc.property(
      caseArb,
      ({ type, c, x, y }) => {
        const ref = refMap([c, x, y], (k, a, b) => (k === 1 ? a : b));
        expectValues(runOp('Where', [c, x, y]), type, ref.dims, ref.values);
      },
    ), RUNS);
    expect(() => runOp('Where', [new Tensor('int32', [1], [1]), new Tensor('float32', [1], [1]), new Tensor('float32', [1], [1])]))
      .toThrow(/condition has type int32/);
  });
});

describe('PRelu', () => {
  it('slope broadcasts unidirectionally to X', () => {
    // The slope shape is a suffix of X's with some dims set to 1.
    const caseArb = fc.tuple(fc.constantFrom<DataType>('float32', 'float64', 'float16', 'int32', 'int64'), shapesArb(1))
      .chain(([type, [sx]]) => fc.tuple(
        fc.integer({ min: 0, max: sx!.length }), fc.array(fc.boolean(), { minLength: sx!.length, maxLength: sx!.length }),
      )
        .map(([k, ones]) => sx!.slice(sx!.length - k).map((d, i) => (ones[sx!.length - k + i] ? 1 : d)))
        .chain((ss) => fc.tuple(tensorArb(type, sx!), tensorArb(type, ss)))
        .map(([x, s]) => ({ type, x, s })));
    fc.assert(fc.property(
      caseArb,
      ({ type, x, s }) => {
        const ref = refMap([x, s], (a, b) => {
          if (INT_TYPES[type]) {
            const r = BigInt(a) < 0n ? wrap(type, BigInt(a) * BigInt(b)) : BigInt(a);
            return type === 'int64' ? r : Number(r);
          }
          return (a as number) < 0 ? roundTo(type, (a as number) * (b as number)) : a;
        });
        expectValues(runOp('PRelu', [x, s]), type, ref.dims, ref.values);
      },
    ), RUNS);
    expect(() => runOp('PRelu', [new Tensor('float32', [1, 2], [2]), new Tensor('float32', [1, 2, 3, 4], [2, 2])]))
      .toThrow(/does not broadcast to X/);
  });
});
