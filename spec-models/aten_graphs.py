#!/usr/bin/python3
"""Exports traced torchvision / LSTM / GRU / TransformerEncoder graphs (frozen, parameters
inlined as constants, no folding) with inputs and PyTorch's outputs to spec-models/aten/graphs/
for test/aten/traced-graphs.test.ts. Large (tens of MB): regenerated, not committed.
Run: /usr/bin/python3 spec-models/aten_graphs.py [model ...]
"""
import json
import os
import sys

import torch
import torchvision
import torch.nn as nn
torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'aten', 'graphs')
os.makedirs(OUT, exist_ok=True)
torch.set_num_threads(4)

def randomize_bn(m):
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.5, 0.5); mod.running_var.uniform_(0.5, 1.5)
            mod.weight.data.uniform_(0.5, 1.5); mod.bias.data.uniform_(-0.5, 0.5)

def export(name, m, inputs):
    m = m.eval()
    with torch.no_grad():
        tr = torch.jit.trace(m, inputs, check_trace=False)
        fr = torch._C._freeze_module(tr._c)
        g = fr._get_method('forward').graph
        expected = m(*inputs)
    blob = bytearray()
    vals = {}
    def vname(v): return v.debugName()
    def enc(v):
        if isinstance(v, torch.Tensor):
            t = v.detach().contiguous()
            dt = {torch.float32:'float32', torch.int64:'int64', torch.float64:'float64', torch.bool:'bool'}[t.dtype]
            off = len(blob); blob.extend(t.numpy().tobytes())
            return {'tensor': {'dtype': dt, 'shape': list(t.shape), 'offset': off, 'nbytes': t.numel()*t.element_size()}}
        if isinstance(v, bool) or v is None: return v
        if isinstance(v, int): return {'int': str(v)}
        if isinstance(v, float): return {'float': v if v == v and abs(v) != float('inf') else str(v)}
        if isinstance(v, str): return {'str': v}
        if isinstance(v, (list, tuple)): return {'list': [enc(x) for x in v]} if isinstance(v, list) else {'tuple': [enc(x) for x in v]}
        if isinstance(v, torch.device): return {'device': str(v)}
        if isinstance(v, torch.dtype): return {'int': '6'}
        return {'unknown': str(type(v))}
    nodes = []
    for n in g.nodes():
        d = {'kind': n.kind(), 'inputs': [vname(i) for i in n.inputs()], 'outputs': [vname(o) for o in n.outputs()]}
        if n.kind() == 'prim::Constant':
            d['value'] = enc(n.output().toIValue())
        else:
            try: d['schema'] = str(n.schema())
            except Exception: pass
        nodes.append(d)
    ins = [vname(i) for i in g.inputs()][1:]
    outs = [vname(o) for o in g.outputs()]
    json.dump({'nodes': nodes, 'inputs': ins, 'outputs': outs, 'args': [enc(x) for x in inputs], 'expected': enc(expected if not isinstance(expected, tuple) else list(expected))},
              open(os.path.join(OUT, f'{name}.json'), 'w'))
    open(os.path.join(OUT, f'{name}.bin'), 'wb').write(blob)
    print(name, len(nodes), sorted({n['kind'] for n in nodes if n['kind'].startswith('aten')}))

x = torch.randn(1, 3, 64, 64)
names = [n for n in sys.argv[1:]] or ['resnet18','mobilenet_v2','mobilenet_v3_small','squeezenet1_1','shufflenet_v2_x0_5','efficientnet_b0','regnet_y_400mf','mnasnet0_5','googlenet','densenet121']
for n in names:
    if n in ('lstm', 'gru', 'tenc', 'inplace', 'gpt'): continue
    kw = {'aux_logits': False, 'init_weights': True} if n == 'googlenet' else {}
    m = getattr(torchvision.models, n)(**kw)
    randomize_bn(m)
    export(n, m, (x,))
class L(nn.Module):
    def __init__(s, cls): super().__init__(); s.r = cls(4, 5, num_layers=2, bidirectional=True, batch_first=True)
    def forward(s, x): return s.r(x)[0]
export('lstm', L(nn.LSTM), (torch.randn(2, 3, 4),))
export('gru', L(nn.GRU), (torch.randn(2, 3, 4),))
class InPlace(nn.Module):
    def forward(self, x):
        y = x.clone()
        y[:, 0] += 1
        y[1:3, ::2] = 5.0
        y[y > 2] = 0.0
        z = y.view(-1)
        z[3] = -1.0
        w = y.transpose(0, 1)
        w[0].mul_(3)
        return y
export('inplace', InPlace(), (torch.randn(4, 5),))
gpt_src = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'aten_gpt.py')
sys.path.insert(0, os.path.dirname(gpt_src))
from aten_gpt import GPT
export('gpt', GPT(), (torch.randint(0, 50, (2, 6)),))
enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2, enable_nested_tensor=False)
export('tenc', enc, (torch.randn(2, 5, 8),))
