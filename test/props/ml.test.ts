// ai.onnx.ml kernels and ops: property tests against plain references. The scikit-learn
// reference models are in test/unit/sklearn-models.test.ts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linearScores } from '../../kernels/ml-linear.js';
import { PostTransform, logistic, postTransformRows, probit } from '../../kernels/ml-post-transform.js';
import { vectorizeMaps } from '../../kernels/ml-maps.js';
import { NormKind, imputeFloat, normalizeRows, scaleColumns } from '../../kernels/ml-preprocess.js';
import { SvmKernel, kernelMatrix, svmOneVsOne } from '../../kernels/svm.js';
import { type FlatEnsemble, scoreEnsemble, validateEnsemble } from '../../kernels/tree-ensemble.js';
import { InferenceSession, Tensor } from '../../src/index.js';
import { type AttrSpec, writeModel } from '../helpers/onnx-writer.js';
import { FLOAT, INT64, runMlNode } from '../helpers/sklearn-onnx.js';

// ---- property tests against plain references ----

const extreme = fc.oneof(
  fc.double({ min: -1e3, max: 1e3, noNaN: true }),
  fc.constantFrom(0, -0, 1e3, -1e3, Infinity, -Infinity, NaN),
);

/** A random tree as nested objects (the reference walks it recursively). */
type RefNode = { leaf: number } | { feature: number; mode: number; t: number; missingTrue: boolean; yes: RefNode; no: RefNode; set: number[] };

function refTree(depth: number, nFeatures: number): fc.Arbitrary<RefNode> {
  const leaf = fc.nat(1000).map((i) => ({ leaf: i }));
  if (depth === 0) return leaf;
  return fc.oneof(
    { weight: 1, arbitrary: leaf },
    {
      weight: 3,
      arbitrary: fc.record({
        feature: fc.nat(nFeatures - 1), mode: fc.nat(6), t: fc.constantFrom(-1, 0, 0.5, 2, 1e3),
        missingTrue: fc.boolean(), yes: refTree(depth - 1, nFeatures), no: refTree(depth - 1, nFeatures),
        set: fc.array(fc.constantFrom(-1, 0, 0.5, 2), { maxLength: 3 }),
      }),
    },
  );
}

function refLeaf(n: RefNode, x: number[]): number {
  if ('leaf' in n) return n.leaf;
  const v = x[n.feature]!;
  let go: boolean;
  if (Number.isNaN(v)) go = n.missingTrue;
  else go = [v <= n.t, v < n.t, v >= n.t, v > n.t, v === n.t, v !== n.t, n.set.includes(v)][n.mode]!;
  return refLeaf(go ? n.yes : n.no, x);
}

/** Flattens reference trees; leaf l of the flat form holds (target l % nTargets, weight = leaf id + 1). */
function flatten(trees: RefNode[], nTargets: number): { e: FlatEnsemble; leafIds: number[] } {
  const feature: number[] = [], mode: number[] = [], threshold: number[] = [], yes: number[] = [], no: number[] = [];
  const miss: number[] = [], setStart: number[] = [], setValues: number[] = [], leafIds: number[] = [], roots: number[] = [];
  const visit = (n: RefNode): number => {
    if ('leaf' in n) { leafIds.push(n.leaf); return ~(leafIds.length - 1); }
    const k = feature.length;
    feature.push(n.feature); mode.push(n.mode); threshold.push(n.t); miss.push(n.missingTrue ? 1 : 0);
    setStart.push(setValues.length); setValues.push(...(n.mode === 6 ? n.set : []));
    yes.push(0); no.push(0);
    yes[k] = visit(n.yes);
    no[k] = visit(n.no);
    return k;
  };
  for (const t of trees) roots.push(visit(t));
  // setStart must be indexed by node; nodes were numbered in visit order, set values pushed then.
  setStart.push(setValues.length);
  const nLeaves = leafIds.length;
  return {
    leafIds,
    e: {
      feature: Int32Array.from(feature), mode: Uint8Array.from(mode), threshold: Float64Array.from(threshold),
      trueChild: Int32Array.from(yes), falseChild: Int32Array.from(no), missingTrue: Uint8Array.from(miss),
      setStart: Int32Array.from(setStart), setValues: Float64Array.from(setValues),
      leafStart: Int32Array.from({ length: nLeaves + 1 }, (_, i) => i),
      leafTargets: Int32Array.from(leafIds, (id) => id % nTargets), leafWeights: Float64Array.from(leafIds, (id) => id + 1),
      roots: Int32Array.from(roots),
    },
  };
}

