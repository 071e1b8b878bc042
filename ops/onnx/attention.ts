// Attention and transformer building blocks: Attention (23, 24), RotaryEmbedding (23),
// LinearAttention (27), CausalConvWithState (27), SwiGLU (28), ai.onnx.preview::FlexAttention (1).
// float16 / bfloat16 compute in float32, float64 in float64.
//
// Attention follows the spec's reference implementation (onnx.reference) where onnxruntime
// differs (cases in spec-models/onnx/reference-diffs.json, test/conformance/onnx-reference-diffs.test.ts):
// - attn_mask may have any type of U, integers included: bool is 0 / -inf, any other type is an
//   additive bias taken as numbers. (onnxruntime 1.30 runs an integer mask through the function
//   body, which fails with is_causal; onnx.reference overflows there. tessera adds it as numbers.)
// - qk_matmul_output mode 2 holds -inf where a bool mask, is_causal or nonpad_kv_seqlen masks a
//   score, with or without softcap (the cap is applied before the mask); onnxruntime writes the
//   lowest float32 (-3.4028235e38) there. Mode 3 is 0 there, and a fully masked row is all 0.

import {
  appendKvCache, attentionApplyFloat, attentionFloat, attentionScoresFloat,
} from '../../kernels/attention.js';
import { attentionStridedF32 } from '../../kernels/attention-strided-f32.js';
import { causalConvWithStateFloat, swigluFloat } from '../../kernels/attention-causal-conv.js';
import { linearAttentionFloat } from '../../kernels/attention-linear.js';
import { rotaryEmbeddingFloat } from '../../kernels/attention-rotary.js';
import { softmaxFloat } from '../../kernels/softmax.js';
import { contiguousStrides } from '../../kernels/strides.js';
import { type DataType, isFloatType, isIntegerType } from '../../src/dtypes.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import type { Graph } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';
import { type FloatArray, allocFloat, allocFloatOut, floatData, floatTensor, intValues } from '../compute.js';
import type { Dim, ValueType } from '../../src/ir/graph.js';
import { type Shape, dimAdd, dimMul, elemOf, sameAs, shapeOf, tensorType } from '../infer-helpers.js';
import { type InferInput, type Attrs, type OpContext, type OpDef, op } from '../op-def.js';

type Strides3 = readonly [number, number, number];

function need(name: string, t: Tensor | undefined, what: string): Tensor {
  if (!t) throw new ShapeError(`${name}: input '${what}' is missing`);
  if (!isFloatType(t.type)) throw new ShapeError(`${name}: '${what}' must be a float tensor, got ${t.type}`);
  return t;
}

function rank(name: string, t: Tensor, what: string, ranks: readonly number[]): void {
  if (!ranks.includes(t.dims.length)) {
    throw new ShapeError(`${name}: '${what}' must have rank ${ranks.join(' or ')}, got [${t.dims.join(', ')}]`);
  }
}

function divide(name: string, size: number, heads: number, what: string): number {
  if (heads <= 0 || size % heads !== 0) {
    throw new ShapeError(`${name}: ${what} size ${size} is not divisible by ${heads} heads`);
  }
  return size / heads;
}

/** Float data in the compute precision of `type` (float64 stays float64, others float32). */
function computeData(t: Tensor, type: DataType): FloatArray {
  const d = floatData(t);
  if (type === 'float64') return d instanceof Float64Array ? d : Float64Array.from(d);
  return d instanceof Float32Array ? d : Float32Array.from(d);
}

// ------------------------------------------------------------------ Attention

interface AttentionAttrs {
  readonly isCausal: boolean;
  readonly qHeads: number;
  readonly kvHeads: number;
  readonly mode: number;
  readonly scale: number | undefined;
  readonly softcap: number;
}

function parseAttention(a: Attrs): AttentionAttrs {
  const mode = a.int('qk_matmul_output_mode', 0);
  if (mode < 0 || mode > 3) throw new InvalidNodeError(`Attention: qk_matmul_output_mode ${mode} is not in 0..3`);
  return Object.freeze({
    isCausal: a.int('is_causal', 0) !== 0,
    qHeads: a.int('q_num_heads', 0),
    kvHeads: a.int('kv_num_heads', 0),
    mode,
    scale: a.has('scale') ? a.float('scale') : undefined,
    softcap: a.float('softcap', 0),
  });
}

