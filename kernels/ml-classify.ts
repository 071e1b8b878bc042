// Turning per-class scores into class indices and labels (ai.onnx.ml classifiers).

/** out[r] = index of the first largest score in row r (0 for an empty row). */
export function argmaxRows(s: ArrayLike<number>, rows: number, width: number, out: Int32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let best = 0;
    for (let j = 1; j < width; j++) if (s[o + j]! > s[o + best]!) best = j;
    out[r] = best;
  }
}

/** out[i] = labels[index[i]] for string labels. */
export function takeStringLabels(labels: readonly string[], index: Int32Array, out: string[]): void {
  for (let i = 0; i < index.length; i++) out[i] = labels[index[i]!]!;
}

/** out[i] = labels[index[i]] for int64 labels. */
export function takeBigIntLabels(labels: BigInt64Array, index: Int32Array, out: BigInt64Array): void {
  for (let i = 0; i < index.length; i++) out[i] = labels[index[i]!]!;
}
