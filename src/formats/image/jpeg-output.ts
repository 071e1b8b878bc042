// libjpeg(-turbo)'s default output path, bit-exact: islow integer IDCT (jidctint.c), fancy chroma
// upsampling (jdsample.c h2v1/h2v2/h1v2 triangle filters), and YCbCr->RGB with jdcolor.c's tables.

const CONST_BITS = 13;
const PASS1_BITS = 2;
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

/** libjpeg's post-IDCT range limit: index (x & 1023) of the descaled value, centred on 128. */
const IDCT_LIMIT = (() => {
  const t = new Uint8Array(1024);
  for (let m = 0; m < 1024; m++) t[m] = m < 128 ? m + 128 : m < 512 ? 255 : m < 896 ? 0 : m - 896;
  return t;
})();

function descale(x: number, n: number): number {
  return Math.floor((x + 2 ** (n - 1)) / 2 ** n);
}

/**
 * jpeg_idct_islow: dequantises `coef` (64 entries at `at`, natural order) with `quant` and writes
 * an 8x8 block of samples into `out` at `outAt` with row stride `stride`. `ws` is a 64-entry scratch.
 */
export function idctIslow(
  coef: Int16Array, at: number, quant: Uint16Array, out: Uint8Array, outAt: number, stride: number, ws: Float64Array,
): void {
  for (let c = 0; c < 8; c++) {
    const i = at + c;
    let z2 = coef[i + 16] * quant[c + 16];
    let z3 = coef[i + 48] * quant[c + 48];
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 + z3 * -FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    z2 = coef[i] * quant[c];
    z3 = coef[i + 32] * quant[c + 32];
    let tmp0 = (z2 + z3) * 8192;
    let tmp1 = (z2 - z3) * 8192;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = coef[i + 56] * quant[c + 56];
    tmp1 = coef[i + 40] * quant[c + 40];
    tmp2 = coef[i + 24] * quant[c + 24];
    tmp3 = coef[i + 8] * quant[c + 8];
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp0 *= FIX_0_298631336;
    tmp1 *= FIX_2_053119869;
    tmp2 *= FIX_3_072711026;
    tmp3 *= FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    const sh = CONST_BITS - PASS1_BITS;
    ws[c] = descale(tmp10 + tmp3, sh);
    ws[c + 56] = descale(tmp10 - tmp3, sh);
    ws[c + 8] = descale(tmp11 + tmp2, sh);
    ws[c + 48] = descale(tmp11 - tmp2, sh);
    ws[c + 16] = descale(tmp12 + tmp1, sh);
    ws[c + 40] = descale(tmp12 - tmp1, sh);
    ws[c + 24] = descale(tmp13 + tmp0, sh);
    ws[c + 32] = descale(tmp13 - tmp0, sh);
  }
  const sh = CONST_BITS + PASS1_BITS + 3;
  for (let r = 0; r < 8; r++) {
    const w = r * 8;
    let z2 = ws[w + 2];
    let z3 = ws[w + 6];
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 + z3 * -FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    let tmp0 = (ws[w] + ws[w + 4]) * 8192;
    let tmp1 = (ws[w] - ws[w + 4]) * 8192;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = ws[w + 7];
    tmp1 = ws[w + 5];
    tmp2 = ws[w + 3];
    tmp3 = ws[w + 1];
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp0 *= FIX_0_298631336;
    tmp1 *= FIX_2_053119869;
    tmp2 *= FIX_3_072711026;
    tmp3 *= FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    const o = outAt + r * stride;
    out[o] = IDCT_LIMIT[descale(tmp10 + tmp3, sh) & 1023];
    out[o + 7] = IDCT_LIMIT[descale(tmp10 - tmp3, sh) & 1023];
    out[o + 1] = IDCT_LIMIT[descale(tmp11 + tmp2, sh) & 1023];
    out[o + 6] = IDCT_LIMIT[descale(tmp11 - tmp2, sh) & 1023];
    out[o + 2] = IDCT_LIMIT[descale(tmp12 + tmp1, sh) & 1023];
    out[o + 5] = IDCT_LIMIT[descale(tmp12 - tmp1, sh) & 1023];
    out[o + 3] = IDCT_LIMIT[descale(tmp13 + tmp0, sh) & 1023];
    out[o + 4] = IDCT_LIMIT[descale(tmp13 - tmp0, sh) & 1023];
  }
}

/**
 * Upsamples one component plane (`planeW` stride; `dw` x `dh` real samples) by (hx, vx) into
 * `out` (outW x outH) the way libjpeg-turbo does with do_fancy_upsampling on.
 */
