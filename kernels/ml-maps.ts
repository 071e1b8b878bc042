// Tensor <-> map conversions for ai.onnx.ml ZipMap and DictVectorizer.

export type MapLabel = string | bigint;

/** ZipMap: one Map per row, label[j] -> x[r * cols + j]. */
export function zipRows(x: ArrayLike<number>, rows: number, cols: number, labels: readonly MapLabel[]): Map<MapLabel, number>[] {
  const out: Map<MapLabel, number>[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    const m = new Map<MapLabel, number>();
    for (let j = 0; j < cols; j++) m.set(labels[j]!, x[r * cols + j]!);
    out[r] = m;
  }
  return out;
}

/** DictVectorizer: out[r * V + vocab.get(key)] = value for every numeric entry of map r; unknown keys are skipped. */
export function vectorizeMaps(
  maps: readonly ReadonlyMap<unknown, unknown>[], vocab: ReadonlyMap<MapLabel, number>, out: Float32Array | Float64Array,
): void {
  const v = vocab.size;
  for (let r = 0; r < maps.length; r++) {
    for (const [k, value] of maps[r]!) {
      const j = vocab.get(k as MapLabel);
      if (j !== undefined && typeof value === 'number') out[r * v + j] = value;
    }
  }
}
