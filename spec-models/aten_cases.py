#!/usr/bin/python3
"""Generates per-op reference cases for tessera's aten operator library with Debian's PyTorch 1.13.

Each case calls one aten overload (torch.ops.aten.<name>.<overload>) on small inputs and
records the arguments, PyTorch's schema for the overload and PyTorch's outputs (for in-place
ops, `self` after the call) in spec-models/aten/cases.json. Tensors are stored inline
(dtype, shape, flat data; NaN/Inf as strings). Run: /usr/bin/python3 spec-models/aten_cases.py

With --torch2, run under a PyTorch 2.x interpreter (/work/venv-torch2/bin/python), it writes the
cases of the ops PyTorch 1.13 lacks (scaled_dot_product_attention, any/all.dims, diff; and any/all over lists)
to spec-models/aten/cases-torch2.json.
"""
import json
import math
import os
import sys

import torch

torch.manual_seed(0)
torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'aten')
os.makedirs(OUT, exist_ok=True)

DTYPES = {torch.float32: 'float32', torch.float64: 'float64', torch.int64: 'int64', torch.int32: 'int32',
          torch.int8: 'int8', torch.uint8: 'uint8', torch.int16: 'int16', torch.bool: 'bool', torch.float16: 'float16'}
CODES = {torch.uint8: 0, torch.int8: 1, torch.int16: 2, torch.int32: 3, torch.int64: 4, torch.float16: 5,
         torch.float32: 6, torch.float64: 7, torch.bool: 11}


def num(x):
    if isinstance(x, float):
        if math.isnan(x):
            return 'nan'
        if math.isinf(x):
            return 'inf' if x > 0 else '-inf'
    return x


def enc(v):
    if isinstance(v, torch.Tensor):
        t = v.detach().contiguous()
        data = t.reshape(-1).tolist()
        if t.dtype == torch.bool:
            data = [1 if b else 0 for b in data]
        elif t.dtype in (torch.int64,):
            data = [str(x) for x in data]
        else:
            data = [num(x) for x in data]
        return {'tensor': {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'data': data}}
    if isinstance(v, torch.dtype):
        return {'int': str(CODES[v])}
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return {'int': str(v)}
    if isinstance(v, float):
        return {'float': num(v)}
    if isinstance(v, str):
        return {'str': v}
    if isinstance(v, tuple):
        return {'tuple': [enc(x) for x in v]}
    if isinstance(v, list):
        return [enc(x) for x in v]
    raise TypeError(type(v))


CASES = []


def case(name, overload, *args, kwargs=None, inplace=False, tag='', compare=None):
    kwargs = kwargs or {}
    fn = getattr(getattr(torch.ops.aten, name), overload)
    clone = lambda v: v.clone() if isinstance(v, torch.Tensor) else ([clone(x) for x in v] if isinstance(v, list) else v)
    call_args = [clone(a) for a in args]
    call_kwargs = {k: clone(v) for k, v in kwargs.items()}
    with torch.no_grad():
        out = fn(*call_args, **call_kwargs)
    CASES.append({
        'name': f'aten::{name}', 'overload': overload, 'schema': str(fn._schema), 'tag': tag,
        'args': [enc(a) for a in args], 'kwargs': {k: enc(v) for k, v in kwargs.items()},
        'out': enc(out), 'self_after': enc(call_args[0]) if inplace else None,
        **({'compare': compare} if compare else {}),
    })


def r(*shape, dtype=torch.float32, scale=1.0):
    return (torch.randn(*shape) * scale).to(dtype)


def ri(*shape, lo=-5, hi=6, dtype=torch.int64):
    return torch.randint(lo, hi, shape, dtype=dtype)


def special():
    return torch.tensor([1.5, -2.25, 0.0, float('nan'), float('inf'), -float('inf'), 1e3, -1e3])