/** Heads, sequence length, head size and [batch, head, position] strides of a 3-D or 4-D input. */
function headView(t: Tensor, heads: number, what: string): { heads: number; seq: number; size: number; strides: Strides3 } {
  const d = t.dims;
  if (d.length === 4) return { heads: d[1]!, seq: d[2]!, size: d[3]!, strides: [d[1]! * d[2]! * d[3]!, d[2]! * d[3]!, d[3]!] };
  if (heads <= 0) throw new InvalidNodeError(`Attention: 3-D inputs need q_num_heads and kv_num_heads`);
  const size = divide('Attention', d[2]!, heads, what);
  return { heads, seq: d[1]!, size, strides: [d[1]! * d[2]!, size, d[2]!] };
}

/** The mask as additive floats with its [batch, head, row] strides over [B, Hq, S, cols]. */
function maskView(mask: Tensor, target: readonly number[], total: number) {
  if (mask.dims.length < 1 || mask.dims.length > 4) {
    throw new ShapeError(`Attention: attn_mask must have rank 1..4, got [${mask.dims.join(', ')}]`);
  }
  const dims = [...Array<number>(4 - mask.dims.length).fill(1), ...mask.dims];
  const cols = dims[3]!;
  if (cols > total) throw new ShapeError(`Attention: attn_mask has ${cols} columns but there are only ${total} keys`);
  const st = contiguousStrides(dims);
  const strides = [0, 1, 2].map((i) => {
    if (dims[i] === 1) return 0;
    if (dims[i] !== target[i]) {
      throw new ShapeError(`Attention: attn_mask [${mask.dims.join(', ')}] does not broadcast to [${target.join(', ')}, ${total}]`);
    }
    return st[i]!;
  }) as unknown as Strides3;
  return { data: additiveMask(mask), strides, cols };
}

/**
 * attn_mask as the additive bias the kernel adds to the scores: a bool mask is 0 where True and
 * -inf where False; a float mask is itself; an integer mask (type U admits every integer type)
 * is its values as numbers, as onnx.reference adds it (float64, so int32/int64 values stay exact).
 */
function additiveMask(mask: Tensor): FloatArray {
  if (mask.type === 'bool') {
    const m = mask.data as Uint8Array;
    const data = new Float32Array(m.length);
    for (let i = 0; i < m.length; i++) data[i] = m[i] ? 0 : -Infinity;
    return data;
  }
  if (isFloatType(mask.type)) return floatData(mask);
  if (isIntegerType(mask.type)) return Float64Array.from(intValues(mask));
  throw new ShapeError(`Attention: attn_mask must be bool, float or integer, got ${mask.type}`);
}

