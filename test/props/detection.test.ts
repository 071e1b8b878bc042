// NonMaxSuppression against an O(n^2) greedy reference (full IoU matrix first), RoiAlign and
// MaxRoiPool against direct per-output-bin formulas.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectionOps } from '../../ops/onnx/detection.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';

type AttrValue = number | string | readonly number[] | { float: number };

function runOp(name: string, opset: number, attrs: Record<string, AttrValue>, inputs: (Tensor | undefined)[]): Tensor[] {
  const d = detectionOps.filter((o) => o.name === name && o.since <= opset).sort((a, b) => b.since - a.since)[0]!;
  const map = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'number') map.set(k, { type: 'int', value: v });
    else if (typeof v === 'string') map.set(k, { type: 'string', value: v, bytes: new TextEncoder().encode(v) });
    else if ('float' in v) map.set(k, { type: 'float', value: v.float });
    else map.set(k, { type: 'ints', value: v });
  }
  const parsed = d.parse ? d.parse(new Attrs(map), undefined as never) : undefined;
  return d.run(inputs, parsed, undefined as unknown as OpContext) as Tensor[];
}

const f32 = (v: readonly number[], dims: number[]) => new Tensor('float32', Float32Array.from(v), dims);

// ---- NonMaxSuppression ----

/** [xmin, ymin, xmax, ymax] of a box in either input format. */
function corners(b: readonly number[], center: boolean): [number, number, number, number] {
  if (center) return [b[0]! - b[2]! / 2, b[1]! - b[3]! / 2, b[0]! + b[2]! / 2, b[1]! + b[3]! / 2];
  return [Math.min(b[1]!, b[3]!), Math.min(b[0]!, b[2]!), Math.max(b[1]!, b[3]!), Math.max(b[0]!, b[2]!)];
}

/** IoU, or -1 when the boxes do not overlap or one is degenerate (never suppresses). */
function iou(a: readonly number[], b: readonly number[]): number {
  const iw = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const ih = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (iw <= 0 || ih <= 0) return -1;
  const inter = iw * ih;
  const areaA = (a[2]! - a[0]!) * (a[3]! - a[1]!);
  const areaB = (b[2]! - b[0]!) * (b[3]! - b[1]!);
  if (areaA <= 0 || areaB <= 0) return -1;
  return inter / (areaA + areaB - inter);
}

function refNms(
  boxes: number[][][], scores: number[][][], maxOut: number, iouThr: number, scoreThr: number | null, center: boolean,
): number[][] {
  const out: number[][] = [];
  boxes.forEach((bb, b) => {
    const c = bb.map((box) => corners(box, center));
    const m = c.map((p) => c.map((q) => iou(p, q)));
    scores[b]!.forEach((cls, k) => {
      const order = cls.map((s, i) => ({ s, i }))
        .filter(({ s }) => scoreThr === null || s > scoreThr)
        .sort((p, q) => q.s - p.s || p.i - q.i);
      const kept: number[] = [];
      for (const { i } of order) {
        if (kept.length >= maxOut) break;
        if (kept.every((j) => !(m[i]![j]! > iouThr))) kept.push(i);
      }
      for (const i of kept) out.push([b, k, i]);
    });
  });
  return out;
}

const nmsCase = fc.record({
  batches: fc.integer({ min: 0, max: 2 }),
  classes: fc.integer({ min: 0, max: 3 }),
  boxes: fc.integer({ min: 0, max: 7 }),
}).chain(({ batches, classes, boxes }) => fc.record({
  batches: fc.constant(batches),
  classes: fc.constant(classes),
  n: fc.constant(boxes),
  // Small integer coordinates: overlaps, identical and flipped boxes, zero / negative sizes.
  coords: fc.array(fc.integer({ min: -1, max: 6 }), { minLength: batches * boxes * 4, maxLength: batches * boxes * 4 }),
  scores: fc.array(fc.oneof(fc.constantFrom(0, 0.5, 0.9, 1e3, -1e3), fc.double({ min: -1, max: 1, noNaN: true })),
    { minLength: batches * classes * boxes, maxLength: batches * classes * boxes }),
  maxOut: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
  iouThr: fc.constantFrom(0, 0.1, 0.3, 0.5, 0.9, 1),
  scoreThr: fc.option(fc.constantFrom(-1e3, 0, 0.4, 0.9), { nil: null }),
  center: fc.boolean(),
  // Coordinates in {0, 1, 2}: identical boxes and IoU exactly at the threshold are frequent.
  tight: fc.boolean(),
}));

