// The fused transformer ops PyTorch's inference fast path calls:
// aten::_native_multi_head_attention and aten::_transformer_encoder_layer_fwd,
// composed from linear, layer_norm, softmax and matmul over batch-first [B, L, E] input.

import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { TsTuple, type AtenOp, type TsValue } from './aten-op.js';
import { boolArg, floatArg, intArg, optInt, optIntList, optTensor, tensorArg } from './args.js';
import { aten, shapeTensor } from './define.js';
import { onnx1 } from './onnx-bridge.js';
import { layerNorm, linear } from './nn.js';
import { scalarTensor } from './promote.js';

function rows(t: Tensor, from: number, to: number): Tensor {
  return onnx1('Slice', [t, shapeTensor([from]), shapeTensor([to]), shapeTensor([0])]);
}

/** [B, L, E] -> [B, H, L, D] */
function heads(t: Tensor, h: number): Tensor {
  const [b, l, e] = t.dims as [number, number, number];
  return onnx1('Transpose', [t.reshape([b, l, h, e / h])], { perm: [0, 2, 1, 3] });
}

/** The additive / boolean mask as a [B or 1, H or 1, L, S] float bias (-inf where masked). */
function maskBias(mask: Tensor, maskType: number | null, b: number, l: number, s: number, like: Tensor): Tensor {
  let m = mask;
  if (maskType === 1 || (m.rank === 2 && m.dims[0] === b && m.dims[1] === s && (l !== b || maskType === 1))) {
    m = m.reshape([b, 1, 1, s]); // key padding mask
  } else if (m.rank === 2) m = m.reshape([1, 1, l, s]);
  else if (m.rank === 3) m = m.reshape([m.dims[0] === b ? b : 1, m.dims[0] === b ? 1 : m.dims[0]!, l, s]);
  if (m.type === 'bool') {
    return onnx1('Where', [m, scalarTensor(-Infinity, like.type), scalarTensor(0, like.type)]);
  }
  return m.type === like.type ? m : onnx1('Cast', [m], { to: like.type === 'float64' ? 11 : 1 });
}

export function multiHeadAttention(
  query: Tensor, key: Tensor, value: Tensor, numHeads: number, qkvW: Tensor, qkvB: Tensor, projW: Tensor, projB: Tensor,
  mask: Tensor | null, needWeights: boolean, average: boolean, maskType: number | null, op: string,
): [Tensor, Tensor] {
  if (query.rank !== 3) throw new ShapeError(`${op}: expected a batch-first [B, L, E] query, got [${query.dims.join(', ')}]`);
  const e = query.dims[2]!;
  if (e % numHeads !== 0) throw new InvalidNodeError(`${op}: embed_dim ${e} is not divisible by num_heads ${numHeads}`);
  const d = e / numHeads;
  const q = linear(query, rows(qkvW, 0, e), rows(qkvB, 0, e), op);
  const k = linear(key, rows(qkvW, e, 2 * e), rows(qkvB, e, 2 * e), op);
  const v = linear(value, rows(qkvW, 2 * e, 3 * e), rows(qkvB, 2 * e, 3 * e), op);
  const qh = onnx1('Mul', [heads(q, numHeads), scalarTensor(1 / Math.sqrt(d), q.type)]);
  const kh = heads(k, numHeads);
  const vh = heads(v, numHeads);
  let scores = onnx1('MatMul', [qh, onnx1('Transpose', [kh], { perm: [0, 1, 3, 2] })]); // [B, H, L, S]
  const [b, , l, s] = scores.dims as [number, number, number, number];
  if (mask !== null) scores = onnx1('Add', [scores, maskBias(mask, maskType, b, l, s, scores)]);
  let p = onnx1('Softmax', [scores], { axis: 3 });
  // A fully masked row gives NaN from softmax; PyTorch's masked softmax gives zeros.
  if (mask !== null) p = onnx1('Where', [onnx1('IsNaN', [p]), scalarTensor(0, p.type), p]);
  const ctx = onnx1('MatMul', [p, vh]); // [B, H, L, D]
  const merged = onnx1('Transpose', [ctx], { perm: [0, 2, 1, 3] }).reshape([b, l, e]);
  const out = linear(merged, projW, projB, op);
  if (!needWeights) return [out, Tensor.zeros(out.type, [0])];
  const w = average ? onnx1('ReduceMean', [p, shapeTensor([1])], { keepdims: 0 }) : p;
  return [out, w];
}

