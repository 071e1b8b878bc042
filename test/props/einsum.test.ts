// Einsum against explicit nested-loop evaluation: enumerate every assignment of every label
// (letters and broadcast dims), multiply the operand elements it selects, and add the product
// into the output element its output labels select.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { einsumOps } from '../../ops/onnx/einsum.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';

function runEinsum(equation: string, inputs: Tensor[]): Tensor {
  const d = einsumOps[0]!;
  const map = new Map<string, Attribute>([
    ['equation', { type: 'string', value: equation, bytes: new TextEncoder().encode(equation) }],
  ]);
  const parsed = d.parse!(new Attrs(map), undefined as never);
  return d.run(inputs, parsed, undefined as unknown as OpContext)[0] as Tensor;
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

interface Operand {
  /** Letters before the ellipsis, the ellipsis rank (-1: no ellipsis), letters after. */
  readonly pre: string[];
  readonly ell: number;
  readonly post: string[];
}

interface Case {
  readonly letterSize: Record<string, number>;
  /** Broadcast dim sizes, outermost first. */
  readonly ellSizes: number[];
  readonly operands: Operand[];
  /** Broadcast-to-1 choices per operand and ellipsis dim. */
  readonly ones: boolean[][];
  /** null: implicit output. */
  readonly output: { pre: string[]; ell: boolean; post: string[] } | null;
  readonly data: number[][];
}

function term(op: { pre: string[]; ell: number | boolean; post: string[] }): string {
  const hasEll = typeof op.ell === 'boolean' ? op.ell : op.ell >= 0;
  return op.pre.join('') + (hasEll ? '...' : '') + op.post.join('');
}

/** Dims of operand k. */
function operandDims(c: Case, k: number): number[] {
  const op = c.operands[k]!;
  const ellDims = op.ell < 0 ? [] : c.ellSizes.slice(c.ellSizes.length - op.ell)
    .map((s, i) => (c.ones[k]![c.ellSizes.length - op.ell + i] ? 1 : s));
  return [...op.pre.map((l) => c.letterSize[l]!), ...ellDims, ...op.post.map((l) => c.letterSize[l]!)];
}

/** The reference: numpy's rules written out as loops. */
function reference(c: Case): { dims: number[]; data: number[] } {
  const letters = Object.keys(c.letterSize).filter((l) => c.operands.some((o) => o.pre.includes(l) || o.post.includes(l)));
  const E = c.ellSizes.length;
  const anyEll = c.operands.some((o) => o.ell >= 0);
  let outLetters: string[];
  let outEllAt = -1;
  if (c.output) {
    outLetters = [...c.output.pre, ...c.output.post];
    if (c.output.ell) outEllAt = c.output.pre.length;
  } else {
    const count: Record<string, number> = {};
    for (const o of c.operands) for (const l of [...o.pre, ...o.post]) count[l] = (count[l] ?? 0) + 1;
    outLetters = Object.keys(count).filter((l) => count[l] === 1).sort();
    if (anyEll) outEllAt = 0;
  }
  // Output dims: letters, with the broadcast dims (as many as the widest operand's ellipsis) at outEllAt.
  const ellRank = Math.max(0, ...c.operands.map((o) => o.ell));
  // A broadcast dim has its full size only if some operand holds it unbroadcast; else 1.
  const ellSizes = c.ellSizes.map((sz, gi) =>
    (c.operands.some((o, k) => o.ell >= 0 && gi >= E - o.ell && !c.ones[k]![gi]) ? sz : 1));
  const ellOut = outEllAt >= 0 ? ellSizes.slice(E - ellRank) : [];
  const outDims = [...outLetters.slice(0, Math.max(outEllAt, 0)).map((l) => c.letterSize[l]!), ...ellOut,
    ...outLetters.slice(Math.max(outEllAt, 0)).map((l) => c.letterSize[l]!)];
  if (outEllAt < 0) outDims.splice(0, outDims.length, ...outLetters.map((l) => c.letterSize[l]!));
  const out = new Array<number>(size(outDims)).fill(0);
  // Every assignment: letters then broadcast dims.
  const spaceDims = [...letters.map((l) => c.letterSize[l]!), ...ellSizes];
  for (let flat = 0; flat < size(spaceDims); flat++) {
    const assign: number[] = [];
    let f = flat;
    for (let d = spaceDims.length - 1; d >= 0; d--) {
      assign[d] = f % spaceDims[d]!;
      f = Math.floor(f / spaceDims[d]!);
    }
    const letterVal = (l: string) => assign[letters.indexOf(l)]!;
    const ellVal = (i: number) => assign[letters.length + i]!; // i: index into ellSizes
    // Ellipsis dims that are summed (not in the output) range fully; unused ones must stay at 0.
    let skip = false;
    for (let i = 0; i < E - ellRank; i++) if (ellVal(i) !== 0) skip = true;
    if (skip) continue;
    let p = 1;
    c.operands.forEach((op, k) => {
      const dims = operandDims(c, k);
      const idx = [...op.pre.map(letterVal)];
      for (let i = 0; i < Math.max(op.ell, 0); i++) {
        const gi = E - op.ell + i;
        idx.push(c.ones[k]![gi] ? 0 : ellVal(gi));
      }
      idx.push(...op.post.map(letterVal));
      let off = 0;
      for (let d = 0; d < dims.length; d++) off = off * dims[d]! + idx[d]!;
      p *= c.data[k]![off]!;
    });
    const oIdx = [...outLetters.slice(0, Math.max(outEllAt, 0)).map(letterVal)];
    if (outEllAt >= 0) for (let i = E - ellRank; i < E; i++) oIdx.push(ellVal(i));
    oIdx.push(...outLetters.slice(Math.max(outEllAt, 0)).map(letterVal));
    if (outEllAt < 0) oIdx.splice(0, oIdx.length, ...outLetters.map(letterVal));
    let o = 0;
    for (let d = 0; d < outDims.length; d++) o = o * outDims[d]! + oIdx[d]!;
    out[o] = out[o]! + p;
  }
  return { dims: outDims, data: out };
}

const POOL = ['a', 'b', 'c', 'd', 'E'];

const caseArb: fc.Arbitrary<Case> = fc.record({
  sizes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 5, maxLength: 5 }),
  ellSizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 }),
  nOps: fc.integer({ min: 1, max: 3 }),
  seed: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
  implicit: fc.boolean(),
}).chain(({ sizes, ellSizes, nOps, seed, implicit }) => {
  let s = 0;
  const next = (m: number) => seed[s++ % seed.length]! % m;
  const letterSize: Record<string, number> = {};
  POOL.forEach((l, i) => { letterSize[l] = sizes[i]!; });
  const E = ellSizes.length;
  const operands: Operand[] = [];
  const ones: boolean[][] = [];
  for (let k = 0; k < nOps; k++) {
    const pick = () => Array.from({ length: next(3) }, () => POOL[next(POOL.length)]!);
    const ell = E > 0 && next(2) === 0 ? next(E + 1) : -1;
    operands.push({ pre: pick(), ell, post: ell >= 0 ? pick() : [] });
    ones.push(Array.from({ length: E }, () => next(3) === 0));
  }
  const used = [...new Set(operands.flatMap((o) => [...o.pre, ...o.post]))];
  const anyEll = operands.some((o) => o.ell >= 0);
  const outLetters = used.filter(() => next(2) === 0);
  for (let i = outLetters.length - 1; i > 0; i--) {
    const j = next(i + 1);
    [outLetters[i], outLetters[j]] = [outLetters[j]!, outLetters[i]!];
  }
  const cut = next(outLetters.length + 1);
  const output = implicit ? null : { pre: outLetters.slice(0, cut), ell: anyEll, post: outLetters.slice(cut) };
  const partial: Omit<Case, 'data'> = { letterSize, ellSizes, operands, ones, output };
  const dimsPer = operands.map((_, k) => operandDims(partial as Case, k));
  return fc.tuple(...dimsPer.map((d) => fc.array(fc.integer({ min: -5, max: 5 }), { minLength: size(d), maxLength: size(d) })))
    .map((data) => ({ ...partial, data: data as number[][] }));
});

