// TreeEnsemble (ai.onnx.ml 5), TreeEnsembleClassifier and TreeEnsembleRegressor (ai.onnx.ml 1 and
// 3, where 3 adds the *_as_tensor attributes). All compile their attributes into the flat form
// of kernels/tree-ensemble.ts at load.

import { binaryScores } from '../../kernels/ml-binary.js';
import { argmaxRows } from '../../kernels/ml-classify.js';
import { PostTransform, postTransformRows } from '../../kernels/ml-post-transform.js';
import {
  Aggregate, type FlatEnsemble, TreeMode, maxFeature, scoreEnsemble, validateEnsemble,
} from '../../kernels/tree-ensemble.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor.js';
import { floatTensor } from '../compute.js';
import { elemOf } from '../infer-helpers.js';
import { type Attrs, type OpDef, op } from '../op-def.js';
import {
  type Labels, ML, classifierTypes, featureMatrix, floatsOrTensor, labelTensor, parseLabels, parsePostTransform, scoreTensor,
  scoreTypes,
} from './ml-common.js';

function checked(opName: string, e: FlatEnsemble, nTargets: number): FlatEnsemble {
  const why = validateEnsemble(e, nTargets);
  if (why) throw new InvalidNodeError(`${opName}: ${why}`);
  return e;
}

function sameLength(opName: string, lists: Record<string, { length: number } | undefined>): number {
  let n = -1;
  for (const [name, l] of Object.entries(lists)) {
    if (!l) continue;
    if (n >= 0 && l.length !== n) throw new InvalidNodeError(`${opName}: ${name} has ${l.length} entries, expected ${n}`);
    n = l.length;
  }
  return Math.max(n, 0);
}

// ---- TreeEnsemble (opset 5) ----

interface EnsembleAttrs {
  readonly e: FlatEnsemble;
  readonly nTargets: number;
  readonly agg: Aggregate;
  readonly post: PostTransform;
  readonly nFeatures: number;
}

function parseTreeEnsemble(a: Attrs): EnsembleAttrs {
  const name = 'TreeEnsemble';
  const feature = a.ints('nodes_featureids');
  const splits = a.tensor('nodes_splits')?.toNumbers();
  const modes = a.tensor('nodes_modes')?.toNumbers();
  if (!splits || !modes) throw new InvalidNodeError(`${name}: nodes_splits and nodes_modes are required`);
  const trueIds = a.ints('nodes_truenodeids');
  const trueLeaf = a.ints('nodes_trueleafs');
  const falseIds = a.ints('nodes_falsenodeids');
  const falseLeaf = a.ints('nodes_falseleafs');
  const missing = a.ints('nodes_missing_value_tracks_true', feature.map(() => 0));
  const n = sameLength(name, {
    nodes_featureids: feature, nodes_splits: splits, nodes_modes: modes, nodes_truenodeids: trueIds,
    nodes_trueleafs: trueLeaf, nodes_falsenodeids: falseIds, nodes_falseleafs: falseLeaf,
    nodes_missing_value_tracks_true: missing,
  });
  const leafTargets = a.ints('leaf_targetids');
  const leafWeights = a.tensor('leaf_weights')?.toNumbers() ?? [];
  sameLength(name, { leaf_targetids: leafTargets, leaf_weights: leafWeights });
  const members = a.tensor('membership_values')?.toNumbers() ?? [];
  const setStart = new Int32Array(n + 1);
  const setValues: number[] = [];
  let m = 0;
  for (let k = 0; k < n; k++) {
    setStart[k] = setValues.length;
    if (modes[k] === TreeMode.MEMBER) {
      while (m < members.length && !Number.isNaN(members[m]!)) setValues.push(members[m++]!);
      m++; // the NaN separator
    } else if (!(modes[k]! >= 0 && modes[k]! < TreeMode.MEMBER)) {
      throw new InvalidNodeError(`${name}: node ${k} has unknown mode ${modes[k]}`);
    }
  }
  setStart[n] = setValues.length;
  const child = (ids: readonly number[], leaf: readonly number[]) => Int32Array.from(ids, (c, k) => (leaf[k] ? ~c : c));
  const nTargets = a.int('n_targets');
  const e: FlatEnsemble = {
    feature: Int32Array.from(feature), mode: Uint8Array.from(modes), threshold: Float64Array.from(splits),
    trueChild: child(trueIds, trueLeaf), falseChild: child(falseIds, falseLeaf), missingTrue: Uint8Array.from(missing),
    setStart, setValues: Float64Array.from(setValues),
    leafStart: Int32Array.from({ length: leafTargets.length + 1 }, (_, i) => i),
    leafTargets: Int32Array.from(leafTargets), leafWeights: Float64Array.from(leafWeights),
    roots: Int32Array.from(a.ints('tree_roots')),
  };
  const agg = a.int('aggregate_function', 1);
  if (agg < 0 || agg > 3) throw new InvalidNodeError(`${name}: aggregate_function must be 0..3, got ${agg}`);
  const post = a.int('post_transform', 0);
  if (post < 0 || post > 4) throw new InvalidNodeError(`${name}: post_transform must be 0..4, got ${post}`);
  return Object.freeze({ e: checked(name, e, nTargets), nTargets, agg, post, nFeatures: maxFeature(e) + 1 });
}

