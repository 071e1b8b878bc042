// Packing a GEMM operand into the strips both GEMMs (kernels/gemm-f32.ts in JS, kernels/wasm/
// gemm-simd.ts in WebAssembly) read: a K block of op(A) as MR-row strips, of op(B) as NR-column
// strips, each strip kc x W floats with element (r, p) at p * W + r, the last one zero-padded.

/**
 * Packs rows [r0, r0 + rows) x depth [pc, pc + kc) of a matrix whose element (r, p) is
 * data[off + r * rs + p * ps] as W-wide strips at dst[q0...] (strip b at q0 + b * W * kc,
 * element (r, p) of a strip at p * W + r), zero-padding the last strip to W rows.
 * Rows are A's rows (W = MR) or B's columns (W = NR).
 */
export function packStrips(
  data: Float32Array, off: number, rs: number, ps: number,
  r0: number, rows: number, pc: number, kc: number, W: number, dst: Float32Array, q0: number,
): void {
  let q = q0;
  for (let r = 0; r < rows; r += W) {
    const w = Math.min(W, rows - r);
    const base = off + (r0 + r) * rs + pc * ps;
    if (w === W && rs === 1) {
      // Strip rows adjacent in memory (a row-major B, a transposed A): runs of W.
      if (W === 8) packRuns8(data, base, ps, kc, dst, q);
      else if (W === 4) packRuns4(data, base, ps, kc, dst, q);
      else for (let p = 0, s = base, x = q; p < kc; p++, s += ps, x += W) for (let t = 0; t < W; t++) dst[x + t] = data[s + t]!;
    } else if (w === W && ps === 1) {
      // Depth adjacent in memory (a row-major A, a transposed B): W streams read in step.
      if (W === 4) packStreams4(data, base, rs, kc, dst, q);
      else for (let t = 0; t < W; t++) for (let p = 0, s = base + t * rs, x = q + t; p < kc; p++, x += W) dst[x] = data[s + p]!;
    } else {
      for (let p = 0, s = base, x = q; p < kc; p++, s += ps, x += W) {
        let t = 0;
        for (; t < w; t++) dst[x + t] = data[s + t * rs]!;
        for (; t < W; t++) dst[x + t] = 0;
      }
    }
    q += W * kc;
  }
}

// The common strip shapes, unrolled: V8 does not unroll a loop over a variable width, and these
// copies run at about twice the speed of the generic loop.
function packRuns8(d: Float32Array, s: number, ps: number, kc: number, dst: Float32Array, x: number): void {
  for (let p = 0; p < kc; p++, s += ps, x += 8) {
    dst[x] = d[s]!; dst[x + 1] = d[s + 1]!; dst[x + 2] = d[s + 2]!; dst[x + 3] = d[s + 3]!;
    dst[x + 4] = d[s + 4]!; dst[x + 5] = d[s + 5]!; dst[x + 6] = d[s + 6]!; dst[x + 7] = d[s + 7]!;
  }
}
function packRuns4(d: Float32Array, s: number, ps: number, kc: number, dst: Float32Array, x: number): void {
  for (let p = 0; p < kc; p++, s += ps, x += 4) {
    dst[x] = d[s]!; dst[x + 1] = d[s + 1]!; dst[x + 2] = d[s + 2]!; dst[x + 3] = d[s + 3]!;
  }
}
function packStreams4(d: Float32Array, s: number, rs: number, kc: number, dst: Float32Array, x: number): void {
  const s1 = s + rs, s2 = s + 2 * rs, s3 = s + 3 * rs;
  for (let p = 0; p < kc; p++, x += 4) {
    dst[x] = d[s + p]!; dst[x + 1] = d[s1 + p]!; dst[x + 2] = d[s2 + p]!; dst[x + 3] = d[s3 + p]!;
  }
}