describe('tree ensemble kernel', () => {
  it('matches a recursive walk for every mode, NaN routing and aggregate', () => {
    fc.assert(fc.property(
      fc.array(refTree(4, 3), { minLength: 1, maxLength: 4 }), fc.array(fc.array(extreme, { minLength: 3, maxLength: 3 }), { maxLength: 5 }),
      fc.integer({ min: 1, max: 3 }), fc.nat(3),
      (trees, rows, nTargets, agg) => {
        const { e } = flatten(trees, nTargets);
        expect(validateEnsemble(e, nTargets)).toBeNull();
        const x = Float64Array.from(rows.flat());
        const scores = new Float64Array(rows.length * nTargets);
        const scored = new Uint8Array(rows.length * nTargets);
        scoreEnsemble(e, x, rows.length, 3, nTargets, agg, null, scores, scored);
        rows.forEach((row, r) => {
          const per: number[][] = Array.from({ length: nTargets }, () => []);
          for (const t of trees) {
            const id = refLeaf(t, row);
            per[id % nTargets]!.push(id + 1);
          }
          per.forEach((ws, k) => {
            const want = ws.length === 0 ? 0 : agg === 0 ? ws.reduce((a, b) => a + b, 0) / trees.length
              : agg === 1 ? ws.reduce((a, b) => a + b, 0) : agg === 2 ? Math.min(...ws) : Math.max(...ws);
            expect(scores[r * nTargets + k]).toBeCloseTo(want, 9);
            expect(scored[r * nTargets + k]).toBe(ws.length ? 1 : 0);
          });
        });
      },
    ), { numRuns: 150 });
  });

  it('rejects a cycle and out-of-range children', () => {
    const { e } = flatten([{ feature: 0, mode: 0, t: 0, missingTrue: false, set: [], yes: { leaf: 0 }, no: { leaf: 1 } }], 1);
    expect(validateEnsemble({ ...e, trueChild: Int32Array.of(0) }, 1)).toMatch(/cycle/);
    expect(validateEnsemble({ ...e, falseChild: Int32Array.of(5) }, 1)).toMatch(/out of range/);
  });
});

describe('post_transform', () => {
  const rowsArb = fc.array(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 })
    .map((rs) => rs.map((r) => r.slice(0, rs[0]!.length)).filter((r) => r.length === rs[0]!.length));
  it('SOFTMAX rows are a distribution equal to exp(x) / sum exp(x) (also at -1000)', () => {
    fc.assert(fc.property(rowsArb, (rows) => {
      const w = rows[0]!.length;
      const s = Float64Array.from(rows.flat());
      postTransformRows(s, rows.length, w, PostTransform.SOFTMAX);
      rows.forEach((row, r) => {
        const m = Math.max(...row);
        const den = row.reduce((a, v) => a + Math.exp(v - m), 0);
        row.forEach((v, j) => expect(s[r * w + j]).toBeCloseTo(Math.exp(v - m) / den, 12));
        expect(row.reduce((a, _, j) => a + s[r * w + j]!, 0)).toBeCloseTo(1, 12);
      });
    }));
    const s = Float64Array.of(-1000, -1000);
    postTransformRows(s, 1, 2, PostTransform.SOFTMAX);
    expect(Array.from(s)).toEqual([0.5, 0.5]);
  });
  it('SOFTMAX_ZERO keeps zeros, LOGISTIC is 1 / (1 + e^-x), PROBIT inverts the normal CDF', () => {
    const s = Float64Array.of(0, 1, 2, 0);
    postTransformRows(s, 1, 4, PostTransform.SOFTMAX_ZERO);
    const e1 = Math.exp(1), e2 = Math.exp(2);
    expect(Array.from(s)).toEqual([0, e1 / (e1 + e2), e2 / (e1 + e2), 0].map((v) => expect.closeTo(v, 12)));
    fc.assert(fc.property(fc.double({ min: -700, max: 700, noNaN: true }), (v) => {
      expect(logistic(v)).toBeCloseTo(1 / (1 + Math.exp(-v)), 12);
    }));
    // Phi via the complementary error function series (Abramowitz-Stegun 7.1.26 is too coarse): numeric integration.
    const phi = (z: number) => {
      let acc = 0;
      const n = 4000, lo = -12, h = (z - lo) / n;
      for (let i = 0; i <= n; i++) acc += (i === 0 || i === n ? 0.5 : 1) * Math.exp(-((lo + i * h) ** 2) / 2);
      return (acc * h) / Math.sqrt(2 * Math.PI);
    };
    fc.assert(fc.property(fc.double({ min: 1e-6, max: 1 - 1e-6, noNaN: true }), (p) => {
      expect(Math.abs(phi(probit(p)) - p)).toBeLessThan(1e-6);
    }), { numRuns: 50 });
  });
});