describe('NonMaxSuppression', () => {
  it('matches the greedy reference (both box formats, thresholds, limits, ties, empty inputs)', () => {
    fc.assert(
      fc.property(nmsCase, (c0) => {
        const c = c0.tight ? { ...c0, coords: c0.coords.map((v) => Math.abs(v) % 3) } : c0;
        const scoresF = Float32Array.from(c.scores);
        const boxes = Array.from({ length: c.batches }, (_, b) =>
          Array.from({ length: c.n }, (_, i) => c.coords.slice((b * c.n + i) * 4, (b * c.n + i) * 4 + 4)));
        const scores = Array.from({ length: c.batches }, (_, b) =>
          Array.from({ length: c.classes }, (_, k) => Array.from(scoresF.subarray((b * c.classes + k) * c.n, (b * c.classes + k + 1) * c.n))));
        const inputs: (Tensor | undefined)[] = [
          f32(c.coords, [c.batches, c.n, 4]),
          new Tensor('float32', scoresF, [c.batches, c.classes, c.n]),
          c.maxOut === null ? undefined : new Tensor('int64', [BigInt(c.maxOut)], [1]),
          f32([c.iouThr], [1]),
          c.scoreThr === null ? undefined : f32([c.scoreThr], [1]),
        ];
        const [y] = runOp('NonMaxSuppression', 11, { center_point_box: c.center ? 1 : 0 }, inputs);
        const ref = refNms(boxes, scores, c.maxOut ?? 0, Math.fround(c.iouThr), c.scoreThr === null ? null : Math.fround(c.scoreThr), c.center);
        expect(y!.type).toBe('int64');
        expect(y!.dims).toEqual([ref.length, 3]);
        expect(Array.from(y!.data as BigInt64Array, Number)).toEqual(ref.flat());
      }),
      { numRuns: 300 },
    );
  });

  it('rejects mismatched boxes and scores', () => {
    expect(() => runOp('NonMaxSuppression', 11, {}, [f32(new Array(8).fill(0), [1, 2, 4]), f32([1, 2, 3], [1, 1, 3])]))
      .toThrow(/scores dims \[1, 1, 3\]/);
  });
});

// ---- RoiAlign ----

interface RoiCfg {
  H: number; W: number; C: number; N: number;
  oh: number; ow: number; ratio: number; scale: number; max: boolean; half: boolean;
}

/** One sample's four (weight, value) terms, written straight from the definition. */
function sampleTerms(x: readonly number[], base: number, H: number, W: number, y: number, xx: number): number[] {
  if (y < -1 || y > H || xx < -1 || xx > W) return [0 * x[base]!, 0 * x[base]!, 0 * x[base]!, 0 * x[base]!];
  y = Math.max(y, 0);
  xx = Math.max(xx, 0);
  let y0 = Math.floor(y);
  let x0 = Math.floor(xx);
  let y1 = y0 + 1;
  let x1 = x0 + 1;
  if (y0 >= H - 1) { y0 = y1 = H - 1; y = y0; }
  if (x0 >= W - 1) { x0 = x1 = W - 1; xx = x0; }
  const ly = y - y0;
  const lx = xx - x0;
  const at = (r: number, c: number) => x[base + r * W + c]!;
  return [(1 - ly) * (1 - lx) * at(y0, x0), (1 - ly) * lx * at(y0, x1), ly * (1 - lx) * at(y1, x0), ly * lx * at(y1, x1)];
}

