// VP8 in-loop deblocking filter (RFC 6386 section 15) as libwebp computes it, applied in
// macroblock raster order over the whole reconstructed frame.

export interface FilterInfo {
  readonly limit: number;
  readonly ilevel: number;
  readonly hevThresh: number;
  readonly inner: boolean;
}

const clip1 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v); // VP8kclip1
const sclip1 = (v: number): number => (v < -128 ? -128 : v > 127 ? 127 : v); // VP8ksclip1
const sclip2 = (v: number): number => (v < -16 ? -16 : v > 15 ? 15 : v); // VP8ksclip2

function filter2(p: Uint8Array, i: number, s: number): void {
  const p1 = p[i - 2 * s], p0 = p[i - s], q0 = p[i], q1 = p[i + s];
  const a = 3 * (q0 - p0) + sclip1(p1 - q1);
  const a1 = sclip2((a + 4) >> 3);
  const a2 = sclip2((a + 3) >> 3);
  p[i - s] = clip1(p0 + a2);
  p[i] = clip1(q0 - a1);
}

function filter4(p: Uint8Array, i: number, s: number): void {
  const p1 = p[i - 2 * s], p0 = p[i - s], q0 = p[i], q1 = p[i + s];
  const a = 3 * (q0 - p0);
  const a1 = sclip2((a + 4) >> 3);
  const a2 = sclip2((a + 3) >> 3);
  const a3 = (a1 + 1) >> 1;
  p[i - 2 * s] = clip1(p1 + a3);
  p[i - s] = clip1(p0 + a2);
  p[i] = clip1(q0 - a1);
  p[i + s] = clip1(q1 - a3);
}

function filter6(p: Uint8Array, i: number, s: number): void {
  const p2 = p[i - 3 * s], p1 = p[i - 2 * s], p0 = p[i - s], q0 = p[i], q1 = p[i + s], q2 = p[i + 2 * s];
  const a = sclip1(3 * (q0 - p0) + sclip1(p1 - q1));
  const a1 = (27 * a + 63) >> 7;
  const a2 = (18 * a + 63) >> 7;
  const a3 = (9 * a + 63) >> 7;
  p[i - 3 * s] = clip1(p2 + a3);
  p[i - 2 * s] = clip1(p1 + a2);
  p[i - s] = clip1(p0 + a1);
  p[i] = clip1(q0 - a1);
  p[i + s] = clip1(q1 - a2);
  p[i + 2 * s] = clip1(q2 - a3);
}

function needsFilter(p: Uint8Array, i: number, s: number, t: number): boolean {
  return 4 * Math.abs(p[i - s] - p[i]) + Math.abs(p[i - 2 * s] - p[i + s]) <= t;
}

function needsFilter2(p: Uint8Array, i: number, s: number, t: number, it: number): boolean {
  const p3 = p[i - 4 * s], p2 = p[i - 3 * s], p1 = p[i - 2 * s], p0 = p[i - s];
  const q0 = p[i], q1 = p[i + s], q2 = p[i + 2 * s], q3 = p[i + 3 * s];
  if (4 * Math.abs(p0 - q0) + Math.abs(p1 - q1) > t) return false;
  return Math.abs(p3 - p2) <= it && Math.abs(p2 - p1) <= it && Math.abs(p1 - p0) <= it &&
    Math.abs(q3 - q2) <= it && Math.abs(q2 - q1) <= it && Math.abs(q1 - q0) <= it;
}

function hev(p: Uint8Array, i: number, s: number, t: number): boolean {
  return Math.abs(p[i - 2 * s] - p[i - s]) > t || Math.abs(p[i + s] - p[i]) > t;
}

/** Filters `size` pixels across one edge: hstride crosses the edge, vstride walks along it. */
function loop(
  p: Uint8Array, i: number, hs: number, vs: number, size: number, thresh: number, it: number, hevT: number, mbEdge: boolean,
): void {
  const t2 = 2 * thresh + 1;
  for (let k = 0; k < size; k++, i += vs) {
    if (!needsFilter2(p, i, hs, t2, it)) continue;
    if (hev(p, i, hs, hevT)) filter2(p, i, hs);
    else if (mbEdge) filter6(p, i, hs);
    else filter4(p, i, hs);
  }
}

function simple(p: Uint8Array, i: number, hs: number, vs: number, thresh: number): void {
  const t2 = 2 * thresh + 1;
  for (let k = 0; k < 16; k++, i += vs) if (needsFilter(p, i, hs, t2)) filter2(p, i, hs);
}

export function filterFrame(
  Y: Uint8Array, U: Uint8Array, V: Uint8Array, ys: number, uvs: number, mbW: number, mbH: number,
  info: readonly FilterInfo[], simpleFilter: boolean,
): void {
  for (let mby = 0; mby < mbH; mby++) {
    for (let mbx = 0; mbx < mbW; mbx++) {
      const f = info[mby * mbW + mbx];
      const limit = f.limit;
      if (limit === 0) continue;
      const y0 = mby * 16 * ys + mbx * 16;
      if (simpleFilter) {
        if (mbx > 0) simple(Y, y0, 1, ys, limit + 4);
        if (f.inner) for (let k = 4; k < 16; k += 4) simple(Y, y0 + k, 1, ys, limit);
        if (mby > 0) simple(Y, y0, ys, 1, limit + 4);
        if (f.inner) for (let k = 4; k < 16; k += 4) simple(Y, y0 + k * ys, ys, 1, limit);
        continue;
      }
      const c0 = mby * 8 * uvs + mbx * 8;
      const il = f.ilevel;
      const ht = f.hevThresh;
      if (mbx > 0) {
        loop(Y, y0, 1, ys, 16, limit + 4, il, ht, true);
        loop(U, c0, 1, uvs, 8, limit + 4, il, ht, true);
        loop(V, c0, 1, uvs, 8, limit + 4, il, ht, true);
      }
      if (f.inner) {
        for (let k = 4; k < 16; k += 4) loop(Y, y0 + k, 1, ys, 16, limit, il, ht, false);
        loop(U, c0 + 4, 1, uvs, 8, limit, il, ht, false);
        loop(V, c0 + 4, 1, uvs, 8, limit, il, ht, false);
      }
      if (mby > 0) {
        loop(Y, y0, ys, 1, 16, limit + 4, il, ht, true);
        loop(U, c0, uvs, 1, 8, limit + 4, il, ht, true);
        loop(V, c0, uvs, 1, 8, limit + 4, il, ht, true);
      }
      if (f.inner) {
        for (let k = 4; k < 16; k += 4) loop(Y, y0 + k * ys, ys, 1, 16, limit, il, ht, false);
        loop(U, c0 + 4 * uvs, uvs, 1, 8, limit, il, ht, false);
        loop(V, c0 + 4 * uvs, uvs, 1, 8, limit, il, ht, false);
      }
    }
  }
}
