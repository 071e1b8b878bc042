// Attention family (Attention, RotaryEmbedding, LinearAttention, CausalConvWithState, SwiGLU,
// FlexAttention) against plain references written here with explicit loops.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attentionFloat } from '../../kernels/attention.js';
import { attentionOps } from '../../ops/onnx/attention.js';
import { type OpContext, type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute, Node } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import { isClose } from '../helpers/allclose.js';

// ------------------------------------------------------------------ helpers

function close(a: number, b: number, rel: number, abs: number): boolean {
  return isClose(a, b, { rtol: rel, atol: abs });
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel = 1e-9, abs = 1e-9): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!close(got[i]!, want[i]!, rel, abs)) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

function attrs(map: Record<string, number | string>): Attrs {
  const m = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(map)) {
    if (typeof v === 'string') m.set(k, { type: 'string', value: v, bytes: new TextEncoder().encode(v) });
    else if (Number.isInteger(v) && !k.includes('scale') && k !== 'softcap' && k !== 'alpha') m.set(k, { type: 'int', value: v });
    else m.set(k, { type: 'float', value: v });
  }
  return new Attrs(m);
}

function find(name: string, since?: number): OpDef {
  const defs = attentionOps.filter((d) => d.name === name && (since === undefined || d.since === since));
  return defs[defs.length - 1]!;
}

/** Runs an op definition with `outputs` names (the Attention op only computes qk_matmul_output when named). */
function runOp(name: string, inputs: (Tensor | undefined)[], a: Record<string, number | string>, outputs = ['y', 'a', 'b', 'c']): Tensor[] {
  const def = find(name);
  const node = { name: '', domain: '', opType: name, inputs: [], outputs, attributes: new Map() } as unknown as Node;
  const ctx: OpContext = { node, opset: 99, runSubgraph: () => { throw new Error('no subgraph'); } };
  const parsed = def.parse ? def.parse(attrs(a), node) : undefined;
  return def.run(inputs, parsed, ctx) as Tensor[];
}

const f64 = (data: number[], dims: number[]) => new Tensor('float64', Float64Array.from(data), dims);

function values(n: number, v: fc.Arbitrary<number>) {
  return fc.array(v, { minLength: n, maxLength: n });
}

const small = fc.double({ min: -2, max: 2, noNaN: true });

// ------------------------------------------------------------------ attention reference

interface RefCase {
  B: number; Hq: number; Hkv: number; S: number; T: number; D: number; Dv: number;
  q: number[]; k: number[]; v: number[];
  /** Full additive mask [B, Hq, S, T] or none. */
  mask?: number[];
  /** Causal: key j visible to query i when j <= i + offset. */
  causalOffset?: number;
  scale: number; softcap: number;
}

/** softmax(QK^T * scale (soft-capped) + mask) V, all-masked rows give zeros; q/k/v are 4-D contiguous. */
function refAttention(c: RefCase): number[] {
  const out: number[] = [];
  for (let b = 0; b < c.B; b++) {
    for (let h = 0; h < c.Hq; h++) {
      const kvh = Math.floor((h * c.Hkv) / c.Hq);
      for (let i = 0; i < c.S; i++) {
        const x: number[] = [];
        let anyOpen = false;
        for (let j = 0; j < c.T; j++) {
          let s = 0;
          for (let d = 0; d < c.D; d++) {
            s += c.q[((b * c.Hq + h) * c.S + i) * c.D + d]! * c.k[((b * c.Hkv + kvh) * c.T + j) * c.D + d]!;
          }
          s *= c.scale;
          if (c.softcap > 0) s = c.softcap * Math.tanh(s / c.softcap);
          let bias = c.mask ? c.mask[((b * c.Hq + h) * c.S + i) * c.T + j]! : 0;
          if (c.causalOffset !== undefined && j > i + c.causalOffset) bias = -Infinity;
          if (bias !== -Infinity) anyOpen = true;
          x.push(s + bias);
        }
        const m = Math.max(...x);
        const e = x.map((xv) => (anyOpen ? Math.exp(xv - m) : 0));
        const sum = e.reduce((p, q) => p + q, 0);
        for (let d = 0; d < c.Dv; d++) {
          let acc = 0;
          for (let j = 0; j < c.T; j++) acc += (anyOpen ? e[j]! / sum : 0) * c.v[((b * c.Hkv + kvh) * c.T + j) * c.Dv + d]!;
          out.push(acc);
        }
      }
    }
  }
  return out;
}