function equationOf(c: Case): string {
  const lhs = c.operands.map(term).join(',');
  return c.output ? `${lhs}->${term(c.output)}` : lhs;
}

describe('Einsum vs nested-loop evaluation', () => {
  it('random equations: diagonals, transposes, sums, broadcast ellipsis, implicit output (float64, int32, int64)', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom('float64', 'int32', 'int64'), (c, type) => {
        const eq = equationOf(c);
        const inputs = c.data.map((d, k) => {
          const dims = operandDims(c, k);
          if (type === 'float64') return new Tensor('float64', Float64Array.from(d), dims);
          if (type === 'int32') return new Tensor('int32', Int32Array.from(d), dims);
          return new Tensor('int64', d.map(BigInt), dims);
        });
        const ref = reference(c);
        const y = runEinsum(eq, inputs);
        expect(y.dims, eq).toEqual(ref.dims);
        expect(Array.from(y.data as Float64Array | Int32Array | BigInt64Array, Number), eq).toEqual(ref.data.map((v) => v + 0));
      }),
      { numRuns: 300 },
    );
  });

  it('float32 batch matmul with extremes matches the loop (within float32 rounding)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }), fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 27, maxLength: 27 }),
        (b, m, k, n, pool) => {
          const A = Float32Array.from({ length: b * m * k }, (_, i) => pool[i % 27]!);
          const B = Float32Array.from({ length: b * k * n }, (_, i) => pool[(i * 7) % 27]!);
          const y = runEinsum(' bij , bjk -> bik ', [new Tensor('float32', A, [b, m, k]), new Tensor('float32', B, [b, k, n])]);
          expect(y.dims).toEqual([b, m, n]);
          for (let p = 0; p < b; p++) for (let i = 0; i < m; i++) for (let q = 0; q < n; q++) {
            let s = 0;
            for (let j = 0; j < k; j++) s += A[(p * m + i) * k + j]! * B[(p * k + j) * n + q]!;
            expect(Math.abs((y.data as Float32Array)[(p * m + i) * n + q]! - s)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(s)));
          }
        }),
      { numRuns: 100 },
    );
  });

  it('rejects malformed equations and mismatched sizes', () => {
    const x = new Tensor('float32', new Float32Array(6), [2, 3]);
    expect(() => runEinsum('ij->k', [x])).toThrow(/'k' does not appear/);
    expect(() => runEinsum('ii', [x])).toThrow(/label 'i' has sizes 2 and 3/);
    expect(() => runEinsum('ijk', [x])).toThrow(/rank 2/);
    expect(() => runEinsum('i.j', [x])).toThrow(/ellipsis/);
    expect(() => runEinsum('ij,jk', [x])).toThrow(/2 input terms/);
  });
});
