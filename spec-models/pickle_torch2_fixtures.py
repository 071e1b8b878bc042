#!/usr/bin/env python3
"""torch.save files with the storages pickle_fixtures.py (PyTorch 1.13) does not write: per-channel
quantized tensors (torch.quantize_per_channel, qint8 and quint8 along axes 0 and 1),
complex32 and quint4x2. Run with PyTorch 2.x (the venv of torch2_models.py's docstring):

    .venv/bin/python spec-models/pickle_torch2_fixtures.py

It writes spec-models/pickle2/torch2_storages.pt and torch2_storages.pt.expected.json: for each entry
its dtype, shape, the integer representation (quantized) or values (complex32 as [re, im] pairs,
exact in float32), and the quantization parameters.
"""
import json
import os
import warnings

import torch

warnings.filterwarnings('ignore')
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pickle2')
os.makedirs(OUT, exist_ok=True)
g = torch.Generator().manual_seed(5)
x = torch.randn(3, 4, generator=g)
entries = {
    'per_channel_qint8': torch.quantize_per_channel(x, torch.tensor([0.1, 0.02, 0.05], dtype=torch.float64), torch.tensor([0, 3, -2]), 0, torch.qint8),
    'per_channel_quint8_axis1': torch.quantize_per_channel(x, torch.tensor([0.1, 0.2, 0.05, 0.01], dtype=torch.float64), torch.tensor([128, 100, 0, 7]), 1, torch.quint8),
    'complex32': torch.complex(torch.tensor([1.5, -2.0, 0.0]), torch.tensor([0.25, 3.0, -1.0])).to(torch.complex32),
    'quint4x2': torch.quantize_per_tensor(torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0]), 0.5, 1, torch.quint4x2),
}


def expected(t):
    e = {'dtype': str(t.dtype).replace('torch.', ''), 'shape': list(t.shape)}
    if t.is_quantized:
        if t.dtype == torch.quint4x2:  # int_repr() gives the packed bytes: take the integers from the values
            e['int_repr'] = torch.round(t.dequantize() / t.q_scale() + t.q_zero_point()).to(torch.int64).flatten().tolist()
        else:
            e['int_repr'] = t.int_repr().flatten().tolist()
        if t.qscheme() in (torch.per_channel_affine, torch.per_channel_affine_float_qparams):
            e['scheme'] = 'per_channel_affine'
            e['scales'] = t.q_per_channel_scales().tolist()
            e['zero_points'] = t.q_per_channel_zero_points().tolist()
            e['axis'] = t.q_per_channel_axis()
        else:
            e['scheme'] = 'per_tensor_affine'
            e['scale'] = t.q_scale()
            e['zero_point'] = t.q_zero_point()
    else:
        c = t.to(torch.complex64)
        e['values'] = [[z.real.item(), z.imag.item()] for z in c.flatten()]
    return e


path = os.path.join(OUT, 'torch2_storages.pt')
torch.save(entries, path)
with open(path + '.expected.json', 'w') as f:
    json.dump({'torch': torch.__version__, 'entries': {k: expected(v) for k, v in entries.items()}}, f, indent=1)
print('wrote', path, os.path.getsize(path), 'bytes')