function runAttention(inputs: readonly (Tensor | undefined)[], a: AttentionAttrs, ctx: OpContext): Tensor[] {
  const N = 'Attention';
  const Q = need(N, inputs[0], 'Q');
  const K = need(N, inputs[1], 'K');
  const V = need(N, inputs[2], 'V');
  const [mask, pastK, pastV, nonpad] = [inputs[3], inputs[4], inputs[5], inputs[6]];
  rank(N, Q, 'Q', [3, 4]);
  rank(N, K, 'K', [Q.dims.length]);
  rank(N, V, 'V', [Q.dims.length]);
  const batch = Q.dims[0]!;
  const q = headView(Q, a.qHeads, 'Q hidden');
  const k = headView(K, a.kvHeads, 'K hidden');
  const v = headView(V, a.kvHeads, 'V hidden');
  if (K.dims[0] !== batch || V.dims[0] !== batch) throw new ShapeError(`${N}: Q, K and V batch sizes differ`);
  if (k.size !== q.size) throw new ShapeError(`${N}: Q head size ${q.size} differs from K head size ${k.size}`);
  if (k.seq !== v.seq || k.heads !== v.heads) throw new ShapeError(`${N}: K and V heads or lengths differ`);
  if (q.heads % k.heads !== 0) throw new ShapeError(`${N}: ${q.heads} query heads are not a multiple of ${k.heads} kv heads`);
  if ((pastK === undefined) !== (pastV === undefined)) throw new ShapeError(`${N}: past_key and past_value go together`);
  let pastLen = 0;
  if (pastK && pastV) {
    need(N, pastK, 'past_key');
    need(N, pastV, 'past_value');
    const [pk, pv] = [pastK.dims, pastV.dims];
    if (pk.length !== 4 || pk[0] !== batch || pk[1] !== k.heads || pk[3] !== k.size
      || pv.length !== 4 || pv[0] !== batch || pv[1] !== k.heads || pv[2] !== pk[2] || pv[3] !== v.size) {
      throw new ShapeError(`${N}: past_key [${pk.join(', ')}] / past_value [${pv.join(', ')}] do not fit [${batch}, ${k.heads}, P, ${k.size}/${v.size}]`);
    }
    pastLen = pk[2]!;
  }
  const total = pastLen + k.seq;
  const ct: DataType = Q.type === 'float64' ? 'float64' : 'float32';
  const keys = allocFloat(ct, batch * k.heads * total * k.size);
  const values = allocFloat(ct, batch * k.heads * total * v.size);
  appendKvCache(pastK ? computeData(pastK, ct) : null, computeData(K, ct), k.strides, keys, batch, k.heads, pastLen, k.seq, k.size);
  appendKvCache(pastV ? computeData(pastV, ct) : null, computeData(V, ct), v.strides, values, batch, k.heads, pastLen, k.seq, v.size);

  let kvValid: Int32Array | null = null;
  if (nonpad) {
    const lens = intValues(nonpad);
    if (lens.length !== batch) throw new ShapeError(`${N}: nonpad_kv_seqlen has ${lens.length} entries for batch ${batch}`);
    for (const n of lens) if (n < 0 || n > total) throw new ShapeError(`${N}: nonpad_kv_seqlen ${n} out of range [0, ${total}]`);
    kvValid = Int32Array.from(lens);
  }
  let causalOffset: Int32Array | null = null;
  if (a.isCausal) {
    causalOffset = new Int32Array(batch);
    for (let b = 0; b < batch; b++) causalOffset[b] = kvValid ? kvValid[b]! - q.seq : pastLen;
  }
  const m = mask ? maskView(mask, [batch, q.heads, q.seq], total) : null;
  const rank4 = Q.dims.length === 4;
  const outDims = rank4 ? [batch, q.heads, q.seq, v.size] : [batch, q.seq, q.heads * v.size];
  const outStrides: Strides3 = rank4
    ? [q.heads * q.seq * v.size, q.seq * v.size, v.size]
    : [q.seq * q.heads * v.size, v.size, q.heads * v.size];
  const out = allocFloat(ct, batch * q.heads * q.seq * v.size);
  const wantQk = (ctx.node.outputs[3] ?? '') !== '';
  const qkDims = [batch, q.heads, q.seq, total];
  const qk = wantQk ? allocFloat(ct, batch * q.heads * q.seq * total) : null;
  attentionFloat(
    { batch, qHeads: q.heads, kvHeads: k.heads, qSeq: q.seq, kvSeq: total, headSize: q.size, vHeadSize: v.size, qStrides: q.strides, outStrides },
    {
      scale: a.scale ?? 1 / Math.sqrt(q.size), softcap: a.softcap,
      mask: m ? m.data : null, maskStrides: m ? m.strides : [0, 0, 0], maskCols: m ? m.cols : total,
      causalOffset, kvValid, qkMode: wantQk ? a.mode : -1,
    },
    computeData(Q, ct), keys, values, out, qk,
  );
  const results = [
    floatTensor(Q.type, out, outDims),
    floatTensor(K.type, keys, [batch, k.heads, total, k.size]),
    floatTensor(V.type, values, [batch, k.heads, total, v.size]),
  ];
  if (qk) results.push(floatTensor(Q.type, qk, qkDims));
  return results;
}

// ------------------------------------------------------------------ RotaryEmbedding

interface RotaryAttrs { readonly interleaved: boolean; readonly numHeads: number; readonly rotaryDim: number }