export function upsample(
  plane: Uint8Array, planeW: number, dw: number, dh: number, hx: number, vx: number,
  out: Uint8Array, outW: number, outH: number,
): void {
  const row = (r: number): number => (r < 0 ? 0 : r >= dh ? dh - 1 : r) * planeW;
  if (hx === 1 && vx === 1) {
    for (let y = 0; y < outH; y++) out.set(plane.subarray(y * planeW, y * planeW + outW), y * outW);
    return;
  }
  const fullW = dw * hx;
  const line = new Uint8Array(fullW + 2);
  if (hx === 2 && vx === 2 && dw > 2) {
    for (let y = 0; y < outH; y++) {
      const r0 = row(y >> 1);
      const r1 = row((y & 1) === 0 ? (y >> 1) - 1 : (y >> 1) + 1);
      let thisSum = plane[r0] * 3 + plane[r1];
      let nextSum = plane[r0 + 1] * 3 + plane[r1 + 1];
      line[0] = (thisSum * 4 + 8) >> 4;
      line[1] = (thisSum * 3 + nextSum + 7) >> 4;
      let lastSum = thisSum;
      thisSum = nextSum;
      for (let x = 1; x < dw - 1; x++) {
        nextSum = plane[r0 + x + 1] * 3 + plane[r1 + x + 1];
        line[2 * x] = (thisSum * 3 + lastSum + 8) >> 4;
        line[2 * x + 1] = (thisSum * 3 + nextSum + 7) >> 4;
        lastSum = thisSum;
        thisSum = nextSum;
      }
      line[2 * dw - 2] = (thisSum * 3 + lastSum + 8) >> 4;
      line[2 * dw - 1] = (thisSum * 4 + 7) >> 4;
      out.set(line.subarray(0, outW), y * outW);
    }
    return;
  }
  if (hx === 2 && vx === 1 && dw > 2) {
    for (let y = 0; y < outH; y++) {
      const r0 = y * planeW;
      line[0] = plane[r0];
      line[1] = (plane[r0] * 3 + plane[r0 + 1] + 2) >> 2;
      for (let x = 1; x < dw - 1; x++) {
        const v = plane[r0 + x] * 3;
        line[2 * x] = (v + plane[r0 + x - 1] + 1) >> 2;
        line[2 * x + 1] = (v + plane[r0 + x + 1] + 2) >> 2;
      }
      line[2 * dw - 2] = (plane[r0 + dw - 1] * 3 + plane[r0 + dw - 2] + 1) >> 2;
      line[2 * dw - 1] = plane[r0 + dw - 1];
      out.set(line.subarray(0, outW), y * outW);
    }
    return;
  }
  if (hx === 1 && vx === 2) {
    for (let y = 0; y < outH; y++) {
      const r0 = row(y >> 1);
      const lower = (y & 1) === 1;
      const r1 = row(lower ? (y >> 1) + 1 : (y >> 1) - 1);
      const bias = lower ? 2 : 1;
      for (let x = 0; x < outW; x++) out[y * outW + x] = (plane[r0 + x] * 3 + plane[r1 + x] + bias) >> 2;
    }
    return;
  }
  for (let y = 0; y < outH; y++) {
    const r0 = Math.floor(y / vx) * planeW;
    for (let x = 0; x < outW; x++) out[y * outW + x] = plane[r0 + Math.floor(x / hx)];
  }
}

const SCALE = 65536;
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Float64Array(256);
const CB_G = new Float64Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = Math.floor((Math.floor(1.402 * SCALE + 0.5) * x + 32768) / SCALE);
  CB_B[i] = Math.floor((Math.floor(1.772 * SCALE + 0.5) * x + 32768) / SCALE);
  CR_G[i] = -Math.floor(0.71414 * SCALE + 0.5) * x;
  CB_G[i] = -Math.floor(0.34414 * SCALE + 0.5) * x + 32768;
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** jdcolor.c ycc_rgb_convert over n pixels into interleaved RGB. */
export function yccToRgb(y: Uint8Array, cb: Uint8Array, cr: Uint8Array, out: Uint8Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const l = y[i];
    const b = cb[i];
    const r = cr[i];
    out[3 * i] = clamp255(l + CR_R[r]);
    out[3 * i + 1] = clamp255(l + Math.floor((CB_G[b] + CR_G[r]) / SCALE));
    out[3 * i + 2] = clamp255(l + CB_B[b]);
  }
}
