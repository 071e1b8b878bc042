// TfIdfVectorizer: counts pool n-grams (with skips) per row and weights them.
//
// The pool's tokens are first mapped to small ids (a vocabulary), the input to the same ids
// (-1 for tokens outside the pool), and n-grams are found by walking a trie of ids, as
// onnxruntime does: for each skip distance d in 1..max_skip_count+1 and each start position,
// tokens start, start+d, start+2d, ... are followed down the trie; every node reached at a
// depth in [min_gram_length, max_gram_length] that ends a pool n-gram counts once. Unigrams
// are counted only for d = 1 (a skip does not change a unigram).

export interface NgramTrieNode {
  /** Output slot of the n-gram ending here, or -1. */
  slot: number;
  readonly next: Map<number, NgramTrieNode>;
}

export type PoolToken = number | bigint | string;

/** Vocabulary of pool tokens -> dense ids. */
export function poolVocabulary(pool: readonly PoolToken[]): Map<PoolToken, number> {
  const vocab = new Map<PoolToken, number>();
  for (const t of pool) if (!vocab.has(t)) vocab.set(t, vocab.size);
  return vocab;
}

/**
 * Builds the n-gram trie. `ngramCounts[k]` is the pool offset where (k+1)-grams start; n-grams
 * are numbered in pool order and n-gram j's output slot is `ngramIndexes[j]`.
 * Returns null when the counts and indexes do not describe the pool.
 */
export function buildNgramTrie(
  pool: readonly PoolToken[], vocab: ReadonlyMap<PoolToken, number>,
  ngramCounts: readonly number[], ngramIndexes: readonly number[],
): NgramTrieNode | null {
  const root: NgramTrieNode = { slot: -1, next: new Map() };
  let j = 0;
  for (let k = 0; k < ngramCounts.length; k++) {
    const n = k + 1;
    const start = ngramCounts[k]!;
    const end = k + 1 < ngramCounts.length ? ngramCounts[k + 1]! : pool.length;
    if (start > end || end > pool.length || (end - start) % n !== 0) return null;
    for (let p = start; p < end; p += n) {
      let node = root;
      for (let q = 0; q < n; q++) {
        const id = vocab.get(pool[p + q]!)!;
        let child = node.next.get(id);
        if (!child) {
          child = { slot: -1, next: new Map() };
          node.next.set(id, child);
        }
        node = child;
      }
      if (j >= ngramIndexes.length) return null;
      node.slot = ngramIndexes[j++]!;
    }
  }
  return j === ngramIndexes.length ? root : null;
}

/** Input tokens -> vocabulary ids (-1 when absent). */
export function tokenIdsNumber(x: ArrayLike<number>, vocab: ReadonlyMap<PoolToken, number>, out: Int32Array): void {
  for (let i = 0; i < x.length; i++) out[i] = vocab.get(x[i]!) ?? -1;
}
export function tokenIdsBigInt(x: BigInt64Array, vocab: ReadonlyMap<PoolToken, number>, out: Int32Array): void {
  for (let i = 0; i < x.length; i++) out[i] = vocab.get(Number(x[i]!)) ?? -1;
}
export function tokenIdsString(x: readonly string[], vocab: ReadonlyMap<PoolToken, number>, out: Int32Array): void {
  for (let i = 0; i < x.length; i++) out[i] = vocab.get(x[i]!) ?? -1;
}

/** Counts n-gram occurrences of `rows` rows of `cols` token ids into counts[row * outWidth + slot]. */
export function countNgrams(
  ids: Int32Array, rows: number, cols: number, root: NgramTrieNode,
  minGram: number, maxGram: number, maxSkip: number, outWidth: number, counts: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const end = base + cols;
    for (let d = 1; d <= maxSkip + 1; d++) {
      const smallest = d === 1 ? minGram : Math.max(minGram, 2);
      if (smallest > maxGram) break;
      for (let s = base; s < end; s++) {
        let node: NgramTrieNode | undefined = root;
        for (let n = 1, p = s; n <= maxGram && p < end; n++, p += d) {
          node = node.next.get(ids[p]!);
          if (node === undefined) break;
          if (n >= smallest && node.slot >= 0) counts[r * outWidth + node.slot]! += 1;
        }
      }
    }
  }
}

export type TfIdfMode = 'TF' | 'IDF' | 'TFIDF';

/** Applies the weighting in place: TF keeps counts, IDF = weight if count > 0, TFIDF = count * weight. */
export function weightNgrams(counts: Float32Array, outWidth: number, mode: TfIdfMode, weights: Float32Array | null): void {
  if (mode === 'TF') return;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    const w = weights ? weights[i % outWidth]! : 1;
    counts[i] = mode === 'IDF' ? w : c * w;
  }
}
