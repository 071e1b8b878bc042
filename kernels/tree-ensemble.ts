// Tree ensembles (ai.onnx.ml TreeEnsemble, TreeEnsembleClassifier, TreeEnsembleRegressor), in one
// flat form the op files compile their attributes into:
//   interior node k: feature[k], mode[k], threshold[k]; children trueChild[k] / falseChild[k],
//   where a child c >= 0 is a node and c < 0 is the leaf ~c; missingTrue[k] sends NaN to the
//   true branch; MEMBER nodes test x against the set values[setStart[k] .. setStart[k+1]).
//   leaf l adds weights[leafStart[l] .. leafStart[l+1]) to targets[...] of the same range.
//   tree t starts at roots[t] (a node, or ~leaf for a single-leaf tree).

export const enum TreeMode { LEQ = 0, LT = 1, GTE = 2, GT = 3, EQ = 4, NEQ = 5, MEMBER = 6 }
export const enum Aggregate { AVERAGE = 0, SUM = 1, MIN = 2, MAX = 3 }

export interface FlatEnsemble {
  readonly feature: Int32Array;
  readonly mode: Uint8Array;
  readonly threshold: Float64Array;
  readonly trueChild: Int32Array;
  readonly falseChild: Int32Array;
  readonly missingTrue: Uint8Array;
  readonly setStart: Int32Array;
  readonly setValues: Float64Array;
  readonly leafStart: Int32Array;
  readonly leafTargets: Int32Array;
  readonly leafWeights: Float64Array;
  readonly roots: Int32Array;
}

/** The leaf reached by row `x` (features at x[base + feature]) from `start`; returns the leaf index. */
export function findLeaf(e: FlatEnsemble, x: ArrayLike<number>, base: number, start: number): number {
  let k = start;
  while (k >= 0) {
    const v = x[base + e.feature[k]!]!;
    const t = e.threshold[k]!;
    let go: boolean;
    if (v !== v) {
      go = e.missingTrue[k] === 1;
    } else {
      switch (e.mode[k]) {
        case TreeMode.LEQ: go = v <= t; break;
        case TreeMode.LT: go = v < t; break;
        case TreeMode.GTE: go = v >= t; break;
        case TreeMode.GT: go = v > t; break;
        case TreeMode.EQ: go = v === t; break;
        case TreeMode.NEQ: go = v !== t; break;
        default: {
          go = false;
          for (let s = e.setStart[k]!, end = e.setStart[k + 1]!; s < end; s++) {
            if (e.setValues[s] === v) { go = true; break; }
          }
        }
      }
    }
    k = go ? e.trueChild[k]! : e.falseChild[k]!;
  }
  return ~k;
}

/**
 * Scores `rows` rows of `cols` features into scores[row * nTargets + target], aggregating leaf
 * weights over trees; `scored` marks (row, target) pairs some leaf reached. AVERAGE divides by
 * the number of trees. Base values are added afterwards by the caller's choice (`base`, or null).
 */
export function scoreEnsemble(
  e: FlatEnsemble, x: ArrayLike<number>, rows: number, cols: number, nTargets: number,
  agg: Aggregate, base: Float64Array | null, scores: Float64Array, scored: Uint8Array,
): void {
  const nTrees = e.roots.length;
  for (let r = 0; r < rows; r++) {
    const o = r * nTargets;
    for (let t = 0; t < nTrees; t++) {
      const leaf = findLeaf(e, x, r * cols, e.roots[t]!);
      for (let j = e.leafStart[leaf]!, end = e.leafStart[leaf + 1]!; j < end; j++) {
        const i = o + e.leafTargets[j]!;
        const w = e.leafWeights[j]!;
        if (!scored[i]) {
          scores[i] = w;
          scored[i] = 1;
        } else if (agg === Aggregate.MIN) {
          if (w < scores[i]!) scores[i] = w;
        } else if (agg === Aggregate.MAX) {
          if (w > scores[i]!) scores[i] = w;
        } else {
          scores[i] += w;
        }
      }
    }
    if (agg === Aggregate.AVERAGE && nTrees > 0) {
      for (let i = o; i < o + nTargets; i++) scores[i] /= nTrees;
    }
    if (base) {
      for (let i = 0; i < nTargets && i < base.length; i++) scores[o + i] += base[i]!;
    }
  }
}

/** Checks that every child index and feature is in range; returns a message or null. */
export function validateEnsemble(e: FlatEnsemble, nTargets: number): string | null {
  const nNodes = e.feature.length;
  const nLeaves = e.leafStart.length - 1;
  const ok = (c: number) => (c >= 0 ? c < nNodes : ~c < nLeaves);
  for (let k = 0; k < nNodes; k++) {
    if (!ok(e.trueChild[k]!) || !ok(e.falseChild[k]!)) return `node ${k} has a child out of range`;
    if (e.feature[k]! < 0) return `node ${k} has a negative feature id`;
  }
  for (let t = 0; t < e.roots.length; t++) if (!ok(e.roots[t]!)) return `tree ${t} has a root out of range`;
  // No cycles: a depth-first walk from every root never meets a node on its own path.
  const state = new Uint8Array(nNodes); // 0 new, 1 on the path, 2 done
  const stack: number[] = [];
  for (let t = 0; t < e.roots.length; t++) {
    if (e.roots[t]! < 0 || state[e.roots[t]!] === 2) continue;
    stack.push(e.roots[t]!);
    while (stack.length) {
      const k = stack[stack.length - 1]!;
      if (state[k] === 0) {
        state[k] = 1;
        for (const c of [e.trueChild[k]!, e.falseChild[k]!]) {
          if (c < 0) continue;
          if (state[c] === 1) return `node ${c} is part of a cycle`;
          if (state[c] === 0) stack.push(c);
        }
      } else {
        stack.pop();
        state[k] = 2;
      }
    }
  }
  for (let j = 0; j < e.leafTargets.length; j++) {
    if (e.leafTargets[j]! < 0 || e.leafTargets[j]! >= nTargets) return `leaf target ${e.leafTargets[j]} out of range [0, ${nTargets})`;
  }
  return null;
}

/** Largest feature id the ensemble reads (-1 when it has no interior nodes). */
export function maxFeature(e: FlatEnsemble): number {
  let m = -1;
  for (let k = 0; k < e.feature.length; k++) if (e.feature[k]! > m) m = e.feature[k]!;
  return m;
}