const attentionCase = fc.record({
  B: fc.integer({ min: 1, max: 2 }), Hkv: fc.integer({ min: 1, max: 2 }), group: fc.integer({ min: 1, max: 3 }),
  S: fc.integer({ min: 1, max: 4 }), T: fc.integer({ min: 1, max: 5 }),
  D: fc.integer({ min: 1, max: 4 }), Dv: fc.integer({ min: 1, max: 4 }),
  causal: fc.boolean(), masked: fc.boolean(), offset: fc.integer({ min: -2, max: 3 }),
  softcap: fc.constantFrom(0, 0, 0.5, 3),
  scale: fc.constantFrom(0.25, 1, 0.7),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
}).chain((p) => {
  const Hq = p.Hkv * p.group;
  return fc.record({
    p: fc.constant({ ...p, Hq }),
    q: values(p.B * Hq * p.S * p.D, small),
    k: values(p.B * p.Hkv * p.T * p.D, small),
    v: values(p.B * p.Hkv * p.T * p.Dv, small),
    mask: values(p.B * Hq * p.S * p.T, fc.oneof(small, fc.constant(-Infinity))),
  });
});

describe('Attention kernel vs the plain softmax(QK^T*scale + mask)V reference', () => {
  it('matches with GQA, masks (incl. -inf), causal offsets and softcap', () => {
    fc.assert(fc.property(attentionCase, ({ p, q, k, v, mask }) => {
      const out = new Float64Array(p.B * p.Hq * p.S * p.Dv);
      attentionFloat(
        { batch: p.B, qHeads: p.Hq, kvHeads: p.Hkv, qSeq: p.S, kvSeq: p.T, headSize: p.D, vHeadSize: p.Dv,
          qStrides: [p.Hq * p.S * p.D, p.S * p.D, p.D], outStrides: [p.Hq * p.S * p.Dv, p.S * p.Dv, p.Dv] },
        { scale: p.scale, softcap: p.softcap, mask: p.masked ? Float64Array.from(mask) : null,
          maskStrides: [p.Hq * p.S * p.T, p.S * p.T, p.T], maskCols: p.T,
          causalOffset: p.causal ? Int32Array.from({ length: p.B }, () => p.offset) : null, kvValid: null, qkMode: -1 },
        Float64Array.from(q), Float64Array.from(k), Float64Array.from(v), out, null,
      );
      const want = refAttention({ ...p, q, k, v, mask: p.masked ? mask : undefined, causalOffset: p.causal ? p.offset : undefined });
      expectClose(out, want, 1e-9, 1e-12);
    }), { numRuns: 150 });
  });

  it('is stable for ±1e3 logits: with V = 1 every open row outputs exactly 1', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 6 }), fc.array(fc.constantFrom(-1e3, 1e3, 999, -999, 0), { minLength: 1, maxLength: 6 }),
      (S, logits) => {
        const T = logits.length;
        // q = 1, k_j = logit_j, scale 1: the scores are the logits.
        const q = new Float32Array(S).fill(1);
        const k = Float32Array.from(logits);
        const v = new Float32Array(T).fill(1);
        const out = new Float32Array(S);
        attentionFloat(
          { batch: 1, qHeads: 1, kvHeads: 1, qSeq: S, kvSeq: T, headSize: 1, vHeadSize: 1, qStrides: [S, S, 1], outStrides: [S, S, 1] },
          { scale: 1, softcap: 0, mask: null, maskStrides: [0, 0, 0], maskCols: T, causalOffset: null, kvValid: null, qkMode: -1 },
          q, k, v, out, null,
        );
        for (const o of out) expect(Math.abs(o - 1)).toBeLessThan(1e-6);
      }), { numRuns: 100 });
  });

  it('qk_matmul_output modes: raw scores, softcapped, + mask, and softmax rows summing to 1 (or 0 when masked)', () => {
    fc.assert(fc.property(attentionCase, ({ p, q, k, v, mask }) => {
      const run = (mode: number) => {
        const qk = new Float64Array(p.B * p.Hq * p.S * p.T);
        attentionFloat(
          { batch: p.B, qHeads: p.Hq, kvHeads: p.Hkv, qSeq: p.S, kvSeq: p.T, headSize: p.D, vHeadSize: p.Dv,
            qStrides: [p.Hq * p.S * p.D, p.S * p.D, p.D], outStrides: [p.Hq * p.S * p.Dv, p.S * p.Dv, p.Dv] },
          { scale: p.scale, softcap: p.softcap, mask: Float64Array.from(mask), maskStrides: [p.Hq * p.S * p.T, p.S * p.T, p.T],
            maskCols: p.T, causalOffset: null, kvValid: null, qkMode: mode },
          Float64Array.from(q), Float64Array.from(k), Float64Array.from(v), new Float64Array(p.B * p.Hq * p.S * p.Dv), qk,
        );
        return qk;
      };
      const [m0, m1, m2, m3] = [run(0), run(1), run(2), run(3)];
      for (let b = 0; b < p.B; b++) for (let h = 0; h < p.Hq; h++) for (let i = 0; i < p.S; i++) {
        const kvh = Math.floor((h * p.Hkv) / p.Hq);
        let sum = 0;
        let open = false;
        for (let j = 0; j < p.T; j++) {
          const at = ((b * p.Hq + h) * p.S + i) * p.T + j;
          let s = 0;
          for (let d = 0; d < p.D; d++) s += q[((b * p.Hq + h) * p.S + i) * p.D + d]! * k[((b * p.Hkv + kvh) * p.T + j) * p.D + d]!;
          s *= p.scale;
          expect(close(m0[at]!, s, 1e-12, 1e-12)).toBe(true);
          const c = p.softcap > 0 ? p.softcap * Math.tanh(s / p.softcap) : s;
          expect(close(m1[at]!, c, 1e-12, 1e-12)).toBe(true);
          expect(close(m2[at]!, c + mask[at]!, 1e-12, 1e-12)).toBe(true);
          sum += m3[at]!;
          if (mask[at] !== -Infinity) open = true;
        }
        expect(Math.abs(sum - (open ? 1 : 0))).toBeLessThan(1e-9);
      }
    }), { numRuns: 80 });
  });
});