// Nested tensors (the padding-free form TransformerEncoder switches to when given a
// left-aligned src_key_padding_mask) are represented densely: the padded tensor itself, with its
// mask of valid positions ([B, L] bool) recorded here. Layers applied to such a tensor attend
// only to valid keys (a key padding mask), and to_padded_tensor fills the invalid positions.
const nestedMasks = new WeakMap<Tensor, Tensor>();

function leftAligned(mask: Tensor): boolean {
  if (mask.rank !== 2) return false;
  const m = onnx1('Cast', [mask], { to: 7 });
  const prefix = onnx1('CumProd', [m, new Tensor('int64', BigInt64Array.of(1n), [])]);
  const same = onnx1('Cast', [onnx1('Equal', [prefix, m])], { to: 2 });
  return (onnx1('ReduceMin', [same], { keepdims: 0 }).data as Uint8Array)[0] === 1;
}

function nestedFromMask(t: Tensor, mask: Tensor, op: string): Tensor {
  if (t.rank !== 3 || mask.rank !== 2 || mask.dims[0] !== t.dims[0] || mask.dims[1] !== t.dims[1]) {
    throw new ShapeError(`${op}: expected a [B, L, E] tensor and a [B, L] mask, got [${t.dims.join(', ')}] and [${mask.dims.join(', ')}]`);
  }
  const valid = mask.type === 'bool' ? mask : onnx1('Cast', [mask], { to: 9 });
  const zeros = scalarTensor(0, t.type);
  const out = onnx1('Where', [valid.reshape([...valid.dims, 1]), t, zeros]);
  nestedMasks.set(out, valid);
  return out;
}

function toPadded(t: Tensor, padding: number, size: number[] | null, op: string): Tensor {
  const valid = nestedMasks.get(t);
  if (valid === undefined) return t;
  let out = onnx1('Where', [valid.reshape([...valid.dims, 1]), t, scalarTensor(padding, t.type)]);
  // A nested tensor pads to its longest sequence.
  const lengths = onnx1('ReduceSum', [onnx1('Cast', [valid], { to: 7 }), shapeTensor([1])], { keepdims: 0 });
  const longest = Number(onnx1('ReduceMax', [lengths], { keepdims: 0 }).data[0]);
  const len = size === null ? longest : size[1]!;
  if (len < out.dims[1]!) out = onnx1('Slice', [out, shapeTensor([0]), shapeTensor([len]), shapeTensor([1])]);
  if (size !== null && size.some((d, i) => d !== out.dims[i])) {
    throw new ShapeError(`${op}: output_size [${size.join(', ')}] does not fit the padded size [${out.dims.join(', ')}]`);
  }
  return out;
}