describe('linear and SVM kernels', () => {
  const mat = (r: number, c: number) => fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: r * c, maxLength: r * c });
  it('linearScores is x . coef_t + b_t', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 3 }), (rows, cols, nOut) =>
      fc.assert(fc.property(mat(rows, cols), mat(nOut, cols), mat(1, nOut), (x, coef, b) => {
        const out = new Float64Array(rows * nOut);
        linearScores(Float64Array.from(x), rows, cols, Float64Array.from(coef), Float64Array.from(b), nOut, out);
        for (let r = 0; r < rows; r++) {
          for (let t = 0; t < nOut; t++) {
            let s = b[t]!;
            for (let j = 0; j < cols; j++) s += x[r * cols + j]! * coef[t * cols + j]!;
            expect(out[r * nOut + t]).toBeCloseTo(s, 6);
          }
        }
      }), { numRuns: 5 })), { numRuns: 20 });
  });

  it('kernelMatrix and one-vs-one votes follow the libsvm formulas', () => {
    fc.assert(fc.property(
      fc.constantFrom(SvmKernel.LINEAR, SvmKernel.POLY, SvmKernel.RBF, SvmKernel.SIGMOID),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 4 }),
      fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 64, maxLength: 64 }),
      (kind, perClass, pool) => {
        const cols = 2, rows = 3, nc = perClass.length;
        const nSv = perClass.reduce((a, b) => a + b, 0);
        let q = 0;
        const take = (n: number) => Array.from({ length: n }, () => pool[q++ % pool.length]!);
        const x = take(rows * cols), sv = take(nSv * cols), coef = take((nc - 1) * nSv), rho = take((nc * (nc - 1)) / 2);
        const p = { kind, gamma: 0.7, coef0: 0.3, degree: 3 };
        const K = new Float64Array(rows * nSv);
        kernelMatrix(Float64Array.from(x), rows, cols, Float64Array.from(sv), nSv, p, K);
        const ref = (a: number[], b: number[]) => {
          const dot = a.reduce((s, v, i) => s + v * b[i]!, 0);
          if (kind === SvmKernel.LINEAR) return dot;
          if (kind === SvmKernel.POLY) return (0.7 * dot + 0.3) ** 3;
          if (kind === SvmKernel.SIGMOID) return Math.tanh(0.7 * dot + 0.3);
          return Math.exp(-0.7 * a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));
        };
        const svRow = (i: number) => sv.slice(i * cols, i * cols + cols);
        for (let r = 0; r < rows; r++) {
          for (let i = 0; i < nSv; i++) expect(K[r * nSv + i]).toBeCloseTo(ref(x.slice(r * cols, r * cols + cols), svRow(i)), 9);
        }
        const start = [0];
        perClass.forEach((n) => start.push(start[start.length - 1]! + n));
        const np = rho.length;
        const dec = new Float64Array(rows * np), label = new Int32Array(rows);
        svmOneVsOne(K, rows, nSv, Int32Array.from(start), Float64Array.from(coef), Float64Array.from(rho), dec, label, new Int32Array(nc));
        for (let r = 0; r < rows; r++) {
          const votes = new Array(nc).fill(0);
          let pi = 0;
          for (let a = 0; a < nc; a++) {
            for (let b = a + 1; b < nc; b++, pi++) {
              let s = rho[pi]!;
              for (let i = start[a]!; i < start[a + 1]!; i++) s += coef[(b - 1) * nSv + i]! * K[r * nSv + i]!;
              for (let i = start[b]!; i < start[b + 1]!; i++) s += coef[a * nSv + i]! * K[r * nSv + i]!;
              expect(dec[r * np + pi]).toBeCloseTo(s, 9);
              votes[s > 0 ? a : b]++;
            }
          }
          expect(label[r]).toBe(votes.indexOf(Math.max(...votes)));
        }
      },
    ), { numRuns: 100 });
  });
});

