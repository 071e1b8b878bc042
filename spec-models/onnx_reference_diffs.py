#!/usr/bin/env python3
"""Reference cases for the small ONNX points where tessera and onnxruntime were seen to differ
(issue 12): Attention with an integer `attn_mask`, the masked entries of `qk_matmul_output`
(with and without softcap), and integer Div / Mod by zero.

Each case is a one-node ONNX model with its inputs and the expected outputs from `onnx.reference`
(the ONNX spec's reference implementation), or the expected error when tessera chooses to raise
as onnxruntime does (integer division by zero: the spec says nothing; numpy gives 0 with a
warning). What onnxruntime itself returns is recorded next to each case (`ort`), so the file also
documents where tessera follows the spec rather than onnxruntime.

Needs onnx >= 1.23 (Attention-23/24 in onnx.reference, with its errata) and onnxruntime: run it
with the torch 2 venv, `/work/venv-torch2/bin/python spec-models/onnx_reference_diffs.py`. Writes
spec-models/onnx/reference-diffs.json (tensors inline: dtype, shape, flat data, NaN/Inf as
strings; the model as base64). test/conformance/onnx-reference-diffs.test.ts runs every case.
"""
import base64
import json
import math
import os
import warnings

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as TP
from onnx import helper as h
from onnx.reference import ReferenceEvaluator

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'onnx', 'reference-diffs.json')
rng = np.random.default_rng(12)

def elem(a):
    return h.np_dtype_to_tensor_dtype(np.asarray(a).dtype)


def num(x):
    if isinstance(x, float):
        if math.isnan(x):
            return 'nan'
        if math.isinf(x):
            return 'inf' if x > 0 else '-inf'
    return x


def enc(a):
    a = np.asarray(a)
    name = a.dtype.name
    data = [num(v.item()) for v in a.ravel()]
    if name in ('int64', 'uint64'):
        data = [str(v) for v in a.ravel()]  # beyond 2^53: strings, read as BigInt
    return {'dtype': name, 'shape': list(a.shape), 'data': data}


CASES = []


def case(name, op, inputs, outputs, attrs=None, opset=23, expect_error=None, why='', ref_inputs=None):
    """inputs: list of (name, array or None for an omitted optional input); outputs: names ('' = omitted).
    ref_inputs: other inputs for onnx.reference where it cannot run the case as given (the same
    model with those inputs' types)."""
    attrs = attrs or {}
    node = h.make_node(op, [n if a is not None else '' for n, a in inputs], outputs, name=name, **attrs)
    vis = [h.make_tensor_value_info(n, elem(a), list(a.shape)) for n, a in inputs if a is not None]
    outs = [h.make_tensor_value_info(o, elem(inputs[0][1]), None) for o in outputs if o]  # all T1 / T
    model = h.make_model(h.make_graph([node], name, vis, outs),
                         opset_imports=[h.make_opsetid('', opset)], ir_version=10)
    feeds = {n: a for n, a in inputs if a is not None}
    entry = {'name': name, 'why': why, 'model': base64.b64encode(model.SerializeToString()).decode(),
             'inputs': {n: enc(a) for n, a in feeds.items()}}
    ref_model, ref_feeds = model, feeds
    if ref_inputs is not None:
        ref_feeds = {n: a for n, a in ref_inputs if a is not None}
        ref_vis = [h.make_tensor_value_info(n, elem(a), list(a.shape)) for n, a in ref_inputs if a is not None]
        ref_model = h.make_model(h.make_graph([node], name, ref_vis, outs),
                                 opset_imports=[h.make_opsetid('', opset)], ir_version=10)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        ref = ReferenceEvaluator(ref_model).run(None, ref_feeds)
    try:
        got = ort.InferenceSession(model.SerializeToString(), providers=['CPUExecutionProvider']).run(None, feeds)
        ort_out = {o: enc(v) for o, v in zip([o for o in outputs if o], got)}
    except Exception as e:  # noqa: BLE001 - the error text is what we record
        ort_out = {'error': str(e).split('Status Message: ')[-1].strip()[:200]}
    entry['ort'] = ort_out
    entry['source'] = 'onnx.reference' if ref_inputs is None else 'onnx.reference on ' + ', '.join(
        f'{n} as {a.dtype.name}' for (n, a), (_, b) in zip(ref_inputs, inputs) if a is not None and a.dtype != b.dtype)
    if expect_error:
        entry['error'] = expect_error
        entry['reference'] = {o: enc(v) for o, v in zip([o for o in outputs if o], ref)}
    else:
        entry['outputs'] = {o: enc(v) for o, v in zip([o for o in outputs if o], ref)}
    CASES.append(entry)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