def elementwise():
    a, b = r(2, 3), r(3)
    i, j = ri(2, 3), ri(3, lo=1)
    for n in ['add', 'sub']:
        case(n, 'Tensor', a, b)
        case(n, 'Tensor', a, b, kwargs={'alpha': 2.5})
        case(n, 'Scalar', a, 2)
        case(n, 'Scalar', i, 2.5, tag='int tensor + float scalar -> float32')
        case(n, 'Tensor', i, a, tag='int64 + float32')
        case(n, 'Tensor', a.double(), a, tag='float64 + float32')
        case(n, 'Tensor', a, torch.tensor(2.5, dtype=torch.float64), tag='zero-dim float64 does not promote float32')
        case(n, 'Tensor', i.to(torch.int32), torch.tensor(3), tag='int32 + zero-dim int64 -> int32')
        case(n, 'Tensor', i.to(torch.uint8), i.to(torch.int8), tag='uint8 + int8 -> int16')
        case(n + '_', 'Tensor', a, b, inplace=True)
        case(n + '_', 'Scalar', i, 3, inplace=True)
    case('add', 'Tensor', a > 0, b > 0, tag='bool + bool')
    case('add', 'Tensor', special(), special().flip(0))
    case('rsub', 'Scalar', a, 1)
    case('rsub', 'Tensor', a, b, kwargs={'alpha': 2})
    for n in ['mul', 'div']:
        case(n, 'Tensor', a, b)
        case(n, 'Scalar', a, 0.5)
        case(n, 'Tensor', i, j)
        case(n, 'Scalar', i, 2)
        case(n + '_', 'Tensor', a, b, inplace=True)
        case(n, 'Tensor', special(), special().flip(0))
    case('mul', 'Tensor', a > 0, b > 0)
    case('div', 'Tensor_mode', i, j, kwargs={'rounding_mode': 'floor'})
    case('div', 'Tensor_mode', i, j, kwargs={'rounding_mode': 'trunc'})
    case('div', 'Tensor_mode', a * 5, b, kwargs={'rounding_mode': 'floor'})
    case('div', 'Tensor_mode', a * 5, b, kwargs={'rounding_mode': 'trunc'})
    case('div', 'Scalar_mode', i, -2, kwargs={'rounding_mode': 'floor'})
    case('floor_divide', 'default', i, j)
    case('floor_divide', 'default', a * 5, b)
    case('floor_divide', 'Scalar', i, -2)
    case('remainder', 'Tensor', i, j)
    case('remainder', 'Tensor', a * 5, b)
    case('remainder', 'Scalar', i, -3)
    case('remainder', 'Scalar_Tensor', 7, j)
    case('fmod', 'Tensor', a * 5, b)
    case('fmod', 'Scalar', i, -3)
    case('pow', 'Tensor_Scalar', a, 2)
    case('pow', 'Tensor_Scalar', a.abs(), 0.5)
    case('pow', 'Tensor_Tensor', a.abs(), b)
    case('pow', 'Scalar', 2.0, b)
    case('pow', 'Tensor_Scalar', i, 2)
    for n in ['eq', 'ne', 'lt', 'le', 'gt', 'ge']:
        case(n, 'Tensor', a, b)
        case(n, 'Scalar', i, 1)
        case(n, 'Tensor', special(), special().flip(0))
        case(n, 'Scalar', a, 0.5)
    case('maximum', 'default', a, b)
    case('minimum', 'default', special(), special().flip(0), tag='NaN propagates')
    case('max', 'other', special(), torch.zeros(8))
    case('min', 'other', i, j)
    case('logical_and', 'default', a > 0, b > 0)
    case('logical_or', 'default', a > 0, i)
    case('logical_xor', 'default', a > 0, b > 0)
    case('logical_not', 'default', i)
    case('bitwise_not', 'default', a > 0)
    case('bitwise_and', 'Tensor', i, j)
    case('__and__', 'Tensor', a > 0, b > 0)
    case('__or__', 'Tensor', a > 0, b > 0)
    case('where', 'self', a > 0, a, b)
    case('where', 'self', a > 0, i, b, tag='promotes')
    case('where', 'ScalarOther', a > 0, a, 0.0)
    case('where', 'ScalarSelf', a > 0, 1.0, b)
    case('where', 'Scalar', a > 0, 1.0, 0.0)
    case('masked_fill', 'Scalar', a, a > 0, -1.5)
    case('masked_fill', 'Scalar', a, b > 0, float('-inf'), tag='broadcast mask')
    case('masked_fill', 'Tensor', i, j > 2, torch.tensor(9))
    case('masked_fill_', 'Scalar', a, a > 0, 0.0, inplace=True)
    case('clamp', 'default', special(), -1.0, 2.0)
    case('clamp', 'default', a, None, 0.5)
    case('clamp', 'default', i, 0)
    case('clamp', 'Tensor', a, b, None)
    case('clamp_', 'default', a, -0.5, 0.5, inplace=True)
    case('clamp_min', 'default', a, 0.1)
    case('clamp_max', 'default', i, 2)


def unary():
    x = special()
    p = torch.rand(2, 5) + 0.1
    i = ri(2, 4)
    for n in ['neg', 'abs', 'sqrt', 'rsqrt', 'exp', 'log', 'sin', 'cos', 'tanh', 'sigmoid', 'reciprocal', 'floor', 'ceil',
              'round', 'sign', 'erf', 'trunc', 'relu', 'log1p', 'expm1', 'log2', 'hardswish', 'hardsigmoid', 'silu', 'mish',
              'relu6']:
        case(n, 'default', x)
        case(n, 'default', r(3, 4, scale=3))
    for n in ['neg', 'abs', 'relu', 'sign', 'sqrt', 'exp', 'sigmoid', 'floor']:
        case(n, 'default', i)
    case('round', 'default', torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5]), tag='half to even')
    for n in ['relu_', 'sigmoid_', 'tanh_', 'hardswish_', 'silu_', 'hardsigmoid_', 'exp_']:
        case(n, 'default', r(2, 3), inplace=True)
    case('hardtanh', 'default', r(3, 4, scale=3))
    case('hardtanh', 'default', r(3, 4, scale=3), -2.0, 0.5)
    case('hardtanh_', 'default', r(3, 4, scale=5), 0.0, 6.0, inplace=True)
    case('gelu', 'default', r(3, 4, scale=3))
    case('gelu', 'default', r(3, 4, scale=3), kwargs={'approximate': 'tanh'})
    case('leaky_relu', 'default', r(3, 4))
    case('leaky_relu', 'default', r(3, 4), 0.2)
    case('elu', 'default', r(3, 4))
    case('elu', 'default', r(3, 4), 0.5, 2.0, 1.5)
    case('softplus', 'default', r(3, 4, scale=10))
    case('softplus', 'default', r(3, 4, scale=10), 2.0, 5.0)
    case('threshold', 'default', r(3, 4), 0.1, -7.0)
    case('prelu', 'default', r(2, 3, 4), torch.tensor([0.1, 0.2, 0.3]))
    case('softmax', 'int', r(2, 3, 4), 1)
    case('softmax', 'int', r(2, 3, 4), -1, torch.float64)
    case('softmax', 'int', torch.tensor([[-1000.0, -1000.0], [1000.0, 0.0]]), 1)
    case('log_softmax', 'int', r(2, 3, 4), 2)
    case('_softmax', 'default', r(2, 5), 1, False)
    case('dropout', 'default', r(2, 3), 0.5, False)
    case('dropout_', 'default', r(2, 3), 0.5, False, inplace=True)
    case('feature_dropout', 'default', r(2, 3), 0.5, False)