function scoreRows(opName: string, x: Tensor | undefined, a: EnsembleAttrs, base: Float64Array | null) {
  const { data, rows, cols } = featureMatrix(opName, x);
  if (cols < a.nFeatures) throw new ShapeError(`${opName}: the trees read feature ${a.nFeatures - 1}, X has ${cols} features`);
  const scores = new Float64Array(rows * a.nTargets);
  const scored = new Uint8Array(rows * a.nTargets);
  scoreEnsemble(a.e, data, rows, cols, a.nTargets, a.agg, base, scores, scored);
  return { scores, scored, rows };
}

function runTreeEnsemble(x: Tensor, a: EnsembleAttrs): Tensor {
  const { scores, rows } = scoreRows('TreeEnsemble', x, a, null);
  postTransformRows(scores, rows, a.nTargets, a.post);
  // Output has X's float type (float16 outputs are rounded from the scores).
  const type = x.type === 'float64' || x.type === 'float16' ? x.type : 'float32';
  return floatTensor(type, type === 'float64' ? scores : Float32Array.from(scores), [rows, a.nTargets]);
}

// ---- TreeEnsembleClassifier / TreeEnsembleRegressor (opset 1 and 3) ----

const OLD_MODES: Readonly<Record<string, number>> = {
  BRANCH_LEQ: TreeMode.LEQ, BRANCH_LT: TreeMode.LT, BRANCH_GTE: TreeMode.GTE, BRANCH_GT: TreeMode.GT,
  BRANCH_EQ: TreeMode.EQ, BRANCH_NEQ: TreeMode.NEQ, BRANCH_MEMBER: TreeMode.MEMBER, LEAF: -1,
};