describe('preprocessing kernels', () => {
  const rowsArb = fc.integer({ min: 0, max: 4 }).chain((rows) => fc.integer({ min: 1, max: 4 }).chain((cols) =>
    fc.tuple(fc.constant(rows), fc.constant(cols), fc.array(extreme, { minLength: rows * cols, maxLength: rows * cols }))));
  const same = (a: number, b: number) => (Number.isNaN(b) ? expect(a).toBeNaN() : expect(a).toBeCloseTo(b, 3));
  it('Normalizer MAX / L1 / L2 divide each row by its norm (zero norm leaves the row)', () => {
    fc.assert(fc.property(rowsArb, fc.constantFrom(NormKind.MAX, NormKind.L1, NormKind.L2), ([rows, cols, x], kind) => {
      const out = new Float32Array(rows * cols);
      normalizeRows(Float64Array.from(x), rows, cols, kind, out);
      for (let r = 0; r < rows; r++) {
        const row = x.slice(r * cols, r * cols + cols);
        let n = kind === NormKind.MAX ? Math.max(...row) : kind === NormKind.L1 ? row.reduce((a, v) => a + Math.abs(v), 0)
          : Math.sqrt(row.reduce((a, v) => a + v * v, 0));
        if (n === 0) n = 1;
        row.forEach((v, j) => same(out[r * cols + j]!, Math.fround(v / n)));
      }
    }));
  });
  it('Scaler is (x - offset) * scale with length-1 broadcasting; Imputer replaces NaN or a value', () => {
    fc.assert(fc.property(rowsArb, fc.boolean(), ([rows, cols, x], one) => {
      const offset = Float64Array.from({ length: one ? 1 : cols }, (_, i) => i - 1.5);
      const scale = Float64Array.from({ length: one ? 1 : cols }, (_, i) => 0.5 + i);
      const out = new Float32Array(rows * cols);
      scaleColumns(Float64Array.from(x), cols, offset, scale, out);
      x.forEach((v, i) => same(out[i]!, Math.fround((v - offset[one ? 0 : i % cols]!) * scale[one ? 0 : i % cols]!)));
      const imp = Float64Array.from({ length: cols }, (_, i) => 100 + i);
      for (const replaced of [NaN, 0]) {
        const o = new Float64Array(rows * cols);
        imputeFloat(Float64Array.from(x), cols, replaced, imp, o);
        x.forEach((v, i) => expect(Object.is(o[i], (Number.isNaN(replaced) ? Number.isNaN(v) : v === replaced) ? imp[i % cols] : v)
          || (v === 0 && o[i] === 0)).toBe(true));
      }
    }));
  });
});