def nn():
    x = r(1, 4, 7, 7)
    w = r(6, 4, 3, 3)
    bias = r(6)
    case('conv2d', 'default', x, w, bias)
    case('conv2d', 'default', x, w, bias, [2, 2], [1, 1])
    case('conv2d', 'default', x, w, None, [1], [2], [2])
    case('conv2d', 'default', x, r(8, 2, 3, 3), None, [2, 1], [1, 0], [1, 1], 2, tag='groups')
    case('conv2d', 'default', x, r(4, 1, 3, 3), r(4), [1, 1], [1, 1], [1, 1], 4, tag='depthwise')
    case('conv2d', 'default', x[0], w, bias, tag='unbatched')
    case('conv2d', 'padding', x, r(6, 4, 4, 3), bias, [1, 1], 'same')
    case('conv2d', 'padding', x, r(6, 4, 4, 3), bias, [1, 1], 'same', [2, 1])
    case('conv1d', 'default', r(2, 3, 10), r(5, 3, 3), r(5), [2], [1])
    case('conv3d', 'default', r(1, 2, 4, 5, 5), r(3, 2, 2, 3, 3), r(3), [1, 2, 1], [0, 1, 1])
    case('conv_transpose2d', 'input', x, r(4, 3, 3, 3), r(3), [2, 2], [1, 1], [1, 1])
    case('conv_transpose1d', 'default', r(1, 4, 6), r(4, 2, 3), None, [2], [0], [0], 2)
    case('_convolution', 'default', x, w, bias, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, False, False, True, True)
    case('_convolution', 'default', x, r(4, 3, 3, 3), r(3), [2, 2], [1, 1], [1, 1], True, [1, 1], 1, False, False, True, True)
    case('linear', 'default', r(2, 3, 5), r(4, 5), r(4))
    case('linear', 'default', r(5), r(4, 5))
    case('matmul', 'default', r(2, 3, 4), r(4, 5))
    case('matmul', 'default', r(4), r(2, 4, 3))
    case('mm', 'default', r(3, 4), r(4, 2))
    case('bmm', 'default', r(2, 3, 4), r(2, 4, 2))
    case('addmm', 'default', r(2), r(3, 4), r(4, 2), kwargs={'beta': 0.5, 'alpha': 2})
    case('baddbmm', 'default', r(2, 3, 2), r(2, 3, 4), r(2, 4, 2), kwargs={'beta': 1, 'alpha': 0.5})
    rm, rv = r(4), torch.rand(4) + 0.5
    case('batch_norm', 'default', r(2, 4, 3, 3), r(4), r(4), rm, rv, False, 0.1, 1e-5, True)
    case('batch_norm', 'default', r(3, 4), None, None, rm, rv, False, 0.1, 1e-3, True)
    case('batch_norm', 'default', r(2, 4, 5), r(4), r(4), rm, rv, True, 0.1, 1e-5, True, tag='training: batch statistics')
    case('layer_norm', 'default', r(2, 3, 4), [4], r(4), r(4))
    case('layer_norm', 'default', r(2, 3, 4), [3, 4], None, None, 1e-3)
    case('group_norm', 'default', r(2, 6, 3, 3), 3, r(6), r(6))
    case('group_norm', 'default', r(2, 4, 5), 2)
    case('instance_norm', 'default', r(2, 3, 4, 4), r(3), r(3), None, None, True, 0.1, 1e-5, False)
    case('embedding', 'default', r(10, 3), torch.tensor([[1, 2, 4], [4, 3, 9]]))
    case('embedding', 'default', r(10, 3), torch.tensor([0, 2, 0, 5]), 0)