function refRoiAlign(x: readonly number[], rois: readonly number[], bi: readonly number[], g: RoiCfg): number[] {
  const out: number[] = [];
  const off = g.half ? 0.5 : 0;
  for (let r = 0; r < bi.length; r++) {
    const [x1, y1, x2, y2] = rois.slice(r * 4, r * 4 + 4).map((v) => v * g.scale - off) as [number, number, number, number];
    const rw = g.half ? x2 - x1 : Math.max(x2 - x1, 1);
    const rh = g.half ? y2 - y1 : Math.max(y2 - y1, 1);
    const gh = g.ratio > 0 ? g.ratio : Math.ceil(rh / g.oh);
    const gw = g.ratio > 0 ? g.ratio : Math.ceil(rw / g.ow);
    for (let c = 0; c < g.C; c++) {
      const base = (bi[r]! * g.C + c) * g.H * g.W;
      for (let ph = 0; ph < g.oh; ph++) {
        for (let pw = 0; pw < g.ow; pw++) {
          const vals: number[] = [];
          for (let iy = 0; iy < gh; iy++) {
            for (let ix = 0; ix < gw; ix++) {
              const yy = y1 + ph * (rh / g.oh) + ((iy + 0.5) * (rh / g.oh)) / gh;
              const xx = x1 + pw * (rw / g.ow) + ((ix + 0.5) * (rw / g.ow)) / gw;
              const t = sampleTerms(x, base, g.H, g.W, yy, xx);
              vals.push(g.max ? Math.max(...t) : t[0]! + t[1]! + t[2]! + t[3]!);
            }
          }
          if (g.max) out.push(vals.length ? Math.max(...vals) : 0);
          else out.push(vals.reduce((a, b) => a + b, 0) / Math.max(gh * gw, 1));
        }
      }
    }
  }
  return out;
}

const roiCase = fc.record({
  N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 2 }),
  H: fc.integer({ min: 1, max: 5 }), W: fc.integer({ min: 1, max: 5 }),
  oh: fc.integer({ min: 1, max: 3 }), ow: fc.integer({ min: 1, max: 3 }),
  ratio: fc.integer({ min: 0, max: 2 }), scale: fc.constantFrom(1, 0.5, 2),
  max: fc.boolean(), half: fc.boolean(), R: fc.integer({ min: 0, max: 3 }),
}).chain((g) => fc.record({
  g: fc.constant(g),
  x: fc.array(fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constantFrom(0, 1e3, -1e3)),
    { minLength: g.N * g.C * g.H * g.W, maxLength: g.N * g.C * g.H * g.W }),
  rois: fc.array(fc.double({ min: -2, max: 7, noNaN: true }), { minLength: g.R * 4, maxLength: g.R * 4 }),
  bi: fc.array(fc.integer({ min: 0, max: g.N - 1 }), { minLength: g.R, maxLength: g.R }),
}));

describe('RoiAlign', () => {
  it('matches the per-bin formula (avg / max, half_pixel / output_half_pixel, sampling ratio, scale)', () => {
    fc.assert(
      fc.property(roiCase, fc.boolean(), ({ g, x, rois, bi }, opset10) => {
        const xs = Array.from(Float64Array.from(x));
        const cfg: RoiCfg = { ...g, half: opset10 ? false : g.half };
        const attrs: Record<string, AttrValue> = {
          output_height: g.oh, output_width: g.ow, sampling_ratio: g.ratio,
          spatial_scale: { float: g.scale }, mode: g.max ? 'max' : 'avg',
        };
        if (!opset10) attrs.coordinate_transformation_mode = g.half ? 'half_pixel' : 'output_half_pixel';
        const [y] = runOp('RoiAlign', opset10 ? 10 : 16, attrs, [
          new Tensor('float64', Float64Array.from(xs), [g.N, g.C, g.H, g.W]),
          new Tensor('float64', Float64Array.from(rois), [g.R, 4]),
          new Tensor('int64', bi.map(BigInt), [g.R]),
        ]);
        expect(y!.dims).toEqual([g.R, g.C, g.oh, g.ow]);
        const ref = refRoiAlign(xs, rois, bi, cfg);
        const got = Array.from(y!.data as Float64Array);
        got.forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 8));
      }),
      { numRuns: 200 },
    );
  });

  it('opset 16 defaults to half_pixel; a bad batch index is rejected', () => {
    const x = new Tensor('float32', Float32Array.from({ length: 16 }, (_, i) => i), [1, 1, 4, 4]);
    const rois = f32([0, 0, 3, 3], [1, 4]);
    const bi = new Tensor('int64', [0n], [1]);
    const [d] = runOp('RoiAlign', 16, { output_height: 2, output_width: 2 }, [x, rois, bi]);
    const [h] = runOp('RoiAlign', 16, { output_height: 2, output_width: 2, coordinate_transformation_mode: 'half_pixel' }, [x, rois, bi]);
    expect(Array.from(d!.data as Float32Array)).toEqual(Array.from(h!.data as Float32Array));
    expect(() => runOp('RoiAlign', 16, {}, [x, rois, new Tensor('int64', [1n], [1])])).toThrow(/batch index 1 of roi 0/);
  });
});