describe('ai.onnx.ml ops through the runtime', () => {
  it('LabelEncoder (float keys with NaN, tensor defaults) maps like a plain Map', async () => {
    const keys = [1.5, NaN, -0, 3];
    const model = writeModel({
      opsets: [['', 17], ['ai.onnx.ml', 4]],
      graph: {
        nodes: [{ op: 'LabelEncoder', domain: 'ai.onnx.ml', inputs: ['X'], outputs: ['Y'], attrs: [
          { name: 'keys_floats', floats: keys }, { name: 'values_strings', strings: ['a', 'nan', 'zero', 'c'] },
          { name: 'default_string', s: '?' },
        ] }],
        inputs: [{ name: 'X', elemType: FLOAT, shape: [6] }], outputs: [{ name: 'Y' }],
      },
    });
    const s = await InferenceSession.create(model);
    const y = await s.run({ X: new Tensor('float32', Float32Array.of(1.5, NaN, 0, 3, 7, -Infinity), [6]) });
    expect(y.Y!.data).toEqual(['a', 'nan', 'zero', 'c', '?', '?']);
  });

  it('ZipMap gives one Map per row; ArrayFeatureExtractor picks columns of strings', async () => {
    const model = writeModel({
      opsets: [['', 17], ['ai.onnx.ml', 1]],
      graph: {
        nodes: [{ op: 'ZipMap', domain: 'ai.onnx.ml', inputs: ['X'], outputs: ['Z'], attrs: [{ name: 'classlabels_int64s', ints: [3, 7] }] }],
        inputs: [{ name: 'X', elemType: FLOAT, shape: [2, 2] }], outputs: [{ name: 'Z' }],
      },
    });
    const s = await InferenceSession.create(model);
    const z = (await s.runValues({ X: new Tensor('float32', Float32Array.of(0.25, 0.75, 1, 0), [2, 2]) })).Z as Map<bigint, number>[];
    expect(z.map((m) => [...m.entries()])).toEqual([[[3n, 0.25], [7n, 0.75]], [[3n, 1], [7n, 0]]]);
    const afe = writeModel({
      opsets: [['', 17], ['ai.onnx.ml', 1]],
      graph: {
        nodes: [{ op: 'ArrayFeatureExtractor', domain: 'ai.onnx.ml', inputs: ['X', 'I'], outputs: ['Y'] }],
        inputs: [{ name: 'X', elemType: 8, shape: [2, 3] }, { name: 'I', elemType: INT64, shape: [2] }], outputs: [{ name: 'Y' }],
      },
    });
    const a = await InferenceSession.create(afe);
    const y = await a.run({ X: new Tensor('string', ['a', 'b', 'c', 'd', 'e', 'f'], [2, 3]), I: new Tensor('int64', [2n, 0n], [2]) });
    expect(y.Y!.dims).toEqual([2, 2]);
    expect(y.Y!.data).toEqual(['c', 'a', 'f', 'd']);
    await expect(a.run({ X: new Tensor('string', ['a', 'b', 'c', 'd', 'e', 'f'], [2, 3]), I: new Tensor('int64', [3n, 0n], [2]) })).rejects.toThrow(/out of range/);
  });

  it('LabelEncoder opset 1 and CategoryMapper map both directions with defaults', async () => {
    for (const [op, attrs, opset] of [
      ['LabelEncoder', [{ name: 'classes_strings', strings: ['x', 'y', 'z'] }, { name: 'default_int64', i: -7 }, { name: 'default_string', s: '?' }], 1],
      ['CategoryMapper', [{ name: 'cats_strings', strings: ['x', 'y', 'z'] }, { name: 'cats_int64s', ints: [0, 1, 2] },
        { name: 'default_int64', i: -7 }, { name: 'default_string', s: '?' }], 1],
    ] as [string, AttrSpec[], number][]) {
      const one = (elemType: number) => writeModel({
        opsets: [['', 17], ['ai.onnx.ml', opset]],
        graph: {
          nodes: [{ op, domain: 'ai.onnx.ml', inputs: ['X'], outputs: ['Y'], attrs }],
          inputs: [{ name: 'X', elemType, shape: [4] }], outputs: [{ name: 'Y' }],
        },
      });
      const toInt = await (await InferenceSession.create(one(8))).run({ X: new Tensor('string', ['z', 'x', 'w', 'y'], [4]) });
      expect(Array.from(toInt.Y!.data as BigInt64Array)).toEqual([2n, 0n, -7n, 1n]);
      const toStr = await (await InferenceSession.create(one(INT64))).run({ X: new Tensor('int64', [1n, 5n, 0n, 2n], [4]) });
      expect(toStr.Y!.data).toEqual(['y', '?', 'x', 'z']);
    }
  });

  it('FeatureVectorizer concatenates (truncating / zero-padding) its inputs; OneHotEncoder zeros=0 refuses unknowns', async () => {
    const model = writeModel({
      opsets: [['', 17], ['ai.onnx.ml', 1]],
      graph: {
        nodes: [{ op: 'FeatureVectorizer', domain: 'ai.onnx.ml', inputs: ['A', 'B'], outputs: ['Y'], attrs: [{ name: 'inputdimensions', ints: [1, 3] }] }],
        inputs: [{ name: 'A', elemType: FLOAT, shape: [2, 2] }, { name: 'B', elemType: INT64, shape: [2, 2] }], outputs: [{ name: 'Y' }],
      },
    });
    const y = await (await InferenceSession.create(model)).run({
      A: new Tensor('float32', Float32Array.of(1, 2, 3, 4), [2, 2]), B: new Tensor('int64', [5n, 6n, 7n, 8n], [2, 2]),
    });
    expect(y.Y!.dims).toEqual([2, 4]);
    expect(Array.from(y.Y!.data as Float32Array)).toEqual([1, 5, 6, 0, 3, 7, 8, 0]);
    const strict = await runMlNode('OneHotEncoder', [{ name: 'cats_int64s', ints: [1, 2] }, { name: 'zeros', i: 0 }],
      new Tensor('float32', Float32Array.of(1, 2), [2]), ['Y'], 1);
    expect(Array.from(strict.Y!.data as Float32Array)).toEqual([1, 0, 0, 1]);
    await expect(runMlNode('OneHotEncoder', [{ name: 'cats_int64s', ints: [1, 2] }, { name: 'zeros', i: 0 }],
      new Tensor('float32', Float32Array.of(1, 3), [2]), ['Y'], 1)).rejects.toThrow(/not a known category/);
  });

  it('DictVectorizer places map values by vocabulary and skips unknown keys', () => {
    const out = new Float32Array(2 * 3);
    vectorizeMaps([new Map<string, number>([['b', 2], ['zz', 9]]), new Map([['c', 3], ['a', 1]])], new Map([['a', 0], ['b', 1], ['c', 2]]), out);
    expect(Array.from(out)).toEqual([0, 2, 0, 1, 0, 3]);
  });
});