def pool():
    x = r(1, 3, 9, 9)
    case('max_pool2d', 'default', x, [3, 3], [2, 2])
    case('max_pool2d', 'default', x, [3, 3], [2, 2], [1, 1])
    case('max_pool2d', 'default', x, [3, 3], [2, 2], [0, 0], [1, 1], True, tag='ceil_mode')
    case('max_pool2d', 'default', r(1, 2, 8, 8), [3, 3], [2, 2], [1, 1], [1, 1], True, tag='ceil_mode drops a window')
    case('max_pool2d', 'default', x, [2, 2], [], [0, 0], [2, 2], tag='dilation, default stride')
    case('max_pool1d', 'default', r(2, 3, 10), [3], [2], [1])
    case('max_pool3d', 'default', r(1, 2, 4, 5, 5), [2, 2, 2], [2, 2, 2])
    case('max_pool2d_with_indices', 'default', r(2, 2, 6, 6), [2, 2], [2, 2])
    case('avg_pool2d', 'default', x, [3, 3], [2, 2], [1, 1])
    case('avg_pool2d', 'default', x, [3, 3], [2, 2], [1, 1], False, False)
    case('avg_pool2d', 'default', x, [3, 3], [2, 2], [1, 1], True, True, tag='ceil_mode include_pad')
    case('avg_pool2d', 'default', x, [2, 2], [2, 2], [0, 0], True, False)
    case('avg_pool1d', 'default', r(2, 3, 10), [3], [2], [1])
    case('adaptive_avg_pool2d', 'default', x, [1, 1])
    case('adaptive_avg_pool2d', 'default', x, [4, 3])
    case('adaptive_avg_pool2d', 'default', r(3, 7, 5), [2, 2], tag='unbatched')
    case('adaptive_avg_pool1d', 'default', r(2, 3, 10), [4])
    case('adaptive_max_pool2d', 'default', x, [3, 4])
    case('adaptive_avg_pool3d', 'default', r(1, 2, 4, 5, 6), [2, 3, 4])
    y = r(1, 2, 4, 5)
    for n, extra in [('upsample_nearest2d', []), ('upsample_bilinear2d', [False]), ('upsample_bilinear2d', [True]),
                     ('upsample_bicubic2d', [False]), ('upsample_bicubic2d', [True])]:
        case(n, 'vec', y, [7, 9], *extra, None)
        case(n, 'vec', y, None, *extra, [2.0, 1.5])
        case(n, 'vec', y, [3, 3], *extra, None, tag='downsample')
    case('upsample_nearest2d', 'default', y, [8, 10])
    for n in ['_upsample_nearest_exact2d']:
        extra = [] if 'nearest' in n else [False]
        case(n, 'vec', y, [7, 9], *extra, None)
        case(n, 'vec', y, [3, 2], *extra, None, tag='downsample')
        case(n, 'vec', y, None, *extra, [1.5, 0.5])
    case('_upsample_nearest_exact1d', 'vec', r(1, 2, 5), [12], None)
    nan_x = r(1, 1, 4, 4)
    nan_x[0, 0, 1, 1] = float('nan')
    case('max_pool2d', 'default', nan_x, [2, 2], [2, 2], tag='NaN propagates')
    case('adaptive_max_pool2d', 'default', nan_x, [2, 2], tag='NaN propagates')
    case('upsample_bilinear2d', 'default', y, [8, 10], False)
    case('upsample_nearest1d', 'vec', r(1, 2, 5), [12], None)
    case('upsample_linear1d', 'vec', r(1, 2, 5), [12], False, None)
    case('upsample_nearest3d', 'vec', r(1, 1, 2, 3, 3), None, [2.0, 2.0, 1.0])
    z = r(1, 2, 4, 5)
    for mode in ['constant', 'reflect', 'replicate', 'circular']:
        case('pad', 'default', z, [1, 2, 2, 1], mode)
        case('pad', 'default', r(2, 3, 6), [2, 3], mode)
    case('pad', 'default', z, [1, 2, 0, 1, 1, 1], 'constant', 2.5)
    case('pad', 'default', z, [-1, 2], 'constant')
    case('constant_pad_nd', 'default', z, [1, 1, 2, 0], -3.0)
    case('reflection_pad2d', 'default', z, [1, 2, 3, 1])
    case('replication_pad1d', 'default', r(1, 2, 4), [3, 1])


def reduce():
    x = r(2, 3, 4)
    i = ri(2, 3, 4)
    case('sum', 'default', x)
    case('sum', 'default', i)
    case('sum', 'dim_IntList', x, [1])
    case('sum', 'dim_IntList', x, [0, 2], True)
    case('sum', 'dim_IntList', i > 0, [-1])
    case('mean', 'default', x)
    case('mean', 'dim', x, [-1, -2])
    case('mean', 'dim', x, [1], True)
    case('mean', 'dim', i, [1], False, kwargs={'dtype': torch.float64})
    case('prod', 'default', r(5))
    case('prod', 'dim_int', i, 1)
    x_nan = x.clone()
    x_nan[0, 1, 2] = float('nan')
    case('max', 'default', x)
    case('max', 'default', x_nan)
    case('min', 'default', i)
    case('max', 'dim', x, 1)
    case('max', 'dim', x_nan, 2, True)
    case('min', 'dim', x, -1)
    case('max', 'dim', torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]]), 1, tag='ties take the first index')
    case('amax', 'default', x, [0, 2])
    case('amin', 'default', x, [1], True)
    case('argmax', 'default', x)
    case('argmax', 'default', x, 1)
    case('argmax', 'default', x_nan, 2, True)
    case('argmin', 'default', i, 0)
    case('var', 'dim', x, [1])
    case('var', 'dim', x, [1, 2], False, True)
    case('std', 'default', x)
    case('std', 'dim', x, [2], True)
    case('all', 'default', x > -3)
    case('any', 'dim', x > 1, 1)
    case('all', 'dim', i, 2, True)
    case('cumsum', 'default', x, 1)
    case('cumsum', 'default', i, -1)
    case('cumsum', 'default', x, 0, kwargs={'dtype': torch.float64})
    case('cumprod', 'default', r(2, 4), 1)
    case('topk', 'default', x, 2)
    case('topk', 'default', x, 2, 1, False)
    case('topk', 'default', torch.randperm(24).reshape(2, 3, 4), 3, -1, True, True)
    case('sort', 'default', x, 1)
    case('sort', 'default', x, -1, True)
    case('sort', 'stable', torch.tensor([3, 1, 2, 1, 3, 0]), kwargs={'stable': True})
    case('argsort', 'default', x, 2, True)


