// VP8 intra prediction + residual add, with libwebp's frame-edge conventions: the row above the
// picture reads 127, the column left of it 129 (corner 127 on the first row, 129 below it).

const clip8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** libwebp's TransformOne: inverse 4x4 DCT of coef[at..at+16) added onto buf (stride). */
export function transformAdd(coef: Int16Array, at: number, buf: Uint8Array, off: number, stride: number, tmp: Int32Array): void {
  for (let i = 0; i < 4; i++) {
    const i0 = coef[at + i];
    const i4 = coef[at + 4 + i];
    const i8 = coef[at + 8 + i];
    const i12 = coef[at + 12 + i];
    const a = i0 + i8;
    const b = i0 - i8;
    const c = ((i4 * 35468) >> 16) - (((i12 * 20091) >> 16) + i12);
    const d = (((i4 * 20091) >> 16) + i4) + ((i12 * 35468) >> 16);
    tmp[4 * i] = a + d;
    tmp[4 * i + 1] = b + c;
    tmp[4 * i + 2] = b - c;
    tmp[4 * i + 3] = a - d;
  }
  for (let i = 0; i < 4; i++) {
    const dc = tmp[i] + 4;
    const a = dc + tmp[8 + i];
    const b = dc - tmp[8 + i];
    const c = ((tmp[4 + i] * 35468) >> 16) - (((tmp[12 + i] * 20091) >> 16) + tmp[12 + i]);
    const d = (((tmp[4 + i] * 20091) >> 16) + tmp[4 + i]) + ((tmp[12 + i] * 35468) >> 16);
    const o = off + i * stride;
    buf[o] = clip8(buf[o] + ((a + d) >> 3));
    buf[o + 1] = clip8(buf[o + 1] + ((b + c) >> 3));
    buf[o + 2] = clip8(buf[o + 2] + ((b - c) >> 3));
    buf[o + 3] = clip8(buf[o + 3] + ((a - d) >> 3));
  }
}

const LS = 21; // luma work stride: column -1, 16 pixels, 4 above-right
const work = new Uint8Array(LS * 17);
const cwork = new Uint8Array(9 * 9);
const tmp = new Int32Array(16);

/** Fills the work buffer's top row / left column for the macroblock at (mbx, mby). */
function loadEdges(
  plane: Uint8Array, stride: number, size: number, mbx: number, mby: number, buf: Uint8Array, bs: number, right: number,
  lastColumn: boolean,
): void {
  const x0 = mbx * size;
  const y0 = mby * size;
  if (mby === 0) {
    buf.fill(127, 0, bs);
  } else {
    const above = (y0 - 1) * stride + x0;
    buf[0] = mbx === 0 ? 129 : plane[above - 1];
    for (let x = 0; x < size; x++) buf[1 + x] = plane[above + x];
    for (let x = 0; x < right; x++) buf[1 + size + x] = lastColumn ? plane[above + size - 1] : plane[above + size + x];
  }
  for (let y = 0; y < size; y++) buf[(y + 1) * bs] = mbx === 0 ? 129 : plane[(y0 + y) * stride + x0 - 1];
}

function store(plane: Uint8Array, stride: number, size: number, mbx: number, mby: number, buf: Uint8Array, bs: number): void {
  for (let y = 0; y < size; y++) {
    const o = (mby * size + y) * stride + mbx * size;
    for (let x = 0; x < size; x++) plane[o + x] = buf[(y + 1) * bs + 1 + x];
  }
}

/** 16x16 or 8x8 whole-block prediction (mode: 0 DC, 1 TM, 2 V, 3 H) into buf at (1,1). */
function predictBlock(buf: Uint8Array, bs: number, size: number, mode: number, hasTop: boolean, hasLeft: boolean): void {
  const shift = size === 16 ? 4 : 3;
  if (mode === 0) {
    let dc: number;
    let sum = 0;
    if (hasTop && hasLeft) {
      for (let i = 0; i < size; i++) sum += buf[1 + i] + buf[(i + 1) * bs];
      dc = (sum + size) >> (shift + 1);
    } else if (hasTop) {
      for (let i = 0; i < size; i++) sum += buf[1 + i];
      dc = (sum + (size >> 1)) >> shift;
    } else if (hasLeft) {
      for (let i = 0; i < size; i++) sum += buf[(i + 1) * bs];
      dc = (sum + (size >> 1)) >> shift;
    } else dc = 128;
    for (let y = 0; y < size; y++) buf.fill(dc, (y + 1) * bs + 1, (y + 1) * bs + 1 + size);
    return;
  }
  for (let y = 0; y < size; y++) {
    const row = (y + 1) * bs;
    for (let x = 0; x < size; x++) {
      buf[row + 1 + x] = mode === 2 ? buf[1 + x] : mode === 3 ? buf[row] : clip8(buf[row] + buf[1 + x] - buf[0]);
    }
  }
}

