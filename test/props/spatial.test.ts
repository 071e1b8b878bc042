// GridSample, AffineGrid, Col2Im, DeformConv, CenterCropPad and MaxUnpool against plain
// per-output formulas written here from the ONNX definitions.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16 } from '../../kernels/float16.js';
import { spatialOps } from '../../ops/onnx/spatial.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import { isClose } from '../helpers/allclose.js';

type AttrValue = number | string | readonly number[];

function runOp(name: string, opset: number, attrs: Record<string, AttrValue>, inputs: (Tensor | undefined)[]): Tensor[] {
  const d = spatialOps.filter((o) => o.name === name && o.since <= opset).sort((a, b) => b.since - a.since)[0]!;
  const map = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'number') map.set(k, { type: 'int', value: v });
    else if (typeof v === 'string') map.set(k, { type: 'string', value: v, bytes: new TextEncoder().encode(v) });
    else map.set(k, { type: 'ints', value: v });
  }
  const parsed = d.parse ? d.parse(new Attrs(map), undefined as never) : undefined;
  return d.run(inputs, parsed, undefined as unknown as OpContext) as Tensor[];
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
const f64 = (v: readonly number[], dims: readonly number[]) => new Tensor('float64', Float64Array.from(v), dims);
const i64 = (v: readonly number[]) => new Tensor('int64', v.map(BigInt), [v.length]);

function unravel(i: number, dims: readonly number[]): number[] {
  const idx = new Array<number>(dims.length);
  for (let a = dims.length - 1; a >= 0; a--) {
    idx[a] = i % dims[a]!;
    i = Math.floor(i / dims[a]!);
  }
  return idx;
}
const ravel = (idx: readonly number[], dims: readonly number[]) => idx.reduce((o, v, a) => o * dims[a]! + v, 0);