// ------------------------------------------------------------------ Attention op

/** [B, H, S, D] -> [B, S, H*D]. */
function pack(x: number[], B: number, H: number, S: number, D: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) for (let h = 0; h < H; h++) for (let d = 0; d < D; d++) {
    out.push(x[((b * H + h) * S + s) * D + d]!);
  }
  return out;
}

describe('Attention op', () => {
  it('GQA equals multi-head attention with each kv head repeated explicitly', () => {
    fc.assert(fc.property(attentionCase, ({ p, q, k, v }) => {
      const repeat = (x: number[], dim: number) => {
        const out: number[] = [];
        for (let b = 0; b < p.B; b++) for (let h = 0; h < p.Hq; h++) {
          const src = (b * p.Hkv + Math.floor(h / p.group)) * p.T * dim;
          out.push(...x.slice(src, src + p.T * dim));
        }
        return out;
      };
      const Q = f64(q, [p.B, p.Hq, p.S, p.D]);
      const [gqa] = runOp('Attention', [Q, f64(k, [p.B, p.Hkv, p.T, p.D]), f64(v, [p.B, p.Hkv, p.T, p.Dv])], {});
      const [mha] = runOp('Attention', [Q, f64(repeat(k, p.D), [p.B, p.Hq, p.T, p.D]), f64(repeat(v, p.Dv), [p.B, p.Hq, p.T, p.Dv])], {});
      expectClose(gqa!.data as Float64Array, mha!.data as Float64Array, 1e-12, 1e-12);
    }), { numRuns: 60 });
  });

  it('3-D packed inputs give the packed 4-D result; past + causal sees keys up to i + past', () => {
    fc.assert(fc.property(attentionCase, fc.integer({ min: 0, max: 3 }), ({ p, q, k, v }, P) => {
      const pk = Array.from({ length: p.B * p.Hkv * P * p.D }, (_, i) => Math.sin(i));
      const pv = Array.from({ length: p.B * p.Hkv * P * p.Dv }, (_, i) => Math.cos(i));
      const a = { is_causal: 1, q_num_heads: p.Hq, kv_num_heads: p.Hkv, scale: p.scale };
      const [y3, presK] = runOp('Attention', [
        f64(pack(q, p.B, p.Hq, p.S, p.D), [p.B, p.S, p.Hq * p.D]),
        f64(pack(k, p.B, p.Hkv, p.T, p.D), [p.B, p.T, p.Hkv * p.D]),
        f64(pack(v, p.B, p.Hkv, p.T, p.Dv), [p.B, p.T, p.Hkv * p.Dv]),
        undefined, f64(pk, [p.B, p.Hkv, P, p.D]), f64(pv, [p.B, p.Hkv, P, p.Dv]),
      ], a);
      // Reference on the concatenated cache.
      const cat = (past: number[], cur: number[], dim: number) => {
        const out: number[] = [];
        for (let bh = 0; bh < p.B * p.Hkv; bh++) {
          out.push(...past.slice(bh * P * dim, (bh + 1) * P * dim), ...cur.slice(bh * p.T * dim, (bh + 1) * p.T * dim));
        }
        return out;
      };
      const K = cat(pk, k, p.D);
      const want = refAttention({ ...p, T: p.T + P, q, k: K, v: cat(pv, v, p.Dv), causalOffset: P, softcap: 0 });
      expect(y3!.dims).toEqual([p.B, p.S, p.Hq * p.Dv]);
      expectClose(y3!.data as Float64Array, pack(want, p.B, p.Hq, p.S, p.Dv), 1e-9, 1e-12);
      expect(presK!.dims).toEqual([p.B, p.Hkv, P + p.T, p.D]);
      expectClose(presK!.data as Float64Array, K, 0, 0);
    }), { numRuns: 60 });
  });

  it('causal rows ignore future keys: changing k_j, v_j for j > i leaves row i unchanged', () => {
    fc.assert(fc.property(attentionCase, ({ p, q, k, v }) => {
      const S = Math.min(p.S, p.T);
      const run = (kk: number[], vv: number[]) => runOp('Attention', [
        f64(q.slice(0, p.B * p.Hq * S * p.D), [p.B, p.Hq, S, p.D]),
        f64(kk, [p.B, p.Hkv, p.T, p.D]), f64(vv, [p.B, p.Hkv, p.T, p.Dv]),
      ], { is_causal: 1 })[0]!.data as Float64Array;
      const base = run(k, v);
      const k2 = k.map((x, i) => (Math.floor(i / p.D) % p.T >= 1 ? x * 7 + 1e3 : x));
      const v2 = v.map((x, i) => (Math.floor(i / p.Dv) % p.T >= 1 ? -x - 5 : x));
      const changed = run(k2, v2);
      // Row 0 of every head only sees key 0.
      for (let bh = 0; bh < p.B * p.Hq; bh++) {
        for (let d = 0; d < p.Dv; d++) expect(changed[bh * S * p.Dv + d]).toBeCloseTo(base[bh * S * p.Dv + d]!, 12);
      }
    }), { numRuns: 60 });
  });

  it('bool masks, short masks (padded with -inf) and nonpad_kv_seqlen match the additive reference', () => {
    fc.assert(fc.property(attentionCase, fc.integer({ min: 0, max: 5 }), ({ p, q, k, v, mask }, nonpadRaw) => {
      const cols = Math.max(1, p.T - 1);
      const nonpad = Math.min(nonpadRaw, p.T);
      const boolMask = Array.from({ length: p.S * cols }, (_, i) => (mask[i]! > 0 || i % 3 === 0 ? 1 : 0));
      const full: number[] = [];
      for (let b = 0; b < p.B; b++) for (let h = 0; h < p.Hq; h++) for (let i = 0; i < p.S; i++) for (let j = 0; j < p.T; j++) {
        const open = j < cols && boolMask[i * cols + j] === 1 && j < nonpad;
        full.push(open ? 0 : -Infinity);
      }
      const [y] = runOp('Attention', [
        f64(q, [p.B, p.Hq, p.S, p.D]), f64(k, [p.B, p.Hkv, p.T, p.D]), f64(v, [p.B, p.Hkv, p.T, p.Dv]),
        new Tensor('bool', Uint8Array.from(boolMask), [p.S, cols]), undefined, undefined,
        new Tensor('int64', BigInt64Array.from({ length: p.B }, () => BigInt(nonpad)), [p.B]),
      ], { scale: p.scale });
      expectClose(y!.data as Float64Array, refAttention({ ...p, q, k, v, mask: full, softcap: 0 }), 1e-9, 1e-12);
    }), { numRuns: 60 });
  });

  it('float16 inputs compute in float32 and round back', () => {
    const half = (x: number[]) => new Tensor('float16', Uint16Array.from(x.map(() => 0x3c00)), [1, 1, 1, x.length]);
    const [y] = runOp('Attention', [half([1, 1]), half([1, 1]), half([1, 1])], {});
    expect(y!.type).toBe('float16');
    expect(Array.from(y!.data as Uint16Array)).toEqual([0x3c00, 0x3c00]);
  });

  it('zero-sized dims: no queries gives an empty output, no keys gives zeros', () => {
    const [y0] = runOp('Attention', [f64([], [1, 2, 0, 3]), f64([1, 2, 3, 4, 5, 6], [1, 2, 1, 3]), f64([1, 2], [1, 2, 1, 1])], {});
    expect(y0!.dims).toEqual([1, 2, 0, 1]);
    const [y1, pk] = runOp('Attention', [f64([1, 2, 3], [1, 1, 1, 3]), f64([], [1, 1, 0, 3]), f64([], [1, 1, 0, 2])], { is_causal: 1 });
    expect(Array.from(y1!.data as Float64Array)).toEqual([0, 0]);
    expect(pk!.dims).toEqual([1, 1, 0, 3]);
    const [c, st] = runOp('CausalConvWithState', [f64([], [1, 2, 0]), f64([1, 2, 3, 4], [2, 1, 2])], {});
    expect(c!.dims).toEqual([1, 2, 0]);
    expect(Array.from(st!.data as Float64Array)).toEqual([0, 0]);
  });

  it('rejects heads that do not divide', () => {
    expect(() => runOp('Attention', [f64([0, 0, 0], [1, 3, 1, 1]), f64([0, 0], [1, 2, 1, 1]), f64([0, 0], [1, 2, 1, 1])], {}))
      .toThrow(/not a multiple/);
  });
});

