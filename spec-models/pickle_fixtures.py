#!/usr/bin/python3
"""Generates tessera's pickle fixtures with Debian's PyTorch 1.13 (run with /usr/bin/python3).

Writes into spec-models/pickle/: torch.save files (zip and legacy formats, protocols 2, 4 and 5),
numpy arrays pickled at protocols 0, 2, 4 and 5, a synthetic big-endian torch zip, and for each
fixture NAME:
  NAME.expected.json  the object tree encoded with type tags (see `enc`), tensors by reference;
  NAME.expected.bin   every tensor's values, contiguous and little-endian, as PyTorch/numpy hold them.
Floats are encoded as the hex of their IEEE-754 double so the comparison is bit-exact.
Deterministic: fixed seeds, single thread.
"""
import collections
import io
import json
import os
import pickle
import struct
import zipfile

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_num_threads(1)
np.random.seed(0)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pickle')
os.makedirs(OUT, exist_ok=True)


class Encoder:
    def __init__(self):
        self.bin = bytearray()
        self.storages = {}  # data_ptr -> group id (order of first appearance)

    def tensor_bytes(self, arr):
        arr = np.ascontiguousarray(arr)
        if arr.dtype.byteorder == '>':
            arr = arr.astype(arr.dtype.newbyteorder('<'))
        raw = arr.tobytes()
        off = len(self.bin)
        self.bin += raw
        return [off, len(raw)]

    def enc(self, x):
        if x is None:
            return {'t': 'none'}
        if isinstance(x, np.generic):  # before float: np.float64 subclasses float
            return self.np_entry(np.asarray(x))
        if isinstance(x, bool):
            return {'t': 'bool', 'v': x}
        if isinstance(x, int):
            if -(2 ** 53) <= x <= 2 ** 53:
                return {'t': 'num', 'v': struct.pack('>d', float(x)).hex()}
            return {'t': 'int', 'v': str(x)}
        if isinstance(x, float):
            return {'t': 'num', 'v': struct.pack('>d', x).hex()}
        if isinstance(x, str):
            return {'t': 'str', 'v': x}
        if isinstance(x, (bytes, bytearray)):
            return {'t': 'bytes', 'v': bytes(x).hex()}
        if isinstance(x, torch.Size):
            return {'t': 'tuple', 'v': [self.enc(d) for d in x]}
        if isinstance(x, tuple):
            return {'t': 'tuple', 'v': [self.enc(v) for v in x]}
        if isinstance(x, list):
            return {'t': 'list', 'v': [self.enc(v) for v in x]}
        if isinstance(x, dict):
            return {'t': 'dict', 'v': [[self.enc(k), self.enc(v)] for k, v in x.items()]}
        if isinstance(x, (set, frozenset)):
            items = [self.enc(v) for v in x]
            items.sort(key=lambda e: json.dumps(e, sort_keys=True))
            return {'t': 'set', 'v': items}
        if isinstance(x, torch.dtype):
            return {'t': 'global', 'v': str(x)}
        if isinstance(x, torch.device):
            return {'t': 'device', 'v': str(x)}
        if isinstance(x, torch.Tensor):
            if x.is_quantized:
                raw = x.int_repr()
                out = self.tensor_entry(raw, str(x.dtype).replace('torch.', ''))
                out['scale'] = struct.pack('>d', x.q_scale()).hex()
                out['zero_point'] = x.q_zero_point()
                return out
            return self.tensor_entry(x, str(x.dtype).replace('torch.', ''))
        if isinstance(x, np.ndarray):
            return self.np_entry(x)
        raise TypeError(type(x))

    def tensor_entry(self, t, dtype):
        ptr = t.storage().data_ptr()
        gid = self.storages.setdefault(ptr, len(self.storages))
        v = t.detach()
        if v.dtype == torch.bfloat16:
            arr = v.view(torch.int16).numpy()
        else:
            arr = v.resolve_conj().numpy()
        return {'t': 'tensor', 'dtype': dtype, 'shape': list(t.shape), 'stride': list(t.stride()),
                'offset': t.storage_offset(), 'storage': gid, 'bin': self.tensor_bytes(arr),
                'param': isinstance(t, nn.Parameter), 'requires_grad': t.requires_grad}

    def np_entry(self, a):
        names = {'f2': 'float16', 'f4': 'float32', 'f8': 'float64', 'i1': 'int8', 'u1': 'uint8',
                 'i2': 'int16', 'u2': 'uint16', 'i4': 'int32', 'u4': 'uint32', 'i8': 'int64',
                 'u8': 'uint64', 'b1': 'bool', 'c8': 'complex64', 'c16': 'complex128'}
        key = a.dtype.kind + str(a.dtype.itemsize)
        return {'t': 'tensor', 'dtype': names[key], 'shape': list(a.shape), 'bin': self.tensor_bytes(a)}