function runRotary(inputs: readonly (Tensor | undefined)[], a: RotaryAttrs): Tensor[] {
  const N = 'RotaryEmbedding';
  const X = need(N, inputs[0], 'X');
  const cosT = need(N, inputs[1], 'cos_cache');
  const sinT = need(N, inputs[2], 'sin_cache');
  const pos = inputs[3];
  rank(N, X, 'X', [3, 4]);
  const d = X.dims;
  const batch = d[0]!;
  let heads: number, seq: number, size: number, strides: Strides3;
  if (d.length === 4) {
    [heads, seq, size] = [d[1]!, d[2]!, d[3]!];
    strides = [heads * seq * size, size, seq * size];
  } else {
    if (a.numHeads <= 0) throw new InvalidNodeError(`${N}: a 3-D input needs the num_heads attribute`);
    [heads, seq] = [a.numHeads, d[1]!];
    size = divide(N, d[2]!, heads, 'hidden');
    strides = [seq * d[2]!, d[2]!, size];
  }
  const rotaryDim = a.rotaryDim > 0 ? a.rotaryDim : size;
  if (rotaryDim % 2 !== 0 || rotaryDim > size) {
    throw new InvalidNodeError(`${N}: rotary_embedding_dim ${rotaryDim} must be even and at most the head size ${size}`);
  }
  if (cosT.dims.join() !== sinT.dims.join()) throw new ShapeError(`${N}: cos_cache and sin_cache shapes differ`);
  const rows = new Int32Array(batch * seq);
  if (pos) {
    rank(N, cosT, 'cos_cache', [2]);
    if (pos.dims.length !== 2 || pos.dims[0] !== batch || pos.dims[1] !== seq) {
      throw new ShapeError(`${N}: position_ids [${pos.dims.join(', ')}] must be [${batch}, ${seq}]`);
    }
    const ids = intValues(pos);
    const max = cosT.dims[0]!;
    ids.forEach((p, i) => {
      if (p < 0 || p >= max) throw new ShapeError(`${N}: position id ${p} out of range [0, ${max})`);
      rows[i] = p;
    });
  } else {
    rank(N, cosT, 'cos_cache', [3]);
    if (cosT.dims[0] !== batch || cosT.dims[1] !== seq) {
      throw new ShapeError(`${N}: cos_cache [${cosT.dims.join(', ')}] must start with [${batch}, ${seq}] without position_ids`);
    }
    for (let i = 0; i < rows.length; i++) rows[i] = i;
  }
  const cacheStride = cosT.dims[cosT.dims.length - 1]!;
  if (cacheStride < rotaryDim / 2) throw new ShapeError(`${N}: cos_cache rows hold ${cacheStride} values, need ${rotaryDim / 2}`);
  const ct: DataType = X.type === 'float64' ? 'float64' : 'float32';
  const out = allocFloat(ct, X.size);
  rotaryEmbeddingFloat(
    { batch, seq, heads, headSize: size, rotaryDim, interleaved: a.interleaved, strides, cacheStride },
    computeData(X, ct), computeData(cosT, ct), computeData(sinT, ct), rows, out,
  );
  return [floatTensor(X.type, out, d)];
}

// ------------------------------------------------------------------ LinearAttention

const UPDATE_RULES = ['linear', 'gated', 'delta', 'gated_delta'] as const;
interface LinearAttrs { readonly qHeads: number; readonly kvHeads: number; readonly rule: string; readonly scale: number }

function parseLinear(a: Attrs): LinearAttrs {
  const rule = a.string('update_rule', 'gated_delta');
  if (!(UPDATE_RULES as readonly string[]).includes(rule)) {
    throw new InvalidNodeError(`LinearAttention: update_rule '${rule}' is not one of ${UPDATE_RULES.join(', ')}`);
  }
  const qHeads = a.int('q_num_heads');
  const kvHeads = a.int('kv_num_heads');
  if (kvHeads <= 0 || qHeads <= 0 || qHeads % kvHeads !== 0) {
    throw new InvalidNodeError(`LinearAttention: q_num_heads ${qHeads} must be a positive multiple of kv_num_heads ${kvHeads}`);
  }
  return Object.freeze({ qHeads, kvHeads, rule, scale: a.float('scale', 0) });
}