// ------------------------------------------------------------------ RotaryEmbedding

describe('RotaryEmbedding vs a direct cos/sin rotation', () => {
  const rotaryCase = fc.record({
    B: fc.integer({ min: 1, max: 2 }), H: fc.integer({ min: 1, max: 3 }), S: fc.integer({ min: 1, max: 4 }),
    half: fc.integer({ min: 1, max: 3 }), extra: fc.integer({ min: 0, max: 2 }),
    interleaved: fc.boolean(), packed: fc.boolean(), withIds: fc.boolean(), seed: fc.integer({ min: 0, max: 1000 }),
  });

  it('rotates each pair by angle pos * theta_r and copies the tail', () => {
    fc.assert(fc.property(rotaryCase, (c) => {
      const rd = 2 * c.half;
      const D = rd + 2 * c.extra;
      const maxPos = 8;
      const theta = (r: number) => 1 / 10000 ** ((2 * r) / rd) + c.seed * 1e-3;
      const pos = Array.from({ length: c.B * c.S }, (_, i) => (i * 5 + c.seed) % maxPos);
      const x4 = Array.from({ length: c.B * c.H * c.S * D }, (_, i) => Math.sin(i * 1.3 + c.seed) * (i % 7 === 0 ? 1e3 : 1));
      const angle = (b: number, s: number, r: number) => pos[b * c.S + s]! * theta(r);
      let cos: Tensor, sin: Tensor, ids: Tensor | undefined;
      if (c.withIds) {
        const table = (f: (a: number) => number) => f64(
          Array.from({ length: maxPos * c.half }, (_, i) => f(Math.floor(i / c.half) * theta(i % c.half))), [maxPos, c.half]);
        [cos, sin] = [table(Math.cos), table(Math.sin)];
        ids = new Tensor('int64', BigInt64Array.from(pos.map(BigInt)), [c.B, c.S]);
      } else {
        const table = (f: (a: number) => number) => f64(
          Array.from({ length: c.B * c.S * c.half }, (_, i) => f(angle(Math.floor(i / (c.S * c.half)), Math.floor(i / c.half) % c.S, i % c.half))),
          [c.B, c.S, c.half]);
        [cos, sin] = [table(Math.cos), table(Math.sin)];
      }
      const want = x4.slice();
      for (let b = 0; b < c.B; b++) for (let h = 0; h < c.H; h++) for (let s = 0; s < c.S; s++) {
        const o = ((b * c.H + h) * c.S + s) * D;
        for (let r = 0; r < c.half; r++) {
          const [i1, i2] = c.interleaved ? [o + 2 * r, o + 2 * r + 1] : [o + r, o + r + c.half];
          const a = angle(b, s, r);
          want[i1] = x4[i1]! * Math.cos(a) - x4[i2]! * Math.sin(a);
          want[i2] = x4[i1]! * Math.sin(a) + x4[i2]! * Math.cos(a);
        }
      }
      const a = { interleaved: c.interleaved ? 1 : 0, rotary_embedding_dim: rd === D && c.seed % 2 ? 0 : rd, num_heads: c.H };
      const X = c.packed ? f64(pack(x4, c.B, c.H, c.S, D), [c.B, c.S, c.H * D]) : f64(x4, [c.B, c.H, c.S, D]);
      const [y] = runOp('RotaryEmbedding', [X, cos, sin, ids], a);
      expect(y!.dims).toEqual(X.dims);
      expectClose(y!.data as Float64Array, c.packed ? pack(want, c.B, c.H, c.S, D) : want, 1e-9, 1e-9);
    }), { numRuns: 120 });
  });

  it('rejects position ids outside the cache', () => {
    const cos = f64([1, 1], [2, 1]);
    expect(() => runOp('RotaryEmbedding', [f64([1, 2], [1, 1, 1, 2]), cos, cos,
      new Tensor('int64', BigInt64Array.from([5n]), [1, 1])], {})).toThrow(/out of range/);
  });
});

