// The planner's fused float32 attention (kernels/attention-strided-f32.ts), read in place through
// strides, against its reference attentionFloat (kernels/attention.ts; tested against a plain
// loop in attention.test.ts) run on contiguous copies: the two must agree bit for bit, with
// -inf masks (all-masked rows too), NaN in the mask, and ±Inf / NaN in Q, K and V (where the
// fast kernel must not skip anything).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attentionFloat } from '../../kernels/attention.js';
import { type StridedView, attentionStridedF32 } from '../../kernels/attention-strided-f32.js';

type Order = 'bhs' | 'bsh' | 'sbh';

interface Layout {
  order: Order;
  /** Extra elements after each row of features. */
  pad: number;
  offset: number;
}

/** Strides of [b, h, s] for `order` with rows of `width + pad` elements; the array length. */
function place(l: Layout, B: number, H: number, S: number, width: number): { view: StridedView; length: number } {
  const row = width + l.pad;
  const sizes = { b: B, h: H, s: S };
  const strides = { b: 0, h: 0, s: 0 };
  let stride = row;
  for (const axis of [...l.order].reverse() as ('b' | 'h' | 's')[]) {
    strides[axis] = stride;
    stride *= sizes[axis];
  }
  return { view: { offset: l.offset, strides: [strides.b, strides.h, strides.s] }, length: l.offset + stride };
}

const layout = fc.record({
  order: fc.constantFrom<Order>('bhs', 'bsh', 'sbh'),
  pad: fc.integer({ min: 0, max: 2 }),
  offset: fc.integer({ min: 0, max: 3 }),
});


const caseArb = fc.record({
  B: fc.integer({ min: 1, max: 2 }), H: fc.integer({ min: 1, max: 3 }),
  S: fc.integer({ min: 1, max: 5 }), T: fc.integer({ min: 0, max: 6 }),
  D: fc.integer({ min: 1, max: 9 }), Dv: fc.integer({ min: 1, max: 9 }),
  q: layout, k: layout, v: layout, out: layout,
  mask: fc.constantFrom('none', 'causal', 'random', 'per-head-broadcast'),
  scale: fc.constantFrom(0.25, 1, 0.35355339, -0.5),
  /** Chance (in 1/64) that an element of Q, K or V is special (±Inf, NaN, ±1e3, ±0). */
  specials: fc.constantFrom(0, 0, 1, 4),
  maskNaN: fc.boolean(),
  seed: fc.integer(),
});

/** A small deterministic generator, so one fast-check case fixes every value. */
function rng(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

describe('attentionStridedF32 vs attentionFloat on contiguous copies', () => {
  it('agrees bit for bit through any strides, offsets, masks and special values', () => {
    fc.assert(fc.property(caseArb, fc.context(), (c, log) => {
      const { B, H, S, T, D, Dv } = c;
      const r = rng(c.seed);
      const specials = [Infinity, -Infinity, NaN, 1e3, -1e3, 0, -0];
      const value = () => (r() * 64 < c.specials ? specials[Math.floor(r() * specials.length)]! : (r() - 0.5) * 6);
      const fill = (n: number) => Float32Array.from({ length: n }, value);
      const qp = place(c.q, B, H, S, D), kp = place(c.k, B, H, T, D), vp = place(c.v, B, H, T, Dv), op = place(c.out, B, H, S, Dv);
      const q = fill(qp.length), k = fill(kp.length), v = fill(vp.length);
      // Mask [B, H, S, T] (or broadcast over heads), additive.
      let mask: Float32Array | null = null;
      let maskView: StridedView | null = null;
      if (c.mask !== 'none') {
        const heads = c.mask === 'per-head-broadcast' ? 1 : H;
        mask = new Float32Array(B * heads * S * T);
        for (let b = 0; b < B; b++) for (let h = 0; h < heads; h++) for (let i = 0; i < S; i++) for (let j = 0; j < T; j++) {
          const at = ((b * heads + h) * S + i) * T + j;
          mask[at] = c.mask === 'causal' ? (j > i ? -Infinity : 0) : r() < 0.4 ? -Infinity : (r() - 0.5) * 2;
          if (c.maskNaN && r() < 0.05) mask[at] = NaN;
        }
        maskView = { offset: 0, strides: [heads * S * T, heads === 1 ? 0 : S * T, T] };
      }
      const got = new Float32Array(op.length).fill(7);
      attentionStridedF32(
        { batch: B, heads: H, qSeq: S, kvSeq: T, headSize: D, vHeadSize: Dv, scale: c.scale, q: qp.view, k: kp.view, v: vp.view, mask: maskView, out: op.view },
        q, k, v, mask, got,
      );
      // The reference reads K and V contiguous [B, H, T, D].
      const kc = new Float32Array(B * H * T * D), vc = new Float32Array(B * H * T * Dv);
      for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let j = 0; j < T; j++) {
        const [ks, vs] = [kp.view.strides, vp.view.strides];
        for (let d = 0; d < D; d++) kc[((b * H + h) * T + j) * D + d] = k[kp.view.offset + b * ks[0] + h * ks[1] + j * ks[2] + d]!;
        for (let d = 0; d < Dv; d++) vc[((b * H + h) * T + j) * Dv + d] = v[vp.view.offset + b * vs[0] + h * vs[1] + j * vs[2] + d]!;
      }
      const want = new Float32Array(op.length).fill(7);
      attentionFloat(
        { batch: B, qHeads: H, kvHeads: H, qSeq: S, kvSeq: T, headSize: D, vHeadSize: Dv, qStrides: qp.view.strides, outStrides: op.view.strides },
        { scale: c.scale, softcap: 0, mask, maskStrides: maskView ? maskView.strides : [0, 0, 0], maskCols: T, causalOffset: null, kvValid: null, qkMode: -1 },
        q.subarray(qp.view.offset), kc, vc, want.subarray(op.view.offset), null,
      );
      for (let i = 0; i < want.length; i++) {
        if (!Object.is(got[i], want[i])) {
          log.log(`element ${i}: got ${got[i]}, want ${want[i]}`);
          return false;
        }
      }
      return true;
    }), { numRuns: 400 });
  });

  it('a causal mask over finite inputs: rows see only their prefix (the skipped columns change nothing)', () => {
    // Values past the causal bound are huge: were they read, the output would move.
    const S = 5, D = 3;
    const q = Float32Array.from({ length: S * D }, (_, i) => (i % 7) - 3);
    const k = Float32Array.from({ length: S * D }, (_, i) => (i % 5) - 2);
    const v = Float32Array.from({ length: S * D }, (_, i) => (i < 2 * D ? i : 1e30));
    const mask = Float32Array.from({ length: S * S }, (_, at) => (at % S > Math.floor(at / S) ? -Infinity : 0));
    const out = new Float32Array(S * D);
    const view = (w: number): StridedView => ({ offset: 0, strides: [S * w, S * w, w] });
    attentionStridedF32(
      { batch: 1, heads: 1, qSeq: S, kvSeq: S, headSize: D, vHeadSize: D, scale: 1, q: view(D), k: view(D), v: view(D), mask: { offset: 0, strides: [S * S, S * S, S] }, out: view(D) },
      q, k, v, mask, out,
    );
    expect(Array.from(out.subarray(0, D))).toEqual([0, 1, 2]); // row 0 sees key 0 only
    for (let d = 0; d < D; d++) expect(out[D + d]).toBeLessThan(6); // row 1: a mix of keys 0 and 1
  });
});