// ---- MaxRoiPool ----

const cRound = (v: number) => Math.sign(v) * Math.floor(Math.abs(v) + 0.5);

function refMaxRoiPool(x: readonly number[], rois: readonly number[], g: { C: number; H: number; W: number; ph: number; pw: number; scale: number }): number[] {
  const out: number[] = [];
  for (let r = 0; r < rois.length / 5; r++) {
    const [n, x1, y1, x2, y2] = rois.slice(r * 5, r * 5 + 5) as [number, number, number, number, number];
    const sw = cRound(x1 * g.scale);
    const sh = cRound(y1 * g.scale);
    const rw = Math.max(cRound(x2 * g.scale) - sw + 1, 1);
    const rh = Math.max(cRound(y2 * g.scale) - sh + 1, 1);
    const clampH = (v: number) => Math.min(Math.max(v, 0), g.H);
    const clampW = (v: number) => Math.min(Math.max(v, 0), g.W);
    for (let c = 0; c < g.C; c++) {
      for (let i = 0; i < g.ph; i++) {
        for (let j = 0; j < g.pw; j++) {
          const h0 = clampH(Math.floor((i * rh) / g.ph) + sh);
          const h1 = clampH(Math.ceil(((i + 1) * rh) / g.ph) + sh);
          const w0 = clampW(Math.floor((j * rw) / g.pw) + sw);
          const w1 = clampW(Math.ceil(((j + 1) * rw) / g.pw) + sw);
          const vals: number[] = [];
          for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) vals.push(x[((n * g.C + c) * g.H + h) * g.W + w]!);
          out.push(vals.length ? Math.max(...vals) : 0);
        }
      }
    }
  }
  return out;
}

describe('MaxRoiPool', () => {
  it('matches the per-bin maximum formula', () => {
    fc.assert(
      fc.property(
        fc.record({
          N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 2 }), H: fc.integer({ min: 1, max: 5 }),
          W: fc.integer({ min: 1, max: 5 }), ph: fc.integer({ min: 1, max: 3 }), pw: fc.integer({ min: 1, max: 3 }),
          scale: fc.constantFrom(1, 0.5, 0.25), R: fc.integer({ min: 0, max: 3 }),
        }).chain((g) => fc.record({
          g: fc.constant(g),
          x: fc.array(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(-Infinity, Infinity)),
            { minLength: g.N * g.C * g.H * g.W, maxLength: g.N * g.C * g.H * g.W }),
          rois: fc.array(fc.tuple(fc.integer({ min: 0, max: g.N - 1 }), fc.double({ min: -3, max: 8, noNaN: true }),
            fc.double({ min: -3, max: 8, noNaN: true }), fc.double({ min: -3, max: 8, noNaN: true }), fc.double({ min: -3, max: 8, noNaN: true })),
          { minLength: g.R, maxLength: g.R }),
        })),
        ({ g, x, rois }) => {
          const flat = rois.flat();
          const r64 = Array.from(Float64Array.from(flat));
          const [y] = runOp('MaxRoiPool', 22, { pooled_shape: [g.ph, g.pw], spatial_scale: { float: g.scale } }, [
            new Tensor('float64', Float64Array.from(x), [g.N, g.C, g.H, g.W]),
            new Tensor('float64', Float64Array.from(r64), [g.R, 5]),
          ]);
          expect(y!.dims).toEqual([g.R, g.C, g.ph, g.pw]);
          expect(Array.from(y!.data as Float64Array)).toEqual(refMaxRoiPool(x, r64, g));
        },
      ),
      { numRuns: 200 },
    );
  });
});