// ------------------------------------------------------------------ LinearAttention

describe('LinearAttention', () => {
  const linCase = fc.record({
    B: fc.integer({ min: 1, max: 2 }), T: fc.integer({ min: 1, max: 4 }), Hkv: fc.integer({ min: 1, max: 2 }),
    group: fc.integer({ min: 1, max: 2 }), dk: fc.integer({ min: 1, max: 3 }), dv: fc.integer({ min: 1, max: 3 }),
    rule: fc.constantFrom('linear', 'gated', 'delta', 'gated_delta'), perHead: fc.boolean(), betaScalar: fc.boolean(),
    past: fc.boolean(), seed: fc.integer({ min: 0, max: 1000 }),
  });

  it('matches an explicit state recurrence, and linear/gated rules match the closed-form causal sums', () => {
    fc.assert(fc.property(linCase, (c) => {
      const Hq = c.Hkv * c.group;
      const r = (n: number, f: number) => Array.from({ length: n }, (_, i) => Math.sin(i * f + c.seed));
      const q = r(c.B * c.T * Hq * c.dk, 0.7);
      const k = r(c.B * c.T * c.Hkv * c.dk, 1.1);
      const v = r(c.B * c.T * c.Hkv * c.dv, 1.7);
      const dW = c.perHead ? c.Hkv : c.Hkv * c.dk;
      const decay = r(c.B * c.T * dW, 0.3).map((x) => -Math.abs(x));
      const bW = c.betaScalar ? 1 : c.Hkv;
      const beta = r(c.B * c.T * bW, 0.9).map((x) => Math.abs(x));
      const past = c.past ? r(c.B * c.Hkv * c.dk * c.dv, 2.3) : undefined;
      const gated = c.rule.startsWith('gated');
      const delta = c.rule.endsWith('delta');
      const scale = 1 / Math.sqrt(c.dk);
      // Explicit recurrence over S[b][kh][row][col].
      const S = Array.from({ length: c.B * c.Hkv }, (_, bh) =>
        Array.from({ length: c.dk }, (_, i) => Array.from({ length: c.dv }, (_, j) => (past ? past[(bh * c.dk + i) * c.dv + j]! : 0))));
      const out = new Array<number>(c.B * c.T * Hq * c.dv).fill(0);
      for (let b = 0; b < c.B; b++) for (let t = 0; t < c.T; t++) for (let kh = 0; kh < c.Hkv; kh++) {
        const St = S[b * c.Hkv + kh]!;
        const kv = (i: number) => k[(b * c.T + t) * c.Hkv * c.dk + kh * c.dk + i]!;
        const vv = (j: number) => v[(b * c.T + t) * c.Hkv * c.dv + kh * c.dv + j]!;
        if (gated) for (let i = 0; i < c.dk; i++) {
          const g = decay[(b * c.T + t) * dW + (c.perHead ? kh : kh * c.dk + i)]!;
          for (let j = 0; j < c.dv; j++) St[i]![j]! *= Math.exp(g);
        }
        if (delta) {
          const bt = beta[(b * c.T + t) * bW + (c.betaScalar ? 0 : kh)]!;
          const ret = Array.from({ length: c.dv }, (_, j) => St.reduce((acc, row, i) => acc + row[j]! * kv(i), 0));
          for (let i = 0; i < c.dk; i++) for (let j = 0; j < c.dv; j++) St[i]![j]! += kv(i) * bt * (vv(j) - ret[j]!);
        } else {
          for (let i = 0; i < c.dk; i++) for (let j = 0; j < c.dv; j++) St[i]![j]! += kv(i) * vv(j);
        }
        for (let g = 0; g < c.group; g++) {
          const h = kh * c.group + g;
          for (let j = 0; j < c.dv; j++) {
            let acc = 0;
            for (let i = 0; i < c.dk; i++) acc += q[(b * c.T + t) * Hq * c.dk + h * c.dk + i]! * St[i]![j]!;
            out[(b * c.T + t) * Hq * c.dv + h * c.dv + j] = scale * acc;
          }
        }
      }
      const [y, state] = runOp('LinearAttention', [
        f64(q, [c.B, c.T, Hq * c.dk]), f64(k, [c.B, c.T, c.Hkv * c.dk]), f64(v, [c.B, c.T, c.Hkv * c.dv]),
        past ? f64(past, [c.B, c.Hkv, c.dk, c.dv]) : undefined,
        gated ? f64(decay, [c.B, c.T, dW]) : undefined, delta ? f64(beta, [c.B, c.T, bW]) : undefined,
      ], { q_num_heads: Hq, kv_num_heads: c.Hkv, update_rule: c.rule });
      expectClose(y!.data as Float64Array, out, 1e-9, 1e-12);
      expectClose(state!.data as Float64Array, S.flat(2), 1e-9, 1e-12);
      // Closed form without a past state, per-head decay: o_t = scale * sum_{s<=t} w(s,t) (q_t.k_s) v_s.
      if (!delta && !past && (c.perHead || !gated)) {
        for (let b = 0; b < c.B; b++) for (let t = 0; t < c.T; t++) for (let h = 0; h < Hq; h++) {
          const kh = Math.floor(h / c.group);
          for (let j = 0; j < c.dv; j++) {
            let acc = 0;
            for (let s = 0; s <= t; s++) {
              let w = 1;
              if (gated) for (let u = s + 1; u <= t; u++) w *= Math.exp(decay[(b * c.T + u) * dW + kh]!);
              let dot = 0;
              for (let i = 0; i < c.dk; i++) dot += q[(b * c.T + t) * Hq * c.dk + h * c.dk + i]! * k[(b * c.T + s) * c.Hkv * c.dk + kh * c.dk + i]!;
              acc += w * dot * v[(b * c.T + s) * c.Hkv * c.dv + kh * c.dv + j]!;
            }
            expect(close((y!.data as Float64Array)[(b * c.T + t) * Hq * c.dv + h * c.dv + j]!, scale * acc, 1e-9, 1e-12)).toBe(true);
          }
        }
      }
    }), { numRuns: 120 });
  });

  it('rejects a missing decay for the gated rule', () => {
    expect(() => runOp('LinearAttention', [f64([1], [1, 1, 1]), f64([1], [1, 1, 1]), f64([1], [1, 1, 1])],
      { q_num_heads: 1, kv_num_heads: 1, update_rule: 'gated' })).toThrow(/decay/);
  });
});