def shape():
    x = r(2, 3, 4)
    case('size', 'default', x)
    case('size', 'int', x, -1)
    case('dim', 'default', x)
    case('numel', 'default', x)
    case('view', 'default', x, [4, -1])
    case('reshape', 'default', x, [-1])
    case('view_as', 'default', x, r(6, 4))
    case('flatten', 'using_ints', x, 1)
    case('flatten', 'using_ints', x, 0, 1)
    case('flatten', 'using_ints', torch.tensor(3.0))
    case('squeeze', 'default', r(1, 3, 1, 2))
    case('squeeze', 'dim', r(1, 3, 1, 2), 2)
    case('squeeze', 'dim', r(1, 3, 1, 2), 1)
    case('unsqueeze', 'default', x, -1)
    case('unsqueeze', 'default', x, 0)
    case('permute', 'default', x, [2, 0, 1])
    case('transpose', 'int', x, 0, -1)
    case('t', 'default', r(3, 4))
    case('contiguous', 'default', x)
    case('expand', 'default', r(3, 1), [2, 3, 4])
    case('expand', 'default', r(3, 1), [-1, 5])
    case('expand_as', 'default', r(1, 4), x)
    case('repeat', 'default', r(2, 3), [2, 1, 3])
    case('slice', 'Tensor', x, 1, 0, 2)
    case('slice', 'Tensor', x, 2, 1, None, 2)
    case('slice', 'Tensor', x, -1, -3, 9223372036854775807)
    case('slice', 'Tensor', x, 0, None, -1)
    case('select', 'int', x, 1, -1)
    case('select', 'int', x, 2, 0)
    case('narrow', 'default', x, 2, 1, 2)
    case('chunk', 'default', r(5, 2), 3)
    case('chunk', 'default', r(2, 6), 2, 1)
    case('split', 'Tensor', r(7, 2), 3)
    case('split', 'sizes', r(2, 6), [1, 2, 3], 1)
    case('split_with_sizes', 'default', r(6, 2), [4, 2])
    case('unbind', 'int', x, 1)
    case('cat', 'default', [r(2, 3), r(1, 3)])
    case('cat', 'default', [r(2, 3), ri(2, 2)], 1, tag='promotes')
    case('cat', 'default', [r(2, 3), torch.tensor([])], 0, tag='legacy empty')
    case('stack', 'default', [r(2, 3), r(2, 3)], 1)
    case('stack', 'default', [r(2, 3), r(2, 3)], -1)
    case('flip', 'default', x, [0, 2])
    case('roll', 'default', x, [1, -2], [1, 2])
    case('roll', 'default', r(2, 3), [2])
    case('clone', 'default', x)
    case('detach', 'default', x)
    case('to', 'dtype', x * 3, torch.int64)
    case('to', 'dtype', ri(2, 3), torch.float32)
    case('to', 'dtype', x, torch.bool)
    case('to', 'dtype', x, torch.float16)
    case('to', 'other', x * 3, ri(2))
    case('to', 'dtype_layout', x, kwargs={'dtype': torch.float64})
    case('to', 'prim_dtype', x * 4, 3)
    case('type_as', 'default', ri(2, 3), x)


def indexing():
    x = r(4, 5, 3)
    idx = torch.tensor([2, 0, -1])
    case('index', 'Tensor', x, [idx])
    case('index', 'Tensor', x, [None, torch.tensor([[1, 4], [0, 0]])])
    case('index', 'Tensor', x, [idx, torch.tensor([1, 2, 3])])
    case('index', 'Tensor', x, [None, torch.tensor([1, 2]), torch.tensor([0, 2])], tag='adjacent, not first')
    case('index', 'Tensor', x, [torch.tensor([1, 2]), None, torch.tensor([0, 2])], tag='not adjacent')
    case('index', 'Tensor', x, [x[:, :, 0] > 0], tag='bool mask')
    case('index', 'Tensor', x, [None, x[0, :, 0] > 0])
    case('index_put', 'default', x, [idx], torch.tensor(7.0))
    case('index_put', 'default', x, [x > 0.5], torch.tensor(0.0))
    case('index_put', 'default', x, [None, torch.tensor([1, 3])], r(2, 3))
    case('index_put', 'default', x, [torch.tensor([0, 0, 1])], r(3, 5, 3), True, tag='accumulate')
    case('index_put_', 'default', x, [torch.tensor([1, 2]), torch.tensor([0, 4])], torch.tensor([1.0, 2.0, 3.0]), inplace=True)
    case('index_select', 'default', x, 1, torch.tensor([4, 0, 0]))
    case('index_select', 'default', x, 0, torch.tensor([3]))
    case('gather', 'default', r(3, 4), 1, torch.tensor([[0, 3], [1, 1], [2, 0]]))
    case('scatter', 'src', torch.zeros(3, 5), 1, torch.tensor([[0, 4], [1, 2], [3, 3]]), r(3, 2))
    case('scatter', 'value', torch.zeros(3, 5), 0, torch.tensor([[0, 2, 1]]), 2.5)
    case('scatter_add', 'default', torch.ones(3, 5), 1, torch.tensor([[0, 0], [1, 2], [3, 3]]), r(3, 2))
    case('scatter_', 'src', torch.zeros(2, 4), 1, torch.tensor([[3], [0]]), r(2, 1), inplace=True)
    case('masked_select', 'default', x, x > 0)
    case('nonzero', 'default', x > 0.5)
    case('where', 'default', x[:, :, 0] > 0)
    case('item', 'default', torch.tensor([2.5]))
    case('item', 'default', torch.tensor(3))
    case('Int', 'Tensor', torch.tensor(3.7))
    case('Float', 'Tensor', torch.tensor(3))
    case('Bool', 'Tensor', torch.tensor(0.0))
    case('is_floating_point', 'default', x)
    case('is_floating_point', 'default', idx)