function encoderLayer(a: readonly TsValue[], op: string): Tensor {
  const t = (i: number, name: string) => tensorArg(a[i]!, op, name);
  const src = t(0, 'src');
  const numHeads = intArg(a[2]!, op, 'num_heads');
  const useGelu = boolArg(a[7]!, op, 'use_gelu');
  const normFirst = boolArg(a[8]!, op, 'norm_first');
  const eps = floatArg(a[9]!, op, 'eps');
  const e = src.dims[src.rank - 1]!;
  const ln = (x: Tensor, w: number) => layerNorm(x, [e], t(w, 'norm_weight'), t(w + 1, 'norm_bias'), eps, op);
  const nested = nestedMasks.get(src);
  const mask = nested !== undefined ? onnx1('Not', [nested]) : optTensor(a[18]!, op, 'mask');
  const maskType = nested !== undefined ? 1 : optInt(a[19]!, op, 'mask_type');
  const unbatched = src.rank === 2;
  const x0 = unbatched ? src.reshape([1, ...src.dims]) : src;
  const attn = (x: Tensor) => multiHeadAttention(x, x, x, numHeads, t(3, 'qkv_weight'), t(4, 'qkv_bias'), t(5, 'proj_weight'), t(6, 'proj_bias'),
    mask, false, false, maskType, op)[0];
  const ffn = (x: Tensor) => {
    const h = linear(x, t(14, 'ffn_weight_1'), t(15, 'ffn_bias_1'), op);
    const act = useGelu ? onnx1('Gelu', [h], { approximate: 'none' }) : onnx1('Relu', [h]);
    return linear(act, t(16, 'ffn_weight_2'), t(17, 'ffn_bias_2'), op);
  };
  let x: Tensor;
  if (normFirst) {
    x = onnx1('Add', [x0, attn(ln(x0, 10))]);
    x = onnx1('Add', [x, ffn(ln(x, 12))]);
  } else {
    x = ln(onnx1('Add', [x0, attn(x0)]), 10);
    x = ln(onnx1('Add', [x, ffn(x)]), 12);
  }
  if (nested !== undefined) nestedMasks.set(x, nested);
  return unbatched ? x.reshape(src.dims) : x;
}

export const transformerOps: readonly AtenOp[] = [
  aten('_native_multi_head_attention',
    '(Tensor query, Tensor key, Tensor value, int embed_dim, int num_head, Tensor qkv_weight, Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias, Tensor? mask=None, bool need_weights=True, bool average_attn_weights=True, int? mask_type=None)',
    (a) => {
      const op = 'aten::_native_multi_head_attention';
      const t = (i: number, name: string) => tensorArg(a[i]!, op, name);
      return new TsTuple(multiHeadAttention(t(0, 'query'), t(1, 'key'), t(2, 'value'), intArg(a[4]!, op, 'num_head'),
        t(5, 'qkv_weight'), t(6, 'qkv_bias'), t(7, 'proj_weight'), t(8, 'proj_bias'), optTensor(a[9]!, op, 'mask'),
        boolArg(a[10]!, op, 'need_weights'), boolArg(a[11]!, op, 'average_attn_weights'), optInt(a[12]!, op, 'mask_type'), op));
    }),
  aten('_transformer_encoder_layer_fwd',
    '(Tensor src, int embed_dim, int num_heads, Tensor qkv_weight, Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias, bool use_gelu, bool norm_first, float eps, Tensor norm_weight_1, Tensor norm_bias_1, Tensor norm_weight_2, Tensor norm_bias_2, Tensor ffn_weight_1, Tensor ffn_bias_1, Tensor ffn_weight_2, Tensor ffn_bias_2, Tensor? mask=None, int? mask_type=None)',
    (a) => encoderLayer(a, 'aten::_transformer_encoder_layer_fwd')),
  aten('_nested_tensor_from_mask', '(Tensor t, Tensor mask, bool mask_check=True)', (a) =>
    nestedFromMask(tensorArg(a[0]!, '_nested_tensor_from_mask', 't'), tensorArg(a[1]!, '_nested_tensor_from_mask', 'mask'), 'aten::_nested_tensor_from_mask')),
  aten('_nested_tensor_from_mask_left_aligned', '(Tensor t, Tensor mask)', (a) =>
    leftAligned(tensorArg(a[1]!, '_nested_tensor_from_mask_left_aligned', 'mask'))),
  aten('to_padded_tensor', '(Tensor self, float padding, int[]? output_size=None)', (a) =>
    toPadded(tensorArg(a[0]!, 'to_padded_tensor', 'self'), floatArg(a[1]!, 'to_padded_tensor', 'padding'),
      optIntList(a[2]!, 'to_padded_tensor', 'output_size'), 'aten::to_padded_tensor')),
];