export function predictLuma16(plane: Uint8Array, stride: number, mbx: number, mby: number, mode: number, coeffs: Int16Array): void {
  loadEdges(plane, stride, 16, mbx, mby, work, LS, 4, false);
  predictBlock(work, LS, 16, mode, mby > 0, mbx > 0);
  for (let n = 0; n < 16; n++) transformAdd(coeffs, n * 16, work, (1 + 4 * (n >> 2)) * LS + 1 + 4 * (n & 3), LS, tmp);
  store(plane, stride, 16, mbx, mby, work, LS);
}

export function predictChroma(plane: Uint8Array, stride: number, mbx: number, mby: number, mode: number, coeffs: Int16Array, at: number): void {
  loadEdges(plane, stride, 8, mbx, mby, cwork, 9, 0, false);
  predictBlock(cwork, 9, 8, mode, mby > 0, mbx > 0);
  for (let n = 0; n < 4; n++) transformAdd(coeffs, at + n * 16, cwork, (1 + 4 * (n >> 1)) * 9 + 1 + 4 * (n & 1), 9, tmp);
  store(plane, stride, 8, mbx, mby, cwork, 9);
}

const avg3 = (a: number, b: number, c: number): number => (a + 2 * b + c + 2) >> 2;
const avg2 = (a: number, b: number): number => (a + b + 1) >> 1;