// ------------------------------------------------------------------ CausalConvWithState, SwiGLU

describe('CausalConvWithState', () => {
  const convCase = fc.record({
    B: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), L: fc.integer({ min: 1, max: 6 }),
    K: fc.integer({ min: 1, max: 4 }), act: fc.constantFrom('none', 'silu', 'swish'), bias: fc.boolean(), past: fc.boolean(),
    split: fc.integer({ min: 1, max: 5 }),
    vals: fc.array(fc.oneof(small, fc.constantFrom(1e3, -1e3)), { minLength: 64, maxLength: 64 }),
  });

  it('matches a direct zero/state-padded depthwise convolution', () => {
    fc.assert(fc.property(convCase, (c) => {
      const at = (i: number) => c.vals[i % 64]!;
      const x = Array.from({ length: c.B * c.C * c.L }, (_, i) => at(i));
      const w = Array.from({ length: c.C * c.K }, (_, i) => at(i * 7 + 3) / 1e3 + 0.1);
      const bias = Array.from({ length: c.C }, (_, i) => at(i * 11 + 5) / 10);
      const past = Array.from({ length: c.B * c.C * (c.K - 1) }, (_, i) => at(i * 13 + 1));
      const want: number[] = [];
      const present: number[] = [];
      for (let b = 0; b < c.B; b++) for (let ch = 0; ch < c.C; ch++) {
        const seq = [
          ...Array.from({ length: c.K - 1 }, (_, i) => (c.past ? past[(b * c.C + ch) * (c.K - 1) + i]! : 0)),
          ...x.slice((b * c.C + ch) * c.L, (b * c.C + ch + 1) * c.L),
        ];
        for (let t = 0; t < c.L; t++) {
          let y = c.bias ? bias[ch]! : 0;
          for (let i = 0; i < c.K; i++) y += w[ch * c.K + i]! * seq[t + i]!;
          want.push(c.act === 'none' ? y : y / (1 + Math.exp(-y)));
        }
        present.push(...seq.slice(seq.length - (c.K - 1)));
      }
      const [y, st] = runOp('CausalConvWithState', [
        f64(x, [c.B, c.C, c.L]), f64(w, [c.C, 1, c.K]), c.bias ? f64(bias, [c.C]) : undefined,
        c.past ? f64(past, [c.B, c.C, c.K - 1]) : undefined,
      ], { activation: c.act });
      expectClose(y!.data as Float64Array, want, 1e-12, 1e-12);
      expect(st!.dims).toEqual([c.B, c.C, c.K - 1]);
      expectClose(st!.data as Float64Array, present, 0, 0);
    }), { numRuns: 150 });
  });

  it('running two chunks through the carried state equals one run over the whole sequence', () => {
    fc.assert(fc.property(convCase, (c) => {
      const L = c.L + c.split;
      const x = Array.from({ length: c.B * c.C * L }, (_, i) => c.vals[i % 64]!);
      const w = f64(Array.from({ length: c.C * c.K }, (_, i) => Math.cos(i)), [c.C, 1, c.K]);
      const slice = (from: number, to: number) => {
        const out: number[] = [];
        for (let r = 0; r < c.B * c.C; r++) out.push(...x.slice(r * L + from, r * L + to));
        return f64(out, [c.B, c.C, to - from]);
      };
      const [whole, wholeState] = runOp('CausalConvWithState', [f64(x, [c.B, c.C, L]), w], {});
      const [a, sa] = runOp('CausalConvWithState', [slice(0, c.split), w], {});
      const [b, sb] = runOp('CausalConvWithState', [slice(c.split, L), w, undefined, sa], {});
      const joined: number[] = [];
      for (let r = 0; r < c.B * c.C; r++) {
        joined.push(...(a!.data as Float64Array).slice(r * c.split, (r + 1) * c.split), ...(b!.data as Float64Array).slice(r * c.L, (r + 1) * c.L));
      }
      expectClose(joined, whole!.data as Float64Array, 1e-9, 1e-9);
      expectClose(sb!.data as Float64Array, wholeState!.data as Float64Array, 0, 0);
    }), { numRuns: 80 });
  });
});