# ---------------------------------------------------------------- Attention, integer masks
# The spec's type constraint U for attn_mask admits every integer type; the text speaks of bool
# and float masks only. onnx.reference (and onnxruntime 1.30) add a non-bool mask to the scores
# as numbers, so tessera does the same: an integer mask is an additive bias.

q, k, v = f32(2, 2, 3, 4), f32(2, 2, 5, 4), f32(2, 2, 5, 4)
for t in (np.int32, np.int64, np.int8, np.uint8, np.int16, np.uint32):
    lo = 0 if t in (np.uint8, np.uint32) else -3
    mask = rng.integers(lo, 3, size=(3, 5)).astype(t)
    case(f'attention_mask_{np.dtype(t).name}', 'Attention', [('Q', q), ('K', k), ('V', v), ('attn_mask', mask)],
         ['Y', '', '', 'qk'], {'qk_matmul_output_mode': 2},
         why=f'an {np.dtype(t).name} attn_mask is added to the scores as numbers (onnx.reference)')

mask = rng.integers(-2, 3, size=(2, 1, 3, 5)).astype(np.int32)
case('attention_mask_int32_causal_softcap', 'Attention', [('Q', q), ('K', k), ('V', v), ('attn_mask', mask)],
     ['Y', '', '', 'qk'], {'is_causal': 1, 'softcap': 2.0, 'qk_matmul_output_mode': 3},
     why='an int32 mask with is_causal and softcap; qk after softmax',
     ref_inputs=[('Q', q), ('K', k), ('V', v), ('attn_mask', mask.astype(np.float32))])
# Neither onnx.reference (its causal bias is built in the mask's dtype: np.int32(-inf) overflows)
# nor onnxruntime (its function body adds int32 to float) runs this case; the expected values are
# the reference's for the same mask as float32, which is what an integer mask means everywhere
# else in both.

q3, k3, v3 = f32(1, 3, 8), f32(1, 4, 8), f32(1, 4, 8)
mask = rng.integers(-4, 1, size=(4,)).astype(np.int64)
case('attention_3d_mask_int64_rank1', 'Attention', [('Q', q3), ('K', k3), ('V', v3), ('attn_mask', mask)],
     ['Y', '', '', 'qk'], {'q_num_heads': 2, 'kv_num_heads': 2, 'qk_matmul_output_mode': 2},
     why='3-D inputs, a rank-1 int64 mask broadcast over heads and rows')

# ---------------------------------------------------------------- Attention, masked qk entries
# onnxruntime writes the lowest float32 (-3.4028235e38) where a bool mask (or is_causal) masks a
# score in qk_matmul_output mode 2; onnx.reference and the function body (Where(mask, 0, -inf))
# give -inf. tessera follows the spec: -inf, with or without softcap.

bmask = rng.random((2, 1, 3, 5)) > 0.4
bmask[0, 0, 1, :] = False  # one fully masked row: Y and the mode-3 qk row are 0
for sc in (0.0, 2.0):
    tag = 'softcap' if sc else 'nosoftcap'
    attrs = {'qk_matmul_output_mode': 2}
    if sc:
        attrs['softcap'] = sc
    case(f'attention_boolmask_qk_mode2_{tag}', 'Attention', [('Q', q), ('K', k), ('V', v), ('attn_mask', bmask)],
         ['Y', '', '', 'qk'], attrs, why='bool-masked scores read -inf in qk mode 2 (onnxruntime: lowest float)')
case('attention_causal_qk_mode2_softcap', 'Attention', [('Q', q), ('K', k), ('V', v)],
     ['Y', '', '', 'qk'], {'is_causal': 1, 'softcap': 3.0, 'qk_matmul_output_mode': 2},
     why='causally masked scores read -inf in qk mode 2 with softcap')
case('attention_boolmask_qk_mode1_softcap', 'Attention', [('Q', q), ('K', k), ('V', v), ('attn_mask', bmask)],
     ['Y', '', '', 'qk'], {'softcap': 2.0, 'qk_matmul_output_mode': 1},
     why='mode 1 is the capped scores before the mask: no -inf at all')