export function predictLuma4(
  plane: Uint8Array, stride: number, mbx: number, mby: number, mbW: number, modes: Uint8Array, coeffs: Int16Array,
): void {
  const w = work;
  loadEdges(plane, stride, 16, mbx, mby, w, LS, 4, mbx === mbW - 1);
  for (let r = 4; r <= 12; r += 4) for (let x = 0; x < 4; x++) w[r * LS + 17 + x] = w[17 + x];
  for (let n = 0; n < 16; n++) {
    const o = (1 + 4 * (n >> 2)) * LS + 1 + 4 * (n & 3); // top-left pixel of the sub-block
    const t = o - LS; // row above
    const X = w[t - 1];
    const A = w[t], B = w[t + 1], C = w[t + 2], D = w[t + 3], E = w[t + 4], Fv = w[t + 5], G = w[t + 6], H = w[t + 7];
    const I = w[o - 1], J = w[o + LS - 1], K = w[o + 2 * LS - 1], L = w[o + 3 * LS - 1];
    const put = (x: number, y: number, v: number): void => {
      w[o + y * LS + x] = v;
    };
    switch (modes[n]) {
      case 0: {
        const dc = (A + B + C + D + I + J + K + L + 4) >> 3;
        for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) put(x, y, dc);
        break;
      }
      case 1:
        for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) put(x, y, clip8(w[o + y * LS - 1] + w[t + x] - X));
        break;
      case 2: {
        const v = [avg3(X, A, B), avg3(A, B, C), avg3(B, C, D), avg3(C, D, E)];
        for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) put(x, y, v[x]);
        break;
      }
      case 3: {
        const v = [avg3(X, I, J), avg3(I, J, K), avg3(J, K, L), avg3(K, L, L)];
        for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) put(x, y, v[y]);
        break;
      }
      case 4: // RD
        put(0, 3, avg3(J, K, L));
        put(1, 3, avg3(I, J, K)); put(0, 2, avg3(I, J, K));
        put(2, 3, avg3(X, I, J)); put(1, 2, avg3(X, I, J)); put(0, 1, avg3(X, I, J));
        put(3, 3, avg3(A, X, I)); put(2, 2, avg3(A, X, I)); put(1, 1, avg3(A, X, I)); put(0, 0, avg3(A, X, I));
        put(3, 2, avg3(B, A, X)); put(2, 1, avg3(B, A, X)); put(1, 0, avg3(B, A, X));
        put(3, 1, avg3(C, B, A)); put(2, 0, avg3(C, B, A));
        put(3, 0, avg3(D, C, B));
        break;
      case 5: // VR
        put(0, 0, avg2(X, A)); put(1, 2, avg2(X, A));
        put(1, 0, avg2(A, B)); put(2, 2, avg2(A, B));
        put(2, 0, avg2(B, C)); put(3, 2, avg2(B, C));
        put(3, 0, avg2(C, D));
        put(0, 3, avg3(K, J, I));
        put(0, 2, avg3(J, I, X));
        put(0, 1, avg3(I, X, A)); put(1, 3, avg3(I, X, A));
        put(1, 1, avg3(X, A, B)); put(2, 3, avg3(X, A, B));
        put(2, 1, avg3(A, B, C)); put(3, 3, avg3(A, B, C));
        put(3, 1, avg3(B, C, D));
        break;
      case 6: // LD
        put(0, 0, avg3(A, B, C));
        put(1, 0, avg3(B, C, D)); put(0, 1, avg3(B, C, D));
        put(2, 0, avg3(C, D, E)); put(1, 1, avg3(C, D, E)); put(0, 2, avg3(C, D, E));
        put(3, 0, avg3(D, E, Fv)); put(2, 1, avg3(D, E, Fv)); put(1, 2, avg3(D, E, Fv)); put(0, 3, avg3(D, E, Fv));
        put(3, 1, avg3(E, Fv, G)); put(2, 2, avg3(E, Fv, G)); put(1, 3, avg3(E, Fv, G));
        put(3, 2, avg3(Fv, G, H)); put(2, 3, avg3(Fv, G, H));
        put(3, 3, avg3(G, H, H));
        break;
      case 7: // VL
        put(0, 0, avg2(A, B));
        put(1, 0, avg2(B, C)); put(0, 2, avg2(B, C));
        put(2, 0, avg2(C, D)); put(1, 2, avg2(C, D));
        put(3, 0, avg2(D, E)); put(2, 2, avg2(D, E));
        put(0, 1, avg3(A, B, C));
        put(1, 1, avg3(B, C, D)); put(0, 3, avg3(B, C, D));
        put(2, 1, avg3(C, D, E)); put(1, 3, avg3(C, D, E));
        put(3, 1, avg3(D, E, Fv)); put(2, 3, avg3(D, E, Fv));
        put(3, 2, avg3(E, Fv, G));
        put(3, 3, avg3(Fv, G, H));
        break;
      case 8: // HD
        put(0, 0, avg2(I, X)); put(2, 1, avg2(I, X));
        put(0, 1, avg2(J, I)); put(2, 2, avg2(J, I));
        put(0, 2, avg2(K, J)); put(2, 3, avg2(K, J));
        put(0, 3, avg2(L, K));
        put(3, 0, avg3(A, B, C));
        put(2, 0, avg3(X, A, B));
        put(1, 0, avg3(I, X, A)); put(3, 1, avg3(I, X, A));
        put(1, 1, avg3(J, I, X)); put(3, 2, avg3(J, I, X));
        put(1, 2, avg3(K, J, I)); put(3, 3, avg3(K, J, I));
        put(1, 3, avg3(L, K, J));
        break;
      default: // HU
        put(0, 0, avg2(I, J));
        put(2, 0, avg2(J, K)); put(0, 1, avg2(J, K));
        put(2, 1, avg2(K, L)); put(0, 2, avg2(K, L));
        put(1, 0, avg3(I, J, K));
        put(3, 0, avg3(J, K, L)); put(1, 1, avg3(J, K, L));
        put(3, 1, avg3(K, L, L)); put(1, 2, avg3(K, L, L));
        put(3, 2, L); put(2, 2, L); put(0, 3, L); put(1, 3, L); put(2, 3, L); put(3, 3, L);
        break;
    }
    transformAdd(coeffs, n * 16, w, o, LS, tmp);
  }
  store(plane, stride, 16, mbx, mby, w, LS);
}