def creation():
    case('zeros', 'default', [2, 3])
    case('zeros', 'default', [2, 3], kwargs={'dtype': torch.int64})
    case('ones', 'default', [3])
    case('full', 'default', [2, 2], 1.5)
    case('full', 'default', [2, 2], 7)
    case('full', 'default', [2], 3, kwargs={'dtype': torch.float64})
    case('zeros_like', 'default', ri(2, 3))
    case('ones_like', 'default', r(2, 3), kwargs={'dtype': torch.float64})
    case('full_like', 'default', r(2, 3), 4)
    case('new_zeros', 'default', ri(2), [3, 1])
    case('new_full', 'default', r(2), [2], 3)
    case('arange', 'default', 5)
    case('arange', 'default', 2.5)
    case('arange', 'start', 1, 7)
    case('arange', 'start_step', 1, 2, 0.25)
    case('arange', 'start_step', 10, 1, -3)
    case('arange', 'default', 4, kwargs={'dtype': torch.float32})
    case('scalar_tensor', 'default', 2.5)
    case('triu', 'default', r(4, 4), 1)
    case('tril', 'default', r(3, 4))
    case('fill_', 'Scalar', r(2, 3), 2.5, inplace=True)
    case('zero_', 'default', ri(2, 3), inplace=True)
    case('copy_', 'default', ri(2, 3), r(3) * 4, inplace=True)


def recurrent():
    torch.manual_seed(1)
    for bidir in [False, True]:
        for batch_first in [False, True]:
            lstm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=bidir, batch_first=batch_first)
            gru = torch.nn.GRU(3, 4, num_layers=2, bidirectional=bidir, batch_first=batch_first)
            d = 2 if bidir else 1
            x = r(2, 5, 3)
            h0, c0 = r(2 * d, 2 if batch_first else 5, 4), r(2 * d, 2 if batch_first else 5, 4)
            x = x if batch_first else x.transpose(0, 1).contiguous()
            x = x if batch_first else x[:, :2]
            h0, c0 = h0[:, :2].contiguous(), c0[:, :2].contiguous()
            case('lstm', 'input', x, [h0, c0], list(lstm._flat_weights), True, 2, 0.0, False, bidir, batch_first)
            case('gru', 'input', x, h0, list(gru._flat_weights), True, 2, 0.0, False, bidir, batch_first)
    rnn = torch.nn.RNN(3, 4, num_layers=1, bias=False)
    case('rnn_tanh', 'input', r(5, 2, 3), r(1, 2, 4), list(rnn._flat_weights), False, 1, 0.0, False, False, False)
    cell = torch.nn.LSTMCell(3, 4)
    case('lstm_cell', 'default', r(2, 3), [r(2, 4), r(2, 4)], cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    gcell = torch.nn.GRUCell(3, 4)
    case('gru_cell', 'default', r(2, 3), r(2, 4), gcell.weight_ih, gcell.weight_hh, gcell.bias_ih, gcell.bias_hh)


def transformer():
    torch.manual_seed(2)
    for norm_first, act in [(False, 'relu'), (True, 'gelu')]:
        layer = torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=norm_first, activation=act).eval()
        a = layer.self_attn
        src = r(2, 5, 8)
        args = [src, 8, 2, a.in_proj_weight, a.in_proj_bias, a.out_proj.weight, a.out_proj.bias, act == 'gelu', norm_first, 1e-5,
                layer.norm1.weight, layer.norm1.bias, layer.norm2.weight, layer.norm2.bias,
                layer.linear1.weight, layer.linear1.bias, layer.linear2.weight, layer.linear2.bias]
        case('_transformer_encoder_layer_fwd', 'default', *args)
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True).eval()
    q = r(2, 4, 8)
    kv = q
    w = [mha.in_proj_weight, mha.in_proj_bias, mha.out_proj.weight, mha.out_proj.bias]
    case('_native_multi_head_attention', 'default', q, kv, kv, 8, 2, *w)
    case('_native_multi_head_attention', 'default', q, kv, kv, 8, 2, *w, None, True, False)
    pad_mask = torch.tensor([[False] * 4, [False] * 2 + [True] * 2])
    case('_native_multi_head_attention', 'default', q, kv, kv, 8, 2, *w, pad_mask, True, True, 1, tag='key padding mask')


def nested_encoder():
    """TransformerEncoder's nested-tensor path (left-aligned key padding mask, eval, no grad)."""
    torch.manual_seed(3)
    enc_layer = torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    model = torch.nn.TransformerEncoder(enc_layer, 2).eval()
    src = r(2, 5, 8)
    pad = torch.tensor([[False, False, False, True, True], [False, False, False, False, True]])
    with torch.no_grad():
        out = model(src, src_key_padding_mask=pad)
    assert out.shape == (2, 4, 8), 'the nested path trims to the longest sequence'
    layers = []
    for layer in model.layers:
        a = layer.self_attn
        layers.append([8, 2, a.in_proj_weight, a.in_proj_bias, a.out_proj.weight, a.out_proj.bias, False, False, 1e-5,
                       layer.norm1.weight, layer.norm1.bias, layer.norm2.weight, layer.norm2.bias,
                       layer.linear1.weight, layer.linear1.bias, layer.linear2.weight, layer.linear2.bias])
    return {'src': enc(src), 'padding_mask': enc(pad), 'layers': [enc(l) for l in layers], 'out': enc(out)}


def sym(*shape):
    a = r(*shape)
    return a + a.transpose(-1, -2)


def well_conditioned(*shape, dtype=torch.float32):
    n = shape[-1]
    return (r(*shape) + 3 * torch.eye(n)).to(dtype)


