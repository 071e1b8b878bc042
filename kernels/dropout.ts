// Training-mode dropout: keep x[i] scaled by 1 / (1 - ratio) where u[i] >= ratio, else 0.

export function dropoutTrain(
  x: Float32Array | Float64Array, u: Float64Array, ratio: number,
  y: Float32Array | Float64Array, mask: Uint8Array,
): void {
  const scale = 1 / (1 - ratio);
  for (let i = 0; i < x.length; i++) {
    const keep = u[i]! >= ratio;
    mask[i] = keep ? 1 : 0;
    y[i] = keep ? x[i]! * scale : 0;
  }
}