/** Compiles (tree id, node id)-addressed nodes and per-leaf (target, weight) lists into a FlatEnsemble. */
function compileOld(opName: string, a: Attrs, prefix: 'class' | 'target'): FlatEnsemble {
  const treeIds = a.ints('nodes_treeids');
  const nodeIds = a.ints('nodes_nodeids');
  const feature = a.ints('nodes_featureids');
  const modeNames = a.strings('nodes_modes');
  const values = floatsOrTensor(a, 'nodes_values') ?? treeIds.map(() => 0);
  const trueIds = a.ints('nodes_truenodeids');
  const falseIds = a.ints('nodes_falsenodeids');
  const missing = a.ints('nodes_missing_value_tracks_true', treeIds.map(() => 0));
  const n = sameLength(opName, {
    nodes_treeids: treeIds, nodes_nodeids: nodeIds, nodes_featureids: feature, nodes_modes: modeNames,
    nodes_values: values, nodes_truenodeids: trueIds, nodes_falsenodeids: falseIds, nodes_missing_value_tracks_true: missing,
  });
  // Interior nodes and leaves get their own dense numbering; ref(tree, node) is a child code.
  const key = (t: number, k: number) => `${t}:${k}`;
  const ref = new Map<string, number>();
  const modes: number[] = [];
  let nNodes = 0;
  let nLeaves = 0;
  for (let i = 0; i < n; i++) {
    const m = OLD_MODES[modeNames[i]!];
    if (m === undefined) throw new InvalidNodeError(`${opName}: unknown node mode '${modeNames[i]}'`);
    if (m === TreeMode.MEMBER) throw new InvalidNodeError(`${opName}: BRANCH_MEMBER needs TreeEnsemble (opset 5)`);
    modes.push(m);
    const k = key(treeIds[i]!, nodeIds[i]!);
    if (ref.has(k)) throw new InvalidNodeError(`${opName}: node ${nodeIds[i]} of tree ${treeIds[i]} is defined twice`);
    ref.set(k, m < 0 ? ~nLeaves++ : nNodes++);
  }
  const interior = { feature: new Int32Array(nNodes), mode: new Uint8Array(nNodes), threshold: new Float64Array(nNodes),
    trueChild: new Int32Array(nNodes), falseChild: new Int32Array(nNodes), missingTrue: new Uint8Array(nNodes) };
  const isChild = new Set<string>();
  const childOf = (i: number, id: number) => {
    const k = key(treeIds[i]!, id);
    const c = ref.get(k);
    if (c === undefined) throw new InvalidNodeError(`${opName}: node ${nodeIds[i]} of tree ${treeIds[i]} points to missing node ${id}`);
    isChild.add(k);
    return c;
  };
  for (let i = 0; i < n; i++) {
    if (modes[i]! < 0) continue;
    const k = ref.get(key(treeIds[i]!, nodeIds[i]!))!;
    interior.feature[k] = feature[i]!;
    interior.mode[k] = modes[i]!;
    interior.threshold[k] = values[i]!;
    interior.trueChild[k] = childOf(i, trueIds[i]!);
    interior.falseChild[k] = childOf(i, falseIds[i]!);
    interior.missingTrue[k] = missing[i] ? 1 : 0;
  }
  const roots: number[] = [];
  const seenTree = new Set<number>();
  for (let i = 0; i < n; i++) {
    const k = key(treeIds[i]!, nodeIds[i]!);
    if (!isChild.has(k) && !seenTree.has(treeIds[i]!)) {
      seenTree.add(treeIds[i]!);
      roots.push(ref.get(k)!);
    }
  }
  // Leaf weights, grouped by leaf.
  const wTree = a.ints(`${prefix}_treeids`, []);
  const wNode = a.ints(`${prefix}_nodeids`, []);
  const wIds = a.ints(`${prefix}_ids`, []);
  const wVal = floatsOrTensor(a, `${prefix}_weights`) ?? [];
  const nw = sameLength(opName, { [`${prefix}_treeids`]: wTree, [`${prefix}_nodeids`]: wNode, [`${prefix}_ids`]: wIds, [`${prefix}_weights`]: wVal });
  const perLeaf: [number, number][][] = Array.from({ length: nLeaves }, () => []);
  for (let j = 0; j < nw; j++) {
    const c = ref.get(key(wTree[j]!, wNode[j]!));
    if (c === undefined || c >= 0) {
      throw new InvalidNodeError(`${opName}: weight ${j} refers to node ${wNode[j]} of tree ${wTree[j]}, which is not a leaf`);
    }
    perLeaf[~c]!.push([wIds[j]!, wVal[j]!]);
  }
  const leafStart = new Int32Array(nLeaves + 1);
  for (let l = 0; l < nLeaves; l++) leafStart[l + 1] = leafStart[l]! + perLeaf[l]!.length;
  const flat = perLeaf.flat();
  return {
    ...interior, setStart: new Int32Array(nNodes + 1), setValues: new Float64Array(0),
    leafStart, leafTargets: Int32Array.from(flat, (p) => p[0]), leafWeights: Float64Array.from(flat, (p) => p[1]),
    roots: Int32Array.from(roots),
  };
}

interface RegressorAttrs extends EnsembleAttrs {
  readonly base: Float64Array | null;
}

function parseRegressor(a: Attrs): RegressorAttrs {
  const name = 'TreeEnsembleRegressor';
  const e = compileOld(name, a, 'target');
  const nTargets = a.int('n_targets', 1);
  const aggName = a.string('aggregate_function', 'SUM');
  const agg = ['AVERAGE', 'SUM', 'MIN', 'MAX'].indexOf(aggName);
  if (agg < 0) throw new InvalidNodeError(`${name}: unknown aggregate_function '${aggName}'`);
  const base = floatsOrTensor(a, 'base_values');
  return Object.freeze({
    e: checked(name, e, nTargets), nTargets, agg, post: parsePostTransform(name, a), nFeatures: maxFeature(e) + 1,
    base: base && base.length ? Float64Array.from(base) : null,
  });
}