def linalg():
    """Decompositions whose vectors are unique only up to sign compare |values| (compare='abs');
    the kernels' property tests (test/props/linalg.test.ts) check the reconstructions."""
    torch.manual_seed(4)
    case('linalg_det', 'default', r(3, 3))
    case('linalg_det', 'default', r(2, 4, 4, dtype=torch.float64))
    case('linalg_det', 'default', torch.tensor([[1.0, 2.0], [2.0, 4.0]]), tag='singular')
    case('det', 'default', r(3, 3))
    case('linalg_inv', 'default', well_conditioned(3, 3))
    case('linalg_inv', 'default', well_conditioned(2, 3, 3, dtype=torch.float64))
    case('linalg_inv_ex', 'default', well_conditioned(2, 4, 4))
    case('linalg_solve', 'default', well_conditioned(3, 3), r(3, 2))
    case('linalg_solve', 'default', well_conditioned(3, 3), r(3), tag='vector B')
    case('linalg_solve', 'default', well_conditioned(2, 3, 3), r(3, 1), tag='broadcast batch')
    case('linalg_solve', 'default', well_conditioned(3, 3), r(2, 3), kwargs={'left': False})
    case('linalg_svd', 'default', r(4, 3), False, compare='abs')
    case('linalg_svd', 'default', r(3, 5), False, compare='abs', tag='wide')
    case('linalg_svd', 'default', r(3, 3), compare='abs', tag='full_matrices (a non-square completion is any orthonormal basis)')
    case('linalg_svd', 'default', r(2, 3, 3, dtype=torch.float64), False, compare='abs')
    case('svd', 'default', r(4, 3), compare='abs')
    case('svd', 'default', r(3, 4), False, compare='abs', tag='some=False')
    case('svd', 'default', r(3, 4), True, False, tag='compute_uv=False')
    case('linalg_qr', 'default', r(4, 3))
    case('linalg_qr', 'default', r(3, 5), 'complete')
    case('linalg_qr', 'default', r(5, 3), 'complete')
    case('linalg_qr', 'default', r(4, 3), 'r')
    case('linalg_qr', 'default', r(2, 3, 3, dtype=torch.float64))
    case('linalg_eigh', 'default', sym(4, 4), compare='abs')
    case('linalg_eigh', 'default', r(3, 3), 'U', compare='abs', tag='reads the upper triangle')
    case('linalg_eigh', 'default', sym(2, 3, 3).double(), compare='abs')
    x = r(3, 4)
    for o in [2, 1, float('inf'), float('-inf'), 0, 3.5]:
        case('linalg_vector_norm', 'default', x, o)
    case('linalg_vector_norm', 'default', r(2, 3, 4), 2, [1], True)
    case('linalg_vector_norm', 'default', r(2, 3, 4), 1, [0, 2])
    case('linalg_vector_norm', 'default', x, kwargs={'dtype': torch.float64})
    m = r(2, 3, 4)
    for o in [float('inf'), float('-inf'), 1, -1, 2, -2]:
        case('linalg_matrix_norm', 'default', m, o)
    case('linalg_matrix_norm', 'default', m, 1, [0, 2], True)
    case('linalg_matrix_norm', 'str_ord', m)
    case('linalg_matrix_norm', 'str_ord', m, 'nuc')
    case('linalg_matrix_norm', 'str_ord', m, 'nuc', [2, 0], True)
    case('linalg_norm', 'default', x)
    case('linalg_norm', 'default', r(5), 3)
    case('linalg_norm', 'default', x, float('inf'), tag='matrix inf norm')
    case('linalg_norm', 'default', x, 1, [1])
    case('linalg_norm', 'default', m, None, [0, 1], True)
    case('linalg_norm', 'ord_str', x, 'nuc')
    case('linalg_norm', 'ord_str', m, 'fro', [1, 2])
    case('frobenius_norm', 'default', x)
    case('frobenius_norm', 'dim', m, [1], True)
    case('nuclear_norm', 'default', x)
    case('nuclear_norm', 'dim', m, [1, 2])
    case('norm', 'Scalar', x)
    case('norm', 'Scalar', x, 1)
    case('norm', 'ScalarOpt_dim', m, 2, [1])
    case('norm', 'ScalarOpt_dim', m, None, [0], True)
    case('norm', 'ScalarOpt_dim', m, float('inf'), [2])
    case('norm', 'ScalarOpt_dim_dtype', m, 2, [1], False, kwargs={'dtype': torch.float64})
    case('norm', 'ScalarOpt_dtype', m, 3, kwargs={'dtype': torch.float64})
    case('cross', 'default', r(2, 3), r(2, 3))
    case('cross', 'default', r(3, 4), r(3, 4), 0)
    case('linalg_cross', 'default', r(4, 3), r(1, 3))
    case('linalg_cross', 'default', r(3, 2), r(3, 2), kwargs={'dim': 0})
    case('einsum', 'default', 'ij,jk->ik', [r(2, 3), r(3, 4)])
    case('einsum', 'default', 'bij->bji', [r(2, 3, 4)])
    case('einsum', 'default', 'ii->i', [r(3, 3)])
    case('einsum', 'default', '...ij,...jk', [r(2, 2, 3), r(3, 4)])
    case('einsum', 'default', 'i,i->', [r(4), r(4)])
    case('einsum', 'default', 'bhqd, bhkd -> bhqk', [r(1, 2, 3, 4), r(1, 2, 5, 4)], tag='spaces')


