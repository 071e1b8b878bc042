// Building ai.onnx.ml graphs the way skl2onnx lays them out, from the parameters that
// spec-models/sklearn_models.py extracts from fitted scikit-learn models, and running one ml node.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor } from '../../src/index.js';
import { type AttrSpec, writeModel } from './onnx-writer.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../spec-models/sklearn');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export function loadCase(name: string): Json {
  return JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
}

export const FLOAT = 1;
export const INT64 = 7;
export const DOUBLE = 11;

/** Runs one ai.onnx.ml node on X (float32 [N, F] unless given) and returns the named outputs. */
export async function runMlNode(
  op: string, attrs: AttrSpec[], x: Tensor, outputs: string[], mlOpset = 3,
): Promise<Record<string, Tensor>> {
  const elemType = x.type === 'int64' ? INT64 : x.type === 'float64' ? DOUBLE : FLOAT;
  const model = writeModel({
    irVersion: 8,
    opsets: [['', 17], ['ai.onnx.ml', mlOpset]],
    graph: {
      nodes: [{ op, domain: 'ai.onnx.ml', inputs: ['X'], outputs, attrs }],
      inputs: [{ name: 'X', elemType, shape: [...x.dims] }],
      outputs: outputs.map((name) => ({ name })),
    },
  });
  const s = await InferenceSession.create(model);
  return s.run({ X: x });
}

export function matrix(rows: number[][], type: 'float32' | 'float64' = 'float32'): Tensor {
  const n = rows.length;
  const f = n ? rows[0]!.length : 0;
  const flat = rows.flat();
  return new Tensor(type, type === 'float32' ? Float32Array.from(flat) : Float64Array.from(flat), [n, f]);
}

interface SkTree { left: number[]; right: number[]; feature: number[]; threshold: number[]; value: number[][] }

/**
 * skl2onnx's layout of sklearn trees for TreeEnsembleClassifier/Regressor (opset 3): every node
 * (tree id, node id), BRANCH_LEQ on double thresholds, LEAF nodes carrying weights.
 * `leafWeights(tree, node)` gives the (target/class id, weight) pairs of a leaf.
 */
export function oldTreeAttrs(
  trees: SkTree[], prefix: 'class' | 'target', leafWeights: (t: number, i: number) => [number, number][],
): AttrSpec[] {
  const tid: number[] = [], nid: number[] = [], feat: number[] = [], modes: string[] = [], vals: number[] = [];
  const tr: number[] = [], fl: number[] = [];
  const wt: number[] = [], wn: number[] = [], wi: number[] = [], ww: number[] = [];
  trees.forEach((t, ti) => {
    t.left.forEach((l, i) => {
      const leaf = l === -1;
      tid.push(ti); nid.push(i); feat.push(leaf ? 0 : t.feature[i]!);
      modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ'); vals.push(leaf ? 0 : t.threshold[i]!);
      tr.push(leaf ? 0 : l); fl.push(leaf ? 0 : t.right[i]!);
      if (leaf) {
        for (const [id, w] of leafWeights(ti, i)) { wt.push(ti); wn.push(i); wi.push(id); ww.push(w); }
      }
    });
  });
  return [
    { name: 'nodes_treeids', ints: tid }, { name: 'nodes_nodeids', ints: nid }, { name: 'nodes_featureids', ints: feat },
    { name: 'nodes_modes', strings: modes },
    { name: 'nodes_values_as_tensor', t: { dataType: DOUBLE, dims: [vals.length], doubles: vals } },
    { name: 'nodes_truenodeids', ints: tr }, { name: 'nodes_falsenodeids', ints: fl },
    { name: `${prefix}_treeids`, ints: wt }, { name: `${prefix}_nodeids`, ints: wn }, { name: `${prefix}_ids`, ints: wi },
    { name: `${prefix}_weights_as_tensor`, t: { dataType: DOUBLE, dims: [ww.length], doubles: ww } },
  ];
}

/** The same trees in TreeEnsemble (opset 5) form: interior nodes and leaves numbered apart. */
export function v5TreeAttrs(trees: SkTree[], nTargets: number, aggregate: number): AttrSpec[] {
  const feat: number[] = [], splits: number[] = [], tIds: number[] = [], tLeaf: number[] = [], fIds: number[] = [], fLeaf: number[] = [];
  const leafTarget: number[] = [], leafW: number[] = [], roots: number[] = [];
  for (const t of trees) {
    const inner = new Map<number, number>();
    const leaf = new Map<number, number[]>(); // sklearn leaf -> ONNX leaf ids (one per target)
    t.left.forEach((l, i) => {
      if (l !== -1) inner.set(i, inner.size + feat.length);
    });
    t.left.forEach((l, i) => {
      if (l !== -1) return;
      const ids: number[] = [];
      for (let k = 0; k < nTargets; k++) { ids.push(leafTarget.length); leafTarget.push(k); leafW.push(t.value[i]![k]!); }
      leaf.set(i, ids);
    });
    // A v5 leaf carries one (target, weight): only single-target trees are written this way.
    const child = (c: number): [number, number] => (t.left[c] === -1 ? [leaf.get(c)![0]!, 1] : [inner.get(c)!, 0]);
    roots.push(inner.get(0)!);
    t.left.forEach((l, i) => {
      if (l === -1) return;
      feat.push(t.feature[i]!); splits.push(t.threshold[i]!);
      const [a, al] = child(l); const [b, bl] = child(t.right[i]!);
      tIds.push(a); tLeaf.push(al); fIds.push(b); fLeaf.push(bl);
    });
  }
  return [
    { name: 'nodes_featureids', ints: feat },
    { name: 'nodes_splits', t: { dataType: DOUBLE, dims: [splits.length], doubles: splits } },
    { name: 'nodes_modes', t: { dataType: 2, dims: [feat.length], raw: new Uint8Array(feat.length) } },
    { name: 'nodes_truenodeids', ints: tIds }, { name: 'nodes_trueleafs', ints: tLeaf },
    { name: 'nodes_falsenodeids', ints: fIds }, { name: 'nodes_falseleafs', ints: fLeaf },
    { name: 'leaf_targetids', ints: leafTarget },
    { name: 'leaf_weights', t: { dataType: DOUBLE, dims: [leafW.length], doubles: leafW } },
    { name: 'tree_roots', ints: roots }, { name: 'n_targets', i: nTargets }, { name: 'aggregate_function', i: aggregate },
  ];
}