function runLinear(inputs: readonly (Tensor | undefined)[], a: LinearAttrs): Tensor[] {
  const N = 'LinearAttention';
  const [Q, K, V] = [need(N, inputs[0], 'query'), need(N, inputs[1], 'key'), need(N, inputs[2], 'value')];
  const [past, decay, beta] = [inputs[3], inputs[4], inputs[5]];
  for (const [t, w] of [[Q, 'query'], [K, 'key'], [V, 'value']] as const) rank(N, t, w, [3]);
  const [batch, seq] = [Q.dims[0]!, Q.dims[1]!];
  for (const t of [K, V]) {
    if (t.dims[0] !== batch || t.dims[1] !== seq) throw new ShapeError(`${N}: query, key and value must share [B, T]`);
  }
  const dk = divide(N, Q.dims[2]!, a.qHeads, 'query');
  if (K.dims[2] !== a.kvHeads * dk) throw new ShapeError(`${N}: key last dim ${K.dims[2]} must be kv_num_heads * ${dk}`);
  const dv = divide(N, V.dims[2]!, a.kvHeads, 'value');
  const gated = a.rule === 'gated' || a.rule === 'gated_delta';
  const delta = a.rule === 'delta' || a.rule === 'gated_delta';
  if (gated && !decay) throw new ShapeError(`${N}: update_rule '${a.rule}' needs the decay input`);
  if (delta && !beta) throw new ShapeError(`${N}: update_rule '${a.rule}' needs the beta input`);
  const width = (t: Tensor | undefined, what: string, ok: number[]): number => {
    if (!t) return 0;
    need(N, t, what);
    if (t.dims.length !== 3 || t.dims[0] !== batch || t.dims[1] !== seq || !ok.includes(t.dims[2]!)) {
      throw new ShapeError(`${N}: ${what} [${t.dims.join(', ')}] must be [${batch}, ${seq}, ${ok.join(' or ')}]`);
    }
    return t.dims[2]!;
  };
  const decayWidth = width(gated ? decay : undefined, 'decay', [a.kvHeads * dk, a.kvHeads]);
  const betaWidth = width(delta ? beta : undefined, 'beta', [a.kvHeads, 1]);
  const stateDims = [batch, a.kvHeads, dk, dv];
  const state = new Float64Array(batch * a.kvHeads * dk * dv);
  if (past) {
    need(N, past, 'past_state');
    if (past.dims.join() !== stateDims.join()) {
      throw new ShapeError(`${N}: past_state [${past.dims.join(', ')}] must be [${stateDims.join(', ')}]`);
    }
    state.set(floatData(past));
  }
  const ct: DataType = Q.type === 'float64' ? 'float64' : 'float32';
  const out = allocFloat(ct, batch * seq * a.qHeads * dv);
  linearAttentionFloat(
    { batch, seq, qHeads: a.qHeads, kvHeads: a.kvHeads, keyDim: dk, valueDim: dv,
      scale: a.scale !== 0 ? a.scale : 1 / Math.sqrt(dk), gated, delta, decayWidth, betaWidth },
    computeData(Q, ct), computeData(K, ct), computeData(V, ct),
    gated && decay ? computeData(decay, ct) : null, delta && beta ? computeData(beta, ct) : null, state, out,
  );
  const stateOut = allocFloat(ct, state.length);
  stateOut.set(state);
  return [floatTensor(Q.type, out, [batch, seq, a.qHeads * dv]), floatTensor(Q.type, stateOut, stateDims)];
}

// ------------------------------------------------------------------ CausalConvWithState, SwiGLU

function runCausalConv(inputs: readonly (Tensor | undefined)[], a: { readonly silu: boolean }): Tensor[] {
  const N = 'CausalConvWithState';
  const X = need(N, inputs[0], 'input');
  const W = need(N, inputs[1], 'weight');
  const [bias, past] = [inputs[2], inputs[3]];
  rank(N, X, 'input', [3]);
  const [batch, channels, length] = X.dims as [number, number, number];
  if (W.dims.length !== 3 || W.dims[0] !== channels || W.dims[1] !== 1 || W.dims[2]! < 1) {
    throw new ShapeError(`${N}: weight [${W.dims.join(', ')}] must be [${channels}, 1, k] with k >= 1`);
  }
  const kernel = W.dims[2]!;
  if (bias && (need(N, bias, 'bias').dims.length !== 1 || bias.dims[0] !== channels)) {
    throw new ShapeError(`${N}: bias [${bias.dims.join(', ')}] must be [${channels}]`);
  }
  const stateDims = [batch, channels, kernel - 1];
  if (past && need(N, past, 'past_state').dims.join() !== stateDims.join()) {
    throw new ShapeError(`${N}: past_state [${past.dims.join(', ')}] must be [${stateDims.join(', ')}]`);
  }
  const ct: DataType = X.type === 'float64' ? 'float64' : 'float32';
  const out = allocFloat(ct, X.size);
  const present = allocFloat(ct, batch * channels * (kernel - 1));
  causalConvWithStateFloat(
    computeData(X, ct), computeData(W, ct), bias ? computeData(bias, ct) : null, past ? computeData(past, ct) : null,
    out, present, batch, channels, length, kernel, a.silu,
  );
  return [floatTensor(X.type, out, X.dims), floatTensor(X.type, present, stateDims)];
}

