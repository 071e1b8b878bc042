// aten::scaled_dot_product_attention (torch 2.x; every traced transformers model and timm ViT
// calls it), as PyTorch's math reference computes it:
//
//   softmax(q kᵀ · scale + bias) v,   scale = 1/sqrt(E) unless given,
//
// bias: -inf where a bool attn_mask is False (or above the diagonal when is_causal), a float
// attn_mask added as is. enable_gqa repeats each key/value head for its group of query heads.
// A query row whose every key is masked gives zeros (torch >= 2.5's math path, `_safe_softmax`;
// earlier versions gave NaN). Inference only: dropout_p must be 0.

import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import type { AtenOp } from './aten-op.js';
import { boolArg, floatArg, optFloat, optTensor, tensorArg } from './args.js';
import { softmax } from './activation.js';
import { aten, shapeTensor } from './define.js';
import { matmul } from './nn.js';
import { onnx1 } from './onnx-bridge.js';
import { castTo, isFloating, scalarTensor } from './promote.js';
import { permuted } from './shape.js';

const OP = 'aten::scaled_dot_product_attention';
const fmt = (dims: readonly number[]) => `[${dims.join(', ')}]`;

/** kv [..., Hkv, S, E] with each head repeated `group` times in place: [..., Hkv * group, S, E]. */
function repeatHeads(kv: Tensor, group: number): Tensor {
  if (group === 1) return kv;
  const r = kv.rank;
  const dims = kv.dims;
  const withGroup = kv.reshape([...dims.slice(0, r - 2), 1, ...dims.slice(r - 2)]);
  const expanded = onnx1('Expand', [withGroup, shapeTensor([...dims.slice(0, r - 2), group, ...dims.slice(r - 2)])]);
  return expanded.reshape([...dims.slice(0, r - 3), dims[r - 3]! * group, ...dims.slice(r - 2)]);
}

function sdpa(
  q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, dropout: number, causal: boolean, scale: number | null, gqa: boolean,
): Tensor {
  if (!isFloating(q.type) || k.type !== q.type || v.type !== q.type) {
    throw new InvalidNodeError(`${OP}: query, key and value must be floating point of one dtype, got ${q.type}, ${k.type}, ${v.type}`);
  }
  if (q.rank < 2 || k.rank < 2 || v.rank < 2) throw new ShapeError(`${OP}: query ${fmt(q.dims)}, key ${fmt(k.dims)} and value ${fmt(v.dims)} need at least 2 dims`);
  if (dropout !== 0) throw new InvalidNodeError(`${OP}: dropout_p = ${dropout} is not supported (inference only: dropout_p must be 0)`);
  if (causal && mask !== null) throw new InvalidNodeError(`${OP}: _scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True`);
  const E = q.dims[q.rank - 1]!;
  if (k.dims[k.rank - 1] !== E) throw new ShapeError(`${OP}: the last dim of query ${fmt(q.dims)} and key ${fmt(k.dims)} must match`);
  let key = k, value = v;
  if (gqa && q.rank >= 3 && k.rank >= 3) {
    const hq = q.dims[q.rank - 3]!, hk = k.dims[k.rank - 3]!, hv = v.dims[v.rank - 3]!;
    if (hk === 0 || hv === 0 || hq % hk !== 0 || hq % hv !== 0) {
      throw new ShapeError(`${OP}: with enable_gqa the query heads (${hq}) must be a multiple of the key (${hk}) and value (${hv}) heads`);
    }
    key = repeatHeads(k, hq / hk);
    value = repeatHeads(v, hq / hv);
  }
  const L = q.dims[q.rank - 2]!, S = key.dims[key.rank - 2]!;
  const perm = key.dims.map((_, i) => i);
  [perm[key.rank - 2], perm[key.rank - 1]] = [key.rank - 1, key.rank - 2];
  let scores = matmul(q, permuted(key, perm), OP);
  const factor = scale ?? 1 / Math.sqrt(E);
  scores = onnx1('Mul', [scores, scalarTensor(factor, q.type)]);
  const negInf = scalarTensor(-Infinity, q.type);
  const zero = scalarTensor(0, q.type);
  if (causal) {
    const ones = onnx1('Expand', [scalarTensor(1, q.type), shapeTensor([L, S])]);
    const keep = onnx1('Trilu', [ones], { upper: 0 });
    scores = onnx1('Add', [scores, onnx1('Where', [castTo(keep, 'bool'), zero, negInf])]);
  } else if (mask !== null) {
    scores = mask.type === 'bool'
      ? onnx1('Add', [scores, onnx1('Where', [mask, zero, negInf])])
      : onnx1('Add', [scores, castTo(mask, q.type)]);
  }
  let weights = softmax('Softmax', scores, -1, null, OP);
  if (causal || mask !== null) {
    // Rows with every key masked: softmax over -inf only is NaN; the math path gives 0.
    const rowMax = onnx1('ReduceMax', [scores, shapeTensor([scores.rank - 1])], { keepdims: 1 });
    weights = onnx1('Where', [onnx1('Equal', [rowMax, negInf]), zero, weights]);
  }
  return matmul(weights, value, OP);
}

export const sdpaOps: readonly AtenOp[] = [
  aten('scaled_dot_product_attention',
    '(Tensor query, Tensor key, Tensor value, Tensor? attn_mask=None, float dropout_p=0.0, bool is_causal=False, *, float? scale=None, bool enable_gqa=False)',
    (a) => sdpa(
      tensorArg(a[0]!, OP, 'query'), tensorArg(a[1]!, OP, 'key'), tensorArg(a[2]!, OP, 'value'), optTensor(a[3]!, OP, 'attn_mask'),
      floatArg(a[4]!, OP, 'dropout_p'), boolArg(a[5]!, OP, 'is_causal'), optFloat(a[6]!, OP, 'scale'), boolArg(a[7]!, OP, 'enable_gqa'),
    )),
];
