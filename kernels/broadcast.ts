// Numpy-style (multidirectional) broadcasting, in one place.

/** The broadcast shape of several shapes, or null when they are incompatible. */
export function broadcastShapes(...shapes: readonly (readonly number[])[]): number[] | null {
  let rank = 0;
  for (const s of shapes) rank = Math.max(rank, s.length);
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    const off = rank - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i]!;
      const o = out[off + i]!;
      if (d === o || d === 1) continue;
      if (o === 1) out[off + i] = d;
      else return null;
    }
  }
  return out;
}

/**
 * Strides (in elements) that read a contiguous tensor of shape `dims` as if it had
 * the broadcast shape `outDims`: broadcast dimensions get stride 0.
 */
export function broadcastStrides(dims: readonly number[], outDims: readonly number[]): number[] {
  const rank = outDims.length;
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    const oi = rank - dims.length + i;
    strides[oi] = dims[i] === 1 ? 0 : s;
    s *= dims[i]!;
  }
  return strides;
}

/**
 * For each output element in row-major order, the flat index into an input of shape
 * `dims` broadcast to `outDims`. Used by elementwise kernels that are not on the
 * fast (same shape / scalar) path.
 */
export function broadcastIndexMap(dims: readonly number[], outDims: readonly number[]): Int32Array {
  for (let r = 0; r < recentMaps.length; r++) {
    const e = recentMaps[r]!;
    if (sameDims(e.dims, dims) && sameDims(e.out, outDims)) return e.map;
  }
  const map = buildIndexMap(dims, outDims);
  if (map.length <= MAX_CACHED_MAP) {
    recentMaps.unshift({ dims: dims.slice(), out: outDims.slice(), map });
    if (recentMaps.length > RECENT_MAPS) recentMaps.pop();
  }
  return map;
}

/**
 * Recent index maps: a model asks for the same few broadcasts on every run, and a map depends
 * only on the two shapes. Callers must not modify a returned map.
 */
const recentMaps: { dims: readonly number[]; out: readonly number[]; map: Int32Array }[] = [];
const RECENT_MAPS = 32;
const MAX_CACHED_MAP = 1 << 16;

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function buildIndexMap(dims: readonly number[], outDims: readonly number[]): Int32Array {
  let total = 1;
  for (const d of outDims) total *= d;
  const map = new Int32Array(total);
  const strides = broadcastStrides(dims, outDims);
  const rank = outDims.length;
  if (total === 0) return map;
  const idx = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < total; i++) {
    map[i] = offset;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      offset += strides[d]!;
      if (idx[d]! < outDims[d]!) break;
      offset -= strides[d]! * idx[d]!;
      idx[d] = 0;
    }
  }
  return map;
}