function runSwiGLU(inputs: readonly (Tensor | undefined)[], a: { readonly alpha: number }): Tensor[] {
  const A = need('SwiGLU', inputs[0], 'A');
  const B = need('SwiGLU', inputs[1], 'B');
  if (A.dims.join() !== B.dims.join() || A.dims.length !== B.dims.length) {
    throw new ShapeError(`SwiGLU: A [${A.dims.join(', ')}] and B [${B.dims.join(', ')}] must have the same shape`);
  }
  const ct: DataType = A.type === 'float64' ? 'float64' : 'float32';
  const out = allocFloat(ct, A.size);
  swigluFloat(computeData(A, ct), computeData(B, ct), out, a.alpha);
  return [floatTensor(A.type, out, A.dims)];
}

// ------------------------------------------------------------------ FlexAttention

interface FlexAttrs { readonly scale: number | undefined; readonly scoreMod: Graph | undefined; readonly probMod: Graph | undefined }

/** Runs a score_mod / prob_mod subgraph on a [B, H, L, S] float tensor. */
function applyMod(ctx: OpContext, g: Graph, type: DataType, data: FloatArray, dims: number[], what: string): FloatArray {
  const [r] = ctx.runSubgraph(g, [new Tensor(type, data, dims)]);
  if (!(r instanceof Tensor) || !isFloatType(r.type) || r.dims.join() !== dims.join()) {
    throw new ShapeError(`FlexAttention: ${what} must return a float tensor of shape [${dims.join(', ')}]`);
  }
  return computeData(r, type);
}

function runFlex(inputs: readonly (Tensor | undefined)[], a: FlexAttrs, ctx: OpContext): Tensor[] {
  const N = 'FlexAttention';
  const [Q, K, V] = [need(N, inputs[0], 'Q'), need(N, inputs[1], 'K'), need(N, inputs[2], 'V')];
  for (const [t, w] of [[Q, 'Q'], [K, 'K'], [V, 'V']] as const) rank(N, t, w, [4]);
  const [batch, qHeads, qSeq, dim] = Q.dims as [number, number, number, number];
  const [kvHeads, kvSeq] = [K.dims[1]!, K.dims[2]!];
  const vDim = V.dims[3]!;
  if (K.dims[0] !== batch || V.dims[0] !== batch || K.dims[3] !== dim || V.dims[1] !== kvHeads || V.dims[2] !== kvSeq) {
    throw new ShapeError(`${N}: Q [${Q.dims.join(', ')}], K [${K.dims.join(', ')}], V [${V.dims.join(', ')}] do not fit together`);
  }
  if (qHeads % kvHeads !== 0) throw new ShapeError(`${N}: ${qHeads} query heads are not a multiple of ${kvHeads} kv heads`);
  const ct: DataType = Q.type === 'float64' ? 'float64' : 'float32';
  const dims = [batch, qHeads, qSeq, kvSeq];
  let scores = allocFloat(ct, batch * qHeads * qSeq * kvSeq);
  attentionScoresFloat(computeData(Q, ct), computeData(K, ct), scores, batch, qHeads, kvHeads, qSeq, kvSeq, dim,
    a.scale ?? 1 / Math.sqrt(dim));
  if (a.scoreMod) scores = applyMod(ctx, a.scoreMod, ct, scores, dims, 'score_mod');
  let probs = allocFloat(ct, scores.length);
  softmaxFloat(scores, probs, batch * qHeads * qSeq, kvSeq, 1);
  if (a.probMod) probs = applyMod(ctx, a.probMod, ct, probs, dims, 'prob_mod');
  const out = allocFloat(ct, batch * qHeads * qSeq * vDim);
  attentionApplyFloat(probs, computeData(V, ct), out, batch, qHeads, kvHeads, qSeq, kvSeq, vDim);
  return [floatTensor(Q.type, out, [batch, qHeads, qSeq, vDim])];
}