function runRegressor(x: Tensor | undefined, a: RegressorAttrs): Tensor {
  const { scores, rows } = scoreRows('TreeEnsembleRegressor', x, a, a.base);
  postTransformRows(scores, rows, a.nTargets, a.post);
  return scoreTensor('float32', scores, [rows, a.nTargets]);
}

interface ClassifierAttrs extends EnsembleAttrs {
  readonly labels: Labels;
  readonly base: Float64Array | null;
  /** Two labels but weights for one class only: a single score decides between them. */
  readonly binary: boolean;
  readonly allPositive: boolean;
}

function parseClassifier(a: Attrs): ClassifierAttrs {
  const name = 'TreeEnsembleClassifier';
  const e = compileOld(name, a, 'class');
  const labels = parseLabels(name, a);
  const nTargets = labels.values.length;
  const base = floatsOrTensor(a, 'base_values');
  const classes = new Set(e.leafTargets);
  return Object.freeze({
    e: checked(name, e, nTargets), nTargets, agg: Aggregate.SUM, post: parsePostTransform(name, a),
    nFeatures: maxFeature(e) + 1, labels, base: base && base.length ? Float64Array.from(base) : null,
    binary: nTargets === 2 && classes.size === 1, allPositive: e.leafWeights.every((w) => w >= 0),
  });
}

/**
 * Scores per class (sum over trees, plus base_values), label = argmax, then post_transform.
 * Binary case (two labels, weights for one class id only, as onnxruntime): that class's score s
 * picks the label (s > 0.5 when all weights are >= 0, else s > 0) and the scores become
 * [1 - s, s], or [logistic(-s), logistic(s)] under LOGISTIC with signed weights.
 */
function runClassifier(x: Tensor | undefined, a: ClassifierAttrs): Tensor[] {
  if (a.binary) return runBinaryClassifier(x, a);
  const { scores, rows } = scoreRows('TreeEnsembleClassifier', x, a, a.base);
  const idx = new Int32Array(rows);
  argmaxRows(scores, rows, a.nTargets, idx);
  postTransformRows(scores, rows, a.nTargets, a.post);
  return [labelTensor(a.labels, idx), scoreTensor('float32', scores, [rows, a.nTargets])];
}

function runBinaryClassifier(x: Tensor | undefined, a: ClassifierAttrs): Tensor[] {
  const { scores, rows } = scoreRows('TreeEnsembleClassifier', x, a, null);
  const cls = a.e.leafTargets[0]!;
  const base = a.base ? a.base[a.base.length === 2 ? 1 : 0]! : 0;
  const idx = new Int32Array(rows);
  const out = new Float64Array(rows * 2);
  binaryScores(scores, 2, cls, base, a.allPositive ? 0.5 : 0, a.allPositive, a.post, rows, idx, out);
  return [labelTensor(a.labels, idx), scoreTensor('float32', out, [rows, 2])];
}

export const treeEnsembleOps: OpDef[] = [
  op<EnsembleAttrs>({
    name: 'TreeEnsemble', domain: ML, since: 5, parse: parseTreeEnsemble,
    run: (inputs, a) => {
      if (!inputs[0]) throw new InvalidNodeError('TreeEnsemble: input X is missing');
      return [runTreeEnsemble(inputs[0], a)];
    },
    infer: ([x], a) => {
      const t = elemOf(x);
      return scoreTypes(x, a.nTargets, t === 'float64' || t === 'float16' ? t : t === undefined ? undefined : 'float32');
    },
  }),
  ...[1, 3].map((since) => op<RegressorAttrs>({
    name: 'TreeEnsembleRegressor', domain: ML, since, parse: parseRegressor, run: (inputs, a) => [runRegressor(inputs[0], a)],
    infer: ([x], a) => scoreTypes(x, a.nTargets, 'float32'),
  })),
  ...[1, 3].map((since) => op<ClassifierAttrs>({
    name: 'TreeEnsembleClassifier', domain: ML, since, parse: parseClassifier, run: (inputs, a) => runClassifier(inputs[0], a),
    infer: ([x], a) => classifierTypes(x, a.labels, a.nTargets),
  })),
];