def write(name, obj, data_bytes):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data_bytes)
    e = Encoder()
    tree = e.enc(obj)
    with open(os.path.join(OUT, name + '.expected.json'), 'w') as f:
        json.dump({'file': name, 'tree': tree}, f, indent=None, separators=(',', ':'))
        f.write('\n')
    with open(os.path.join(OUT, name + '.expected.bin'), 'wb') as f:
        f.write(e.bin)


def torch_bytes(obj, **kw):
    b = io.BytesIO()
    torch.save(obj, b, **kw)
    return b.getvalue()


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.fc = nn.Linear(8, 3)


model = Small()
model.bn.running_mean.uniform_()
sd = model.state_dict()
write('state_dict.pt', sd, torch_bytes(sd))
write('state_dict_p4.pt', sd, torch_bytes(sd, pickle_protocol=4))
write('state_dict_p5.pt', sd, torch_bytes(sd, pickle_protocol=5))

# A training checkpoint: model + Adam state + nested config with every plain value kind.
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss = model.fc(torch.randn(4, 8)).pow(2).sum() + model.conv(torch.randn(1, 1, 4, 4)).sum()
loss.backward()
opt.step()
config = {
    'lr': 1e-3, 'betas': (0.9, 0.999), 'layers': [1, 2, [3, [4, None]]], 'name': 'små modèl ✓',
    'flags': {'amp': False, 'compile': True}, 'big': 2 ** 70, 'neg_big': -(2 ** 63), 'max_safe': 2 ** 53,
    'tiny': 5e-324, 'nan': float('nan'), 'inf': float('-inf'), 'neg_zero': -0.0, 'blob': b'\x00\xffab',
    'tags': {'a', 'b'}, 'frozen': frozenset([1, 2]), 'dtype': torch.float16, 'size': torch.Size([2, 3]),
    'device': torch.device('cpu'), '__proto__': {'constructor': 'prototype'}, 7: 'int key',
    ('tuple', 'key'): 1,
}
ckpt = {'model': model.state_dict(), 'optimizer': opt.state_dict(), 'config': config, 'epoch': 3}
write('checkpoint.pt', ckpt, torch_bytes(ckpt))

# Every storage dtype, with the awkward values.
special = [0.0, -0.0, 1.0, -1.5, float('inf'), float('-inf'), float('nan'), 1e-40, 65504.0, 3.0e38]
dtypes = {
    'float16': torch.tensor(special, dtype=torch.float32).to(torch.float16),
    'bfloat16': torch.tensor(special, dtype=torch.float32).to(torch.bfloat16),
    'float32': torch.tensor(special, dtype=torch.float32),
    'float64': torch.tensor(special + [5e-324, 1.7976931348623157e308], dtype=torch.float64),
    'complex64': torch.tensor([1 + 2j, -0.0 - 3.5j, complex(float('nan'), float('inf'))], dtype=torch.complex64),
    'complex128': torch.tensor([1 + 2j, 1e-300 - 3.5j], dtype=torch.complex128),
    'int8': torch.tensor([-128, -1, 0, 127], dtype=torch.int8),
    'uint8': torch.tensor([0, 1, 255], dtype=torch.uint8),
    'int16': torch.tensor([-32768, 32767, 5], dtype=torch.int16),
    'int32': torch.tensor([-2 ** 31, 2 ** 31 - 1, 7], dtype=torch.int32),
    'int64': torch.tensor([-2 ** 63, 2 ** 63 - 1, 2 ** 53 + 1], dtype=torch.int64),
    'bool': torch.tensor([True, False, True]),
    'scalar': torch.tensor(2.5),
    'empty': torch.zeros(0, 3),
    'param': nn.Parameter(torch.tensor([1.0, 2.0])),
}
write('dtypes.pt', dtypes, torch_bytes(dtypes))