// ------------------------------------------------------------------ inference

const div = (d: Dim | undefined, n: number): Dim => (typeof d === 'number' && n > 0 ? d / n : null);

/** [heads, seq, headSize] of a 3-D ([B, S, H*D]) or 4-D ([B, H, S, D]) Q/K/V. */
function headDims(s: Shape, heads: number): [Dim, Dim, Dim] {
  return s.length === 4 ? [s[1]!, s[2]!, s[3]!] : [heads || null, s[1]!, div(s[2], heads)];
}

function inferAttention(inputs: readonly (InferInput | undefined)[], a: AttentionAttrs): ValueType[] {
  const [qs, ks, vs] = [shapeOf(inputs[0]), shapeOf(inputs[1]), shapeOf(inputs[2])];
  const t = elemOf(inputs[0]);
  if (!qs || !ks || !vs) return [tensorType(t), tensorType(elemOf(inputs[1])), tensorType(elemOf(inputs[2])), tensorType(t)];
  const b = qs[0]!;
  const [qh, qSeq] = headDims(qs, a.qHeads);
  const [kh, kSeq, kSize] = headDims(ks, a.kvHeads);
  const vSize = headDims(vs, a.kvHeads)[2];
  const past = shapeOf(inputs[4]);
  const total = inputs[4] ? dimAdd(past?.[2] ?? null, kSeq) : kSeq;
  const out = qs.length === 4 ? [b, qh, qSeq, vSize] : [b, qSeq, dimMul(qh, vSize)];
  return [
    tensorType(t, out),
    tensorType(elemOf(inputs[1]), [b, kh, total, kSize]),
    tensorType(elemOf(inputs[2]), [b, kh, total, vSize]),
    tensorType(t, [b, qh, qSeq, total]),
  ];
}

function inferLinear(inputs: readonly (InferInput | undefined)[], a: LinearAttrs): ValueType[] {
  const [qs, vs] = [shapeOf(inputs[0]), shapeOf(inputs[2])];
  const t = elemOf(inputs[0]);
  if (!qs || !vs) return [tensorType(t), tensorType(t)];
  const [dk, dv] = [div(qs[2], a.qHeads), div(vs[2], a.kvHeads)];
  return [tensorType(t, [qs[0]!, qs[1]!, dimMul(a.qHeads, dv)]), tensorType(t, [qs[0]!, a.kvHeads, dk, dv])];
}

function inferCausalConv(inputs: readonly (InferInput | undefined)[]): ValueType[] {
  const [xs, ws] = [shapeOf(inputs[0]), shapeOf(inputs[1])];
  const t = elemOf(inputs[0]);
  const k = ws?.[2];
  return [tensorType(t, xs), tensorType(t, xs && [xs[0]!, xs[1]!, typeof k === 'number' ? k - 1 : null])];
}

function inferFlex(inputs: readonly (InferInput | undefined)[]): ValueType[] {
  const [qs, vs] = [shapeOf(inputs[0]), shapeOf(inputs[2])];
  return [tensorType(elemOf(inputs[0]), qs && [qs[0]!, qs[1]!, qs[2]!, vs?.[3] ?? null])];
}

// ------------------------------------------------------------------ planner-fused attention

/** Where one operand of the fused attention lives in its input tensor: element [b, h, s, d] at offset + b*sb + h*sh + s*ss + d. */
export interface StridedOperand {
  readonly offset: number;
  readonly strides: Strides3;
  /** Elements the input tensor must hold (its dims are whatever the graph gave it). */
  readonly size: number;
}