case('attention_boolmask_qk_mode3_softcap', 'Attention', [('Q', q), ('K', k), ('V', v), ('attn_mask', bmask)],
     ['Y', '', '', 'qk'], {'softcap': 2.0, 'qk_matmul_output_mode': 3},
     why='mode 3: masked probabilities are 0, a fully masked row is all 0')
fmask = np.where(rng.random((3, 5)) > 0.3, 0.0, -np.inf).astype(np.float32)
case('attention_floatmask_neginf_qk_mode2_softcap', 'Attention', [('Q', q), ('K', k), ('V', v), ('attn_mask', fmask)],
     ['Y', '', '', 'qk'], {'softcap': 2.0, 'qk_matmul_output_mode': 2},
     why='a float mask of -inf stays -inf after softcap (the cap is applied before the mask)')
nonpad = np.array([3, 5], np.int64)
case('attention_24_nonpad_qk_mode2_softcap', 'Attention',
     [('Q', q), ('K', k), ('V', v), ('attn_mask', None), ('past_key', None), ('past_value', None),
      ('nonpad_kv_seqlen', nonpad)],
     ['Y', '', '', 'qk'], {'softcap': 2.0, 'qk_matmul_output_mode': 2}, opset=24,
     why='padding keys (nonpad_kv_seqlen) read -inf in qk mode 2')

# ---------------------------------------------------------------- integer Div / Mod by zero
# onnxruntime fails the run ("Integer division by zero", naming the node); numpy (and so
# onnx.reference) returns 0 with a RuntimeWarning. tessera raises InvalidNodeError, like
# onnxruntime and like PyTorch's integer division: a silent 0 hides the bug.

for t in (np.int32, np.int64, np.uint8, np.int8, np.uint64):
    a = np.array([7, -7, 0, 5, 9, 4], dtype=np.int64)
    a = (np.abs(a) if t in (np.uint8, np.uint64) else a).astype(t)
    b = np.array([2, 2, 3, 0, 4, 1], t)
    case(f'div_{np.dtype(t).name}_by_zero', 'Div', [('A', a), ('B', b)], ['C'], opset=14,
         expect_error='integer division by zero', why='integer Div by zero raises (as onnxruntime)')
    case(f'mod_{np.dtype(t).name}_by_zero', 'Mod', [('A', a), ('B', b)], ['C'], opset=13,
         expect_error='integer division by zero', why='integer Mod by zero raises (as onnxruntime)')
    case(f'fmod_{np.dtype(t).name}_by_zero', 'Mod', [('A', a), ('B', b)], ['C'], {'fmod': 1}, opset=13,
         expect_error='integer division by zero', why='integer Mod (fmod=1) by zero raises (as onnxruntime)')
    b_ok = np.array([2, 2, 3, 3, 4, 1], t) if t in (np.uint8, np.uint64) else np.array([2, -2, 3, -3, 4, 1], t)
    case(f'div_{np.dtype(t).name}', 'Div', [('A', a), ('B', b_ok)], ['C'], opset=14,
         why='integer Div truncates toward zero')
    case(f'mod_{np.dtype(t).name}', 'Mod', [('A', a), ('B', b_ok)], ['C'], opset=13,
         why="integer Mod takes the divisor's sign")

a = np.array([[1], [-6]], np.int32)
case('div_int32_broadcast_scalar_zero', 'Div', [('A', a), ('B', np.array(0, np.int32))], ['C'], opset=14,
     expect_error='integer division by zero', why='a broadcast zero divisor raises')
case('div_int32_empty_output_zero', 'Div', [('A', np.zeros((0, 3), np.int32)), ('B', np.array([1, 0, 2], np.int32))],
     ['C'], opset=14, why='no element is divided when the output is empty: no error (onnxruntime raises)')
fa = np.array([1, -1, 0, 2.5], np.float32)
case('div_float32_by_zero', 'Div', [('A', fa), ('B', np.zeros(4, np.float32))], ['C'], opset=14,
     why='float Div by zero stays IEEE: +-inf, nan')
case('fmod_float32_by_zero', 'Mod', [('A', fa), ('B', np.zeros(4, np.float32))], ['C'], {'fmod': 1}, opset=13,
     why='float fmod by zero is nan')

with open(OUT, 'w') as fh:
    json.dump({'onnx': onnx.__version__, 'onnxruntime': ort.__version__, 'cases': CASES}, fh, separators=(',', ':'))
    fh.write('\n')
print(f'wrote {len(CASES)} cases to {OUT}')