def tensor_tail():
    torch.manual_seed(5)
    case('eye', 'default', 3)
    case('eye', 'default', 3, kwargs={'dtype': torch.int64})
    case('eye', 'm', 2, 4)
    case('eye', 'm', 4, 2, kwargs={'dtype': torch.float64})
    x = r(3, 4)
    case('diagonal', 'default', x)
    case('diagonal', 'default', x, 1)
    case('diagonal', 'default', x, -1)
    case('diagonal', 'default', x, 5, tag='empty')
    case('diagonal', 'default', r(2, 3, 4), 0, 0, 2)
    case('diagonal', 'default', r(2, 3, 4), -1, -1, 1)
    case('tile', 'default', r(2, 3), [2])
    case('tile', 'default', r(2, 3), [2, 1, 2])
    case('ravel', 'default', r(2, 3))
    case('unflatten', 'int', r(2, 12), 1, [3, -1, 2])
    case('unflatten', 'int', r(6, 2), 0, [6])
    case('cpu', 'default', r(2, 3))
    case('requires_grad_', 'default', r(2, 3), inplace=True)
    self_ = r(3, 5)
    idx = torch.tensor([[0, 1, 0, 4], [2, 2, 2, 0], [1, 3, 3, 3]])
    src = r(3, 4)
    for red in ['sum', 'prod', 'mean', 'amax', 'amin']:
        for inc in [True, False]:
            case('scatter_reduce', 'two', self_, 1, idx, src, red, kwargs={'include_self': inc})
    case('scatter_reduce', 'two', ri(3, 5), 1, idx, ri(3, 4), 'mean', kwargs={'include_self': False}, tag='int mean floors')
    case('scatter_reduce', 'two', self_, 0, torch.tensor([[0, 1, 2, 0, 0]]), r(2, 6), 'amax', tag='src larger than index')
    x = r(1, 3, 9, 9)
    case('avg_pool2d', 'default', x, [3, 3], [2, 2], [1, 1], False, True, 5, tag='divisor_override')
    case('avg_pool2d', 'default', x, [3, 3], [2, 2], [1, 1], True, False, 2, tag='divisor_override ceil_mode')


def sdpa():
    """torch 2.x only: every mask kind, is_causal (square and not), scale, enable_gqa, a fully masked row."""
    torch.manual_seed(6)
    f = 'scaled_dot_product_attention'
    q, k, v = r(2, 3, 4, 8), r(2, 3, 5, 8), r(2, 3, 5, 6)
    case(f, 'default', q, k, v)
    case(f, 'default', q, k, v, r(4, 5), tag='float mask')
    bool_mask = torch.rand(2, 1, 4, 5) > 0.3
    bool_mask[..., 0] = True
    case(f, 'default', q, k, v, bool_mask, tag='bool mask')
    case(f, 'default', r(2, 3, 4, 8), r(2, 3, 4, 8), r(2, 3, 4, 8), None, 0.0, True, tag='causal')
    case(f, 'default', q, k, v, None, 0.0, True, tag='causal, 4 queries over 5 keys')
    case(f, 'default', q, k, v, kwargs={'scale': 0.3})
    case(f, 'default', r(1, 4, 3, 8), r(1, 2, 5, 8), r(1, 2, 5, 8), kwargs={'enable_gqa': True}, tag='gqa')
    case(f, 'default', r(3, 4, 8), r(3, 5, 8), r(3, 5, 8), tag='3-d')
    case(f, 'default', q.double(), k.double(), v.double(), r(4, 5).double())
    masked_row = torch.ones(4, 5, dtype=torch.bool)
    masked_row[2] = False
    case(f, 'default', q, k, v, masked_row, tag='a fully masked row')


def truth_tail():
    """any/all over Python lists (scripted nn.TransformerEncoderLayer calls any(int[])) and torch
    2.x's any/all over a list of dims (None reduces all, [] none)."""
    for f in ['any', 'all']:
        case(f, 'int', [0, 0, 2])
        case(f, 'int', [], tag='empty')
        case(f, 'int', [1, -3])
        case(f, 'float', [0.0, float('nan')], tag='NaN is true')
        case(f, 'float', [0.0, -0.0])
        case(f, 'bool', [True, False])
        x = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, float('nan')]])
        case(f, 'dims', x, [0, 1])
        case(f, 'dims', x, [-1], True)
        case(f, 'dims', x, None, tag='None: every dim')
        case(f, 'dims', x, [], tag='[]: no dim')
        case(f, 'dims', torch.tensor([[3, 0], [1, 2]]), [0])
    case('any', 'str', ['', 'a'])
    case('any', 'str', ['', ''])


def diff_cases():
    """torch.diff (transformers' Whisper and GPT-2 position ids call it with prepend)."""
    torch.manual_seed(7)
    x = r(3, 5)
    case('diff', 'default', x)
    case('diff', 'default', x, 2, 0)
    case('diff', 'default', x, 1, -1, r(3, 2), r(3, 1))
    case('diff', 'default', torch.tensor([[0, 1, 2, 5]]), 1, -1, torch.tensor([[-1]]), tag='int64 with prepend')
    case('diff', 'default', torch.tensor([True, False, False, True]), tag='bool: xor')
    case('diff', 'default', x, 7, 1, tag='n past the length: empty')
    case('diff', 'default', torch.tensor([1, 4, 9]), 1, 0, torch.tensor([0.5]), tag='prepend promotes')


def main_torch2():
    sdpa()
    truth_tail()
    diff_cases()
    path = os.path.join(OUT, 'cases-torch2.json')
    with open(path, 'w') as fh:
        json.dump({'torch': torch.__version__, 'cases': CASES}, fh, separators=(',', ':'))
    print(f'{len(CASES)} cases, {os.path.getsize(path)} bytes -> {path}')


def main():
    for f in [elementwise, unary, nn, pool, reduce, shape, indexing, creation, recurrent, transformer, linalg, tensor_tail]:
        f()
    path = os.path.join(OUT, 'cases.json')
    with open(path, 'w') as fh:
        json.dump({'torch': torch.__version__, 'cases': CASES, 'nested_encoder': nested_encoder()}, fh, separators=(',', ':'))
    print(f'{len(CASES)} cases, {os.path.getsize(path)} bytes -> {path}')


if __name__ == '__main__':
    main_torch2() if '--torch2' in sys.argv else main()