/**
 * Scaled dot-product attention that the planner recognised in a graph's MatMul / Softmax /
 * MatMul nodes (src/runtime/rewrite/attention.ts), with the Transposes, Reshapes and Slices
 * around it folded into strides: inputs are Q, K, V and optionally an additive float mask, each
 * read in place through a StridedOperand (feature stride 1); the output, of `outDims`, is written
 * through `out`. Not an ONNX op: the planner builds it, float32 only.
 */
export interface StridedAttentionAttrs {
  readonly batch: number;
  readonly heads: number;
  readonly qSeq: number;
  readonly kvSeq: number;
  readonly headSize: number;
  readonly vHeadSize: number;
  readonly scale: number;
  readonly q: StridedOperand;
  readonly k: StridedOperand;
  readonly v: StridedOperand;
  /** Input 3, columns (keys) contiguous; null when there is no mask. */
  readonly mask: StridedOperand | null;
  readonly out: StridedOperand;
  readonly outDims: readonly number[];
}

function stridedInput(t: Tensor | undefined, o: StridedOperand, what: string): Float32Array {
  if (!t || t.type !== 'float32' || t.size !== o.size) {
    throw new ShapeError(`Attention (fused): ${what} must be float32 with ${o.size} elements, got ${t ? `${t.type} [${t.dims.join(', ')}]` : 'none'} (planner bug)`);
  }
  return t.data as Float32Array;
}

function runStridedAttention(inputs: readonly (Tensor | undefined)[], a: StridedAttentionAttrs): Tensor[] {
  const q = stridedInput(inputs[0], a.q, 'Q');
  const k = stridedInput(inputs[1], a.k, 'K');
  const v = stridedInput(inputs[2], a.v, 'V');
  const mask = a.mask ? stridedInput(inputs[3], a.mask, 'mask') : null;
  const out = allocFloatOut('float32', a.out.size) as Float32Array;
  attentionStridedF32(a, q, k, v, mask, out);
  return [new Tensor('float32', out, a.outDims)];
}

/** The planner's fused attention (see StridedAttentionAttrs); not registered as an ONNX op. */
export const stridedAttentionOp: OpDef = op({
  name: 'Attention',
  since: 1,
  infer: (_inputs, a: StridedAttentionAttrs) => [tensorType('float32', a.outDims)],
  run: runStridedAttention,
});

// ------------------------------------------------------------------ definitions

export const attentionOps: OpDef[] = [
  // Opset 24 adds the nonpad_kv_seqlen input (index 6); opset 23 has six inputs.
  op({ name: 'Attention', since: 23, parse: parseAttention, infer: inferAttention, run: (i, a, ctx) => runAttention(i.slice(0, 6), a, ctx) }),
  op({ name: 'Attention', since: 24, parse: parseAttention, infer: inferAttention, run: runAttention }),
  op({
    name: 'RotaryEmbedding', since: 23,
    parse: (a: Attrs): RotaryAttrs => Object.freeze({
      interleaved: a.int('interleaved', 0) !== 0,
      numHeads: a.int('num_heads', 0),
      rotaryDim: a.int('rotary_embedding_dim', 0),
    }),
    infer: sameAs(0),
    run: runRotary,
  }),
  op({ name: 'LinearAttention', since: 27, parse: parseLinear, infer: inferLinear, run: runLinear }),
  op({
    name: 'CausalConvWithState', since: 27,
    parse: (a: Attrs) => {
      const act = a.string('activation', 'none');
      if (!['none', 'silu', 'swish'].includes(act)) {
        throw new InvalidNodeError(`CausalConvWithState: activation '${act}' is not one of none, silu, swish`);
      }
      return Object.freeze({ silu: act !== 'none' });
    },
    infer: inferCausalConv,
    run: runCausalConv,
  }),
  op({
    name: 'SwiGLU', since: 28,
    parse: (a: Attrs) => Object.freeze({ alpha: a.float('alpha', 1) }),
    infer: sameAs(0),
    run: runSwiGLU,
  }),
  op({
    name: 'FlexAttention', domain: 'ai.onnx.preview', since: 1,
    parse: (a: Attrs): FlexAttrs => Object.freeze({
      scale: a.has('scale') ? a.float('scale') : undefined,
      scoreMod: a.graph('score_mod'),
      probMod: a.graph('prob_mod'),
    }),
    infer: inferFlex,
    run: runFlex,
  }),
];