describe('SwiGLU', () => {
  it('y = a * sigmoid(alpha * a) * b, NaN and ±Inf included', () => {
    const v = fc.oneof(small, fc.constantFrom(1e3, -1e3, Infinity, -Infinity, NaN, 0));
    fc.assert(fc.property(fc.integer({ min: 0, max: 8 }).chain((n) => fc.tuple(values(n, v), values(n, v))),
      fc.constantFrom(1, 0.5, 1.702), ([a, b], alpha) => {
        const [y] = runOp('SwiGLU', [f64(a, [a.length]), f64(b, [b.length])], { alpha });
        const want = a.map((x, i) => x * (1 / (1 + Math.exp(-alpha * x))) * b[i]!);
        expectClose(y!.data as Float64Array, want, 1e-12, 1e-300);
      }), { numRuns: 150 });
  });

  it('rejects shapes that differ', () => {
    expect(() => runOp('SwiGLU', [f64([1, 2], [2]), f64([1, 2], [1, 2])], {})).toThrow(/same shape/);
  });
});

// ------------------------------------------------------------------ FlexAttention

describe('FlexAttention (no mods) equals plain attention', () => {
  it('matches the reference with GQA and an explicit scale', () => {
    fc.assert(fc.property(attentionCase, ({ p, q, k, v }) => {
      const [y] = runOp('FlexAttention', [f64(q, [p.B, p.Hq, p.S, p.D]), f64(k, [p.B, p.Hkv, p.T, p.D]), f64(v, [p.B, p.Hkv, p.T, p.Dv])],
        { scale: p.scale });
      expectClose(y!.data as Float64Array, refAttention({ ...p, q, k, v, softcap: 0 }), 1e-9, 1e-12);
    }), { numRuns: 60 });
  });
});