function expectClose(got: ArrayLike<number>, want: readonly number[], tol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!isClose(got[i]!, want[i]!, { rtol: tol, atol: tol })) expect.fail(`element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

// ---- GridSample ----

type Mode = 'nearest' | 'linear' | 'cubic';
type Padding = 'zeros' | 'border' | 'reflection';

function reflect(v: number, lo: number, hi: number): number {
  const span = hi - lo;
  if (span <= 0) return lo;
  let u = v;
  // Fold repeatedly, as a mirror would (the kernel does this with a division).
  if (u < lo || u > hi) {
    const period = 2 * span;
    let t = (u - lo) % period;
    if (t < 0) t += period;
    u = t <= span ? lo + t : lo + period - t;
  }
  return u;
}

function keys(t: number): number[] {
  const a = -0.75;
  const k = (s: number) => {
    const x = Math.abs(s);
    if (x <= 1) return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1;
    if (x < 2) return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a;
    return 0;
  };
  return [k(t + 1), k(t), k(1 - t), k(2 - t)];
}

function roundEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

function refGridSample(
  x: readonly number[], xDims: readonly number[], grid: readonly number[], gDims: readonly number[],
  mode: Mode, padding: Padding, align: boolean,
): number[] {
  const [N, C] = xDims as [number, number];
  const sp = xDims.slice(2);
  const r = sp.length;
  const outSp = gDims.slice(1, r + 1);
  const P = size(outSp);
  const out = new Array<number>(N * C * P).fill(0);
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < P; p++) {
      // Per axis: list of [index or -1, weight]; or a whole-point verdict.
      const axes: [number, number][][] = [];
      let verdict: number | null = null;
      for (let i = 0; i < r; i++) {
        const d = sp[i]!;
        const gv = grid[(n * P + p) * r + (r - 1 - i)]!;
        const lo = align ? 0 : -0.5;
        const hi = align ? d - 1 : d - 0.5;
        let c = align ? ((gv + 1) * (d - 1)) / 2 : ((gv + 1) * d - 1) / 2;
        if (mode === 'nearest') c = roundEven(c);
        if (padding === 'border' && (c < lo || c > hi)) c = Math.min(Math.max(c, 0), d - 1);
        if (padding === 'reflection' && (c < lo || c > hi)) c = Number.isFinite(c) ? reflect(c, lo, hi) : NaN;
        if (!Number.isFinite(c)) { verdict = padding === 'zeros' ? 0 : NaN; break; }
        const read = (k: number): number => {
          if (k >= 0 && k < d) return k;
          if (padding === 'zeros') return -1;
          if (padding === 'border') return Math.min(Math.max(k, 0), d - 1);
          return Math.min(Math.max(Math.trunc(reflect(k, lo, hi)), 0), d - 1);
        };
        const f = Math.floor(c);
        if (mode === 'nearest') axes.push([[read(Math.trunc(c)), 1]]);
        else if (mode === 'linear') axes.push([[read(f), 1 - (c - f)], [read(f + 1), c - f]]);
        else axes.push(keys(c - f).map((w, t) => [read(f - 1 + t), w]));
      }
      for (let ch = 0; ch < C; ch++) {
        const o = (n * C + ch) * P + p;
        if (verdict !== null) { out[o] = verdict; continue; }
        // Sum over every combination of taps.
        const walk = (axis: number, idx: number[], w: number): number => {
          if (axis === r) return w * x[(n * C + ch) * size(sp) + ravel(idx, sp)]!;
          let s = 0;
          for (const [k, wk] of axes[axis]!) if (k >= 0) s += walk(axis + 1, [...idx, k], w * wk);
          return s;
        };
        out[o] = walk(0, [], 1);
      }
    }
  }
  return out;
}

const gridCase = fc.integer({ min: 1, max: 3 }).chain((r) => fc.record({
  N: fc.integer({ min: 0, max: 2 }),
  C: fc.integer({ min: 1, max: 2 }),
  sp: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: r, maxLength: r }),
  outSp: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: r, maxLength: r }),
  mode: fc.constantFrom<Mode>('nearest', 'linear', 'cubic'),
  padding: fc.constantFrom<Padding>('zeros', 'border', 'reflection'),
  align: fc.boolean(),
}).chain((g) => fc.record({
  g: fc.constant(g),
  x: fc.array(fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constantFrom(0, 1e3, -1e3)),
    { minLength: g.N * g.C * size(g.sp), maxLength: g.N * g.C * size(g.sp) }),
  grid: fc.array(fc.oneof(
    fc.double({ min: -2.5, max: 2.5, noNaN: true }),
    fc.constantFrom(-1, 1, 0, 0.5, -0.5, Infinity, -Infinity, NaN, 1e3),
  ), { minLength: g.N * size(g.outSp) * r, maxLength: g.N * size(g.outSp) * r }),
})));

describe('GridSample', () => {
  it('opset 20: N-D, every mode / padding / align_corners, against the tap-sum reference', () => {
    fc.assert(
      fc.property(gridCase, ({ g, x, grid }) => {
        const r = g.sp.length;
        const xDims = [g.N, g.C, ...g.sp];
        const gDims = [g.N, ...g.outSp, r];
        const [y] = runOp('GridSample', 22, { mode: g.mode, padding_mode: g.padding, align_corners: +g.align },
          [f64(x, xDims), f64(grid, gDims)]);
        expect(y!.dims).toEqual([g.N, g.C, ...g.outSp]);
        expectClose(y!.data as Float64Array, refGridSample(x, xDims, grid, gDims, g.mode, g.padding, g.align), 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('opset 16 takes bilinear / bicubic on 4-D float32 and float16 inputs and rejects 5-D', () => {
    fc.assert(
      fc.property(gridCase.filter(({ g }) => g.sp.length === 2), fc.boolean(), ({ g, x, grid }, half) => {
        const xDims = [g.N, g.C, ...g.sp];
        const gDims = [g.N, ...g.outSp, 2];
        const name = { nearest: 'nearest', linear: 'bilinear', cubic: 'bicubic' }[g.mode];
        let xt: Tensor;
        let xs: number[];
        if (half) {
          const h = new Uint16Array(x.length);
          float32ToFloat16(Float32Array.from(x), h);
          const back = new Float32Array(x.length);
          float16ToFloat32(h, back);
          xt = new Tensor('float16', h, xDims);
          xs = Array.from(back);
        } else {
          xt = new Tensor('float32', Float32Array.from(x), xDims);
          xs = Array.from(xt.data as Float32Array);
        }
        const gs = Array.from(Float32Array.from(grid));
        const [y] = runOp('GridSample', 16, { mode: name, padding_mode: g.padding, align_corners: +g.align },
          [xt, new Tensor('float32', Float32Array.from(gs), gDims)]);
        expect(y!.type).toBe(xt.type);
        let got: Float32Array;
        if (half) {
          got = new Float32Array(y!.size);
          float16ToFloat32(y!.data as Uint16Array, got);
        } else got = y!.data as Float32Array;
        // float32 grid coordinates differ from float64 ones by ~1e-7 relative, so allow that
        // much movement times the largest |x| (and half precision rounding).
        const ref = refGridSample(xs, xDims, gs, gDims, g.mode, g.padding, g.align);
        const scale = Math.max(1, ...xs.map(Math.abs));
        ref.forEach((w, i) => {
          if (Number.isNaN(w)) expect(got[i]).toBeNaN();
          else expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual((half ? 2e-3 : 1e-5) * scale * 4);
        });
      }),
      { numRuns: 100 },
    );
    const x5 = f64(new Array(8).fill(1), [1, 1, 2, 2, 2]);
    expect(() => runOp('GridSample', 16, {}, [x5, f64(new Array(24).fill(0), [1, 2, 2, 2, 3])])).toThrow(/4-D/);
    expect(() => runOp('GridSample', 20, { mode: 'bilinear' }, [x5, x5])).toThrow(/unknown mode 'bilinear'/);
  });
});

// ---- AffineGrid ----

const linspace = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));

describe('AffineGrid', () => {
  it('2-D and 3-D grids equal theta applied to the base grid', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 3 }).chain((r) => fc.record({
          N: fc.integer({ min: 0, max: 2 }),
          sp: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: r, maxLength: r }),
          align: fc.boolean(),
          theta: fc.array(fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constantFrom(0, 1, -1)), { minLength: 2 * 12, maxLength: 2 * 12 }),
        })),
        ({ N, sp, align, theta }) => {
          const r = sp.length;
          const th = theta.slice(0, N * r * (r + 1));
          const [y] = runOp('AffineGrid', 20, { align_corners: +align }, [f64(th, [N, r, r + 1]), i64([N, 3, ...sp])]);
          expect(y!.dims).toEqual([N, ...sp, r]);
          // Base coordinate along each axis: pixel centres (or corners) mapped into [-1, 1].
          const base = sp.map((d) => (align ? linspace(-1, 1, d) : linspace(-1 + 1 / d, 1 - 1 / d, d)));
          const want: number[] = [];
          for (let n = 0; n < N; n++) {
            for (let p = 0; p < size(sp); p++) {
              const idx = unravel(p, sp);
              // Homogeneous (x, y[, z], 1): x runs along the last axis.
              const h = [...idx.map((v, a) => base[a]![v]!).reverse(), 1];
              for (let k = 0; k < r; k++) want.push(h.reduce((s, v, j) => s + th[(n * r + k) * (r + 1) + j]! * v, 0));
            }
          }
          expectClose(y!.data as Float64Array, want, 1e-9);
        },
      ),
      { numRuns: 150 },
    );
  });
});

// ---- Col2Im ----

describe('Col2Im', () => {
  it('each image pixel sums the column entries that map onto it (strides, dilations, pads, 1-3 axes)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }).chain((r) => fc.record({
          N: fc.integer({ min: 0, max: 2 }), C: fc.integer({ min: 1, max: 2 }),
          image: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: r, maxLength: r }),
          block: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: r, maxLength: r }),
          strides: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: r, maxLength: r }),
          dil: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: r, maxLength: r }),
          pads: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2 * r, maxLength: 2 * r }),
          seed: fc.array(fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constantFrom(Infinity, -Infinity, NaN)), { minLength: 1, maxLength: 40 }),
        })).filter((c) => c.image.every((d, i) => d + c.pads[i]! + c.pads[i + c.image.length]! >= c.dil[i]! * (c.block[i]! - 1) + 1)),
        (c) => {
          const r = c.image.length;
          const grid = c.image.map((d, i) => Math.floor((d + c.pads[i]! + c.pads[i + r]! - c.dil[i]! * (c.block[i]! - 1) - 1) / c.strides[i]!) + 1);
          const K = size(c.block);
          const L = size(grid);
          const dims = [c.N, c.C * K, L];
          const col = Array.from({ length: size(dims) }, (_, i) => c.seed[i % c.seed.length]!);
          const [y] = runOp('Col2Im', 18, { strides: c.strides, dilations: c.dil, pads: c.pads },
            [f64(col, dims), i64(c.image), i64(c.block)]);
          expect(y!.dims).toEqual([c.N, c.C, ...c.image]);
          const want: number[] = [];
          for (let nc = 0; nc < c.N * c.C; nc++) {
            for (let q = 0; q < size(c.image); q++) {
              const pix = unravel(q, c.image);
              let s = 0;
              for (let k = 0; k < K; k++) {
                const kk = unravel(k, c.block);
                // Block position l with l * stride - pad + k * dilation = pixel, per axis.
                const l = pix.map((v, i) => (v + c.pads[i]! - kk[i]! * c.dil[i]!) / c.strides[i]!);
                if (l.every((v, i) => Number.isInteger(v) && v >= 0 && v < grid[i]!)) s += col[(nc * K + k) * L + ravel(l, grid)]!;
              }
              want.push(s);
            }
          }
          expectClose(y!.data as Float64Array, want, 1e-12);
        },
      ),
      { numRuns: 200 },
    );
  });
});

// ---- DeformConv ----

function bilinear(x: readonly number[], base: number, H: number, W: number, h: number, w: number): number {
  if (!Number.isFinite(h) || !Number.isFinite(w)) return 0;
  const at = (i: number, j: number) => (i >= 0 && i < H && j >= 0 && j < W ? x[base + i * W + j]! : 0);
  const h0 = Math.floor(h);
  const w0 = Math.floor(w);
  const dh = h - h0;
  const dw = w - w0;
  return (1 - dh) * (1 - dw) * at(h0, w0) + (1 - dh) * dw * at(h0, w0 + 1) + dh * (1 - dw) * at(h0 + 1, w0) + dh * dw * at(h0 + 1, w0 + 1);
}

describe('DeformConv', () => {
  it('matches the per-output deformable sum (groups, offset groups, mask, bias, strides, pads)', () => {
    fc.assert(
      fc.property(
        fc.record({
          N: fc.integer({ min: 1, max: 2 }), group: fc.integer({ min: 1, max: 2 }), og: fc.integer({ min: 1, max: 2 }),
          cpg: fc.integer({ min: 1, max: 2 }), ocpg: fc.integer({ min: 1, max: 2 }),
          H: fc.integer({ min: 1, max: 4 }), W: fc.integer({ min: 1, max: 4 }),
          kh: fc.integer({ min: 1, max: 2 }), kw: fc.integer({ min: 1, max: 3 }),
          s: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
          d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
          pads: fc.tuple(fc.nat(1), fc.nat(1), fc.nat(1), fc.nat(1)),
          withMask: fc.boolean(), withBias: fc.boolean(),
          pool: fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 7, maxLength: 7 }),
          offPool: fc.array(fc.oneof(fc.double({ min: -2, max: 2, noNaN: true }), fc.constantFrom(0, 0.5, -1, 1e3)), { minLength: 5, maxLength: 5 }),
        }).filter((c) => (c.group * c.cpg) % c.og === 0
          && c.H + c.pads[0] + c.pads[2] >= (c.kh - 1) * c.d[0] + 1 && c.W + c.pads[1] + c.pads[3] >= (c.kw - 1) * c.d[1] + 1),
        (c) => {
          const C = c.group * c.cpg;
          const OC = c.group * c.ocpg;
          const OH = Math.floor((c.H + c.pads[0] + c.pads[2] - (c.kh - 1) * c.d[0] - 1) / c.s[0]) + 1;
          const OW = Math.floor((c.W + c.pads[1] + c.pads[3] - (c.kw - 1) * c.d[1] - 1) / c.s[1]) + 1;
          const fill = (n: number, pool: number[], k: number) => Array.from({ length: n }, (_, i) => pool[(i * k + 1) % pool.length]!);
          const x = fill(c.N * C * c.H * c.W, c.pool, 3);
          const w = fill(OC * c.cpg * c.kh * c.kw, c.pool, 5);
          const off = fill(c.N * c.og * c.kh * c.kw * 2 * OH * OW, c.offPool, 3);
          const mask = fill(c.N * c.og * c.kh * c.kw * OH * OW, c.pool, 2);
          const bias = fill(OC, c.pool, 4);
          const [y] = runOp('DeformConv', 22, {
            group: c.group, offset_group: c.og, strides: c.s, dilations: c.d, pads: c.pads, kernel_shape: [c.kh, c.kw],
          }, [
            f64(x, [c.N, C, c.H, c.W]), f64(w, [OC, c.cpg, c.kh, c.kw]), f64(off, [c.N, c.og * c.kh * c.kw * 2, OH, OW]),
            c.withBias ? f64(bias, [OC]) : undefined, c.withMask ? f64(mask, [c.N, c.og * c.kh * c.kw, OH, OW]) : undefined,
          ]);
          expect(y!.dims).toEqual([c.N, OC, OH, OW]);
          const want: number[] = [];
          const cPerOg = C / c.og;
          for (let n = 0; n < c.N; n++) {
            for (let o = 0; o < OC; o++) {
              const g = Math.floor(o / c.ocpg);
              for (let i = 0; i < OH; i++) {
                for (let j = 0; j < OW; j++) {
                  let s = c.withBias ? bias[o]! : 0;
                  for (let cl = 0; cl < c.cpg; cl++) {
                    const ch = g * c.cpg + cl;
                    const og = Math.floor(ch / cPerOg);
                    for (let a = 0; a < c.kh; a++) {
                      for (let b = 0; b < c.kw; b++) {
                        const t = a * c.kw + b;
                        const oh = off[(((n * c.og + og) * c.kh * c.kw + t) * 2) * OH * OW + i * OW + j]!;
                        const ow = off[(((n * c.og + og) * c.kh * c.kw + t) * 2 + 1) * OH * OW + i * OW + j]!;
                        const m = c.withMask ? mask[((n * c.og + og) * c.kh * c.kw + t) * OH * OW + i * OW + j]! : 1;
                        const h = i * c.s[0] - c.pads[0] + a * c.d[0] + oh;
                        const ww = j * c.s[1] - c.pads[1] + b * c.d[1] + ow;
                        s += w[((o * c.cpg + cl) * c.kh + a) * c.kw + b]! * m * bilinear(x, (n * C + ch) * c.H * c.W, c.H, c.W, h, ww);
                      }
                    }
                  }
                  want.push(s);
                }
              }
            }
          }
          expectClose(y!.data as Float64Array, want, 1e-9);
        },
      ),
      { numRuns: 150 },
    );
  });
});

// ---- CenterCropPad ----

describe('CenterCropPad', () => {
  it('crops / zero-pads the listed axes around the centre (negative axes, empty dims, any type)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }).chain((dims) => fc.record({
          dims: fc.constant(dims),
          target: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: dims.length, maxLength: dims.length }),
          pick: fc.array(fc.boolean(), { minLength: dims.length, maxLength: dims.length }),
          negative: fc.boolean(),
          useAxes: fc.boolean(),
          type: fc.constantFrom('float32', 'int64', 'string', 'bool'),
        })),
        ({ dims, target, pick, negative, useAxes, type }) => {
          const rank = dims.length;
          const axes = useAxes ? dims.map((_, i) => i).filter((i) => pick[i]) : dims.map((_, i) => i);
          const sizes = axes.map((a) => target[a]!);
          const vals = Array.from({ length: size(dims) }, (_, i) => i + 1);
          const make = (v: number[], d: number[]): Tensor => {
            if (type === 'int64') return new Tensor('int64', v.map(BigInt), d);
            if (type === 'string') return new Tensor('string', v.map((e) => (e === 0 ? '' : `s${e}`)), d);
            if (type === 'bool') return new Tensor('bool', Uint8Array.from(v.map((e) => (e === 0 ? 0 : e % 2))), d);
            return new Tensor('float32', Float32Array.from(v), d);
          };
          const outDims = dims.slice();
          const shift = dims.map(() => 0);
          axes.forEach((a, i) => {
            const want = sizes[i]!;
            outDims[a] = want;
            // Input index = output index + shift (crop: skip the smaller half; pad: lead with it).
            shift[a] = dims[a]! >= want ? Math.floor((dims[a]! - want) / 2) : -Math.floor((want - dims[a]!) / 2);
          });
          const expected = Array.from({ length: size(outDims) }, (_, q) => {
            const src = unravel(q, outDims).map((v, a) => v + shift[a]!);
            return src.every((v, a) => v >= 0 && v < dims[a]!) ? vals[ravel(src, dims)]! : 0;
          });
          const attrs: Record<string, AttrValue> = useAxes ? { axes: axes.map((a) => (negative ? a - rank : a)) } : {};
          const [y] = runOp('CenterCropPad', 18, attrs, [make(vals, dims), i64(sizes)]);
          expect(y!.dims).toEqual(outDims);
          expect(y!.data).toEqual(make(expected, outDims).data);
        },
      ),
      { numRuns: 200 },
    );
  });
});

// ---- MaxUnpool ----

describe('MaxUnpool', () => {
  it('scatters X to I in the default shape, then places that at the origin of output_shape', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }).chain((r) => fc.record({
          N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 2 }),
          inSp: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: r, maxLength: r }),
          k: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: r, maxLength: r }),
          s: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: r, maxLength: r }),
          pads: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 2 * r, maxLength: 2 * r }),
          extra: fc.option(fc.array(fc.integer({ min: -1, max: 2 }), { minLength: r, maxLength: r }), { nil: null }),
          picks: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
          half: fc.boolean(),
        })).filter((c) => c.inSp.every((d, i) => (d - 1) * c.s[i]! - c.pads[i]! - c.pads[i + c.inSp.length]! + c.k[i]! >= 1)),
        (c) => {
          const r = c.inSp.length;
          const xDims = [c.N, c.C, ...c.inSp];
          const def = [c.N, c.C, ...c.inSp.map((d, i) => (d - 1) * c.s[i]! - c.pads[i]! - c.pads[i + r]! + c.k[i]!)];
          const total = size(def);
          const n = size(xDims);
          const idx = Array.from({ length: n }, (_, i) => c.picks[i % 60]! % total);
          const vals = Array.from({ length: n }, (_, i) => (i + 1) * (i % 2 ? -1 : 1));
          const outDims = c.extra ? [c.N, c.C, ...def.slice(2).map((d, i) => Math.max(0, d + c.extra![i]!))] : def;
          const scattered = new Array<number>(total).fill(0);
          idx.forEach((j, i) => { scattered[j] = vals[i]!; });
          const want = Array.from({ length: size(outDims) }, (_, q) => {
            const m = unravel(q, outDims);
            return m.every((v, a) => v < def[a]!) ? scattered[ravel(m, def)]! : 0;
          });
          let xt: Tensor;
          if (c.half) {
            const h = new Uint16Array(n);
            float32ToFloat16(Float32Array.from(vals), h);
            xt = new Tensor('float16', h, xDims);
          } else xt = new Tensor('float32', Float32Array.from(vals), xDims);
          const [y] = runOp('MaxUnpool', 22, { kernel_shape: c.k, strides: c.s, pads: c.pads }, [
            xt, new Tensor('int64', idx.map(BigInt), xDims), c.extra ? i64(outDims) : undefined,
          ]);
          expect(y!.dims).toEqual(outDims);
          let got: number[];
          if (c.half) {
            const f = new Float32Array(y!.size);
            float16ToFloat32(y!.data as Uint16Array, f);
            got = Array.from(f);
          } else got = Array.from(y!.data as Float32Array);
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects an index outside the output', () => {
    const x = new Tensor('float32', Float32Array.of(1), [1, 1, 1]);
    expect(() => runOp('MaxUnpool', 22, { kernel_shape: [2] }, [x, new Tensor('int64', [5n], [1, 1, 1])])).toThrow(/index 5 out of range \[0, 2\)/);
  });
});