q = torch.quantize_per_tensor(torch.tensor([-1.0, 0.0, 0.5, 2.0]), scale=0.1, zero_point=3, dtype=torch.qint8)
qu = torch.quantize_per_tensor(torch.tensor([0.0, 1.0, 2.5]), scale=0.5, zero_point=10, dtype=torch.quint8)
write('quantized.pt', {'q': q, 'qu': qu}, torch_bytes({'q': q, 'qu': qu}))

# Views sharing one storage: offsets, strides, 0-dim, expand (stride 0), the same tensor twice.
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
views = {
    'base': base, 'transposed': base.t(), 'row': base[2], 'col': base[:, 3], 'narrow': base[1:3, 2:5],
    'element': base[3, 5], 'expanded': base[0, :1].expand(3, 4), 'step': base[::2, ::3],
    'empty_view': base[2:2], 'again': base,
    'other': torch.arange(5, dtype=torch.int64)[1:],
}
write('views.pt', views, torch_bytes(views))
write('views_legacy.pt', views, torch_bytes(views, _use_new_zipfile_serialization=False))
write('dtypes_legacy.pt', dtypes, torch_bytes(dtypes, _use_new_zipfile_serialization=False))
write('state_dict_legacy_p4.pt', sd, torch_bytes(sd, _use_new_zipfile_serialization=False, pickle_protocol=4))


# Big-endian: the zip torch writes on a big-endian machine records byteorder 'big' and stores
# each element's bytes big-endian. Built from the little-endian file by swapping each storage.
def to_big_endian(le_bytes, elem_sizes):
    src = zipfile.ZipFile(io.BytesIO(le_bytes))
    out = io.BytesIO()
    dst = zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED)
    for info in src.infolist():
        data = src.read(info.filename)
        key = info.filename.split('/data/')[-1] if '/data/' in info.filename else None
        if key is not None and key in elem_sizes and elem_sizes[key] > 1:
            n = elem_sizes[key]
            data = b''.join(data[i:i + n][::-1] for i in range(0, len(data), n))
        dst.writestr(info.filename, data)
    prefix = src.infolist()[0].filename.split('/')[0]
    dst.writestr(prefix + '/byteorder', b'big')
    dst.close()
    return out.getvalue()


be_src = {k: dtypes[k] for k in ['float16', 'bfloat16', 'float32', 'float64', 'complex64', 'int16', 'int32', 'int64', 'uint8']}
le = torch_bytes(be_src)
# storage keys are assigned in pickling order: 0, 1, 2, ...; complex swaps per component
sizes = {str(i): (t.element_size() // 2 if t.is_complex() else t.element_size()) for i, t in enumerate(be_src.values())}
write('big_endian.pt', be_src, to_big_endian(le, sizes))

# numpy arrays pickled directly at protocols 0, 2, 4, 5.
arrays = {
    'f4': np.array([[1.5, -0.0], [np.nan, np.inf]], dtype=np.float32),
    'f8_be': np.array([1e-310, -2.5, 3.0], dtype='>f8'),
    'i8': np.array([-2 ** 63, 2 ** 63 - 1, 0], dtype=np.int64),
    'u2': np.array([0, 65535], dtype=np.uint16),
    'b1': np.array([True, False]),
    'f2': np.array([1.0, 65504.0, 6e-8], dtype=np.float16),
    'c16': np.array([1 + 2j, -3j], dtype=np.complex128),
    'zero_dim': np.array(4.25),
    'empty': np.zeros((0, 2), dtype=np.int32),
    'fortran': np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3)),
    'scalar_f8': np.float64(0.1),
    'scalar_i4': np.int32(-7),
}
for proto in (0, 2, 4, 5):
    write(f'numpy_p{proto}.pkl', arrays, pickle.dumps(arrays, protocol=proto))

# A plain pickle of plain data at protocol 0 (text opcodes).
plain = {'a': [1, 2.5, 'x', None, True], 'b': (b'bytes', -3), 'c': {'nested': [[], {}]}, 'big': 12345678901234567890}
for proto in (0, 1, 3):
    write(f'plain_p{proto}.pkl', plain, pickle.dumps(plain, protocol=proto))

total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
print(f'wrote {len(os.listdir(OUT))} files, {total} bytes, into {OUT}')
