#!/usr/bin/python3
"""Exports tessera's ONNX spec models with Debian's PyTorch 1.13 (run with /usr/bin/python3).

Models: torchvision resnet18, mobilenet_v2 (also at width 0.25, 10 classes: mobilenet_v2_small),
efficientnet_b0, densenet121 (1x3x64x64 images), a small
GPT-style decoder (int64 tokens [1, 16]) and a 2-layer LSTM with a Linear head, each exported at
opsets 13 and 17. Random init under a fixed seed per model (nothing is downloaded); every
BatchNorm/LayerNorm gets random running statistics and affine parameters, since default init makes an
eval BatchNorm the identity and would hide bugs. Eval mode, single thread.

spec-models/onnx/models.json lists each model: its .onnx file per opset, its inputs and PyTorch's
own outputs (.npy, named after the graph's input/output names). .onnx files over ~5 MB go to
onnx/large/, which is git-ignored; the rest, and every .npy, are committed.
Usage: onnx_models.py [name-regex]
"""
import json
import math
import os
import re
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'onnx')
LARGE = os.path.join(OUT, 'large')
os.makedirs(LARGE, exist_ok=True)
LARGE_BYTES = 5 * 1024 * 1024
OPSETS = (13, 17)


def randomize_norms(model):
    """Random running stats and affine params for every BatchNorm, random affine for LayerNorm."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n) * 0.2)
            m.running_var.copy_(torch.rand(n) * 1.5 + 0.5)
            m.weight.data.copy_(torch.rand(n) * 1.0 + 0.5)
            m.bias.data.copy_(torch.randn(n) * 0.2)
        elif isinstance(m, nn.LayerNorm):
            m.weight.data.copy_(torch.rand(m.weight.shape) * 1.0 + 0.5)
            m.bias.data.copy_(torch.randn(m.bias.shape) * 0.2)


class GptDecoder(nn.Module):
    """Token + positional embedding, causal self-attention blocks (pre-LayerNorm, GELU MLP), LM head."""

    def __init__(self, vocab=100, ctx=16, dim=64, heads=4, layers=2):
        super().__init__()
        self.heads = heads
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(ctx, dim)
        self.blocks = nn.ModuleList([GptBlock(dim, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.register_buffer('causal', torch.tril(torch.ones(ctx, ctx, dtype=torch.bool)))

    def forward(self, tokens):
        t = tokens.shape[1]
        positions = torch.arange(t, device=tokens.device).unsqueeze(0)
        x = self.tok(tokens) + self.pos(positions)
        mask = self.causal[:t, :t]
        for block in self.blocks:
            x = block(x, mask)
        return self.head(self.ln_f(x))


class GptBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.out = nn.Linear(4 * dim, dim)

    def forward(self, x, mask):
        b, t, c = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q = q.view(b, t, h, c // h).transpose(1, 2)
        k = k.view(b, t, h, c // h).transpose(1, 2)
        v = v.view(b, t, h, c // h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(c // h))
        att = att.masked_fill(~mask, float('-inf'))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.proj(y)
        return x + self.out(self.act(self.fc(self.ln2(x))))


class LstmModel(nn.Module):
    """2-layer batch-first LSTM over float features, a Linear head on every step; also returns h_n, c_n."""

    def __init__(self, features=12, hidden=32, classes=10):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        y, (h, c) = self.lstm(x)
        return self.head(y), h, c


def vision(ctor):
    def build():
        model = ctor(weights=None)
        x = torch.randn(1, 3, 64, 64)
        return model, (x,), ['image'], ['logits']
    return build


def gpt():
    model = GptDecoder()
    tokens = torch.randint(0, 100, (1, 16), dtype=torch.int64)
    return model, (tokens,), ['tokens'], ['logits']


def lstm():
    model = LstmModel()
    x = torch.randn(1, 10, 12)
    return model, (x,), ['features'], ['logits', 'h_n', 'c_n']


MODELS = {
    'resnet18': (vision(torchvision.models.resnet18), 1),
    'mobilenet_v2': (vision(torchvision.models.mobilenet_v2), 2),
    'efficientnet_b0': (vision(torchvision.models.efficientnet_b0), 3),
    'densenet121': (vision(torchvision.models.densenet121), 4),
    'gpt_decoder': (gpt, 5),
    'lstm': (lstm, 6),
    # mobilenet_v2 at width 0.25 with 10 classes (1 MB a file, committed): the browser test's CNN
    # on cpu and webgl, which a fresh clone must run without the git-ignored large models.
    'mobilenet_v2_small': (vision(lambda weights=None: torchvision.models.mobilenet_v2(weights=weights, width_mult=0.25, num_classes=10)), 7),
}


def export(name, build, seed):
    torch.manual_seed(seed)
    model, inputs, input_names, output_names = build()
    with torch.no_grad():
        randomize_norms(model)
    model.eval()
    with torch.no_grad():
        outputs = model(*inputs)
    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)
    entry = {'inputs': {}, 'outputs': {}, 'onnx': {}}
    for n, t in zip(input_names, inputs):
        entry['inputs'][n] = f'{name}.{n}.npy'
        np.save(os.path.join(OUT, entry['inputs'][n]), t.numpy())
    for n, t in zip(output_names, outputs):
        entry['outputs'][n] = f'{name}.{n}.npy'
        np.save(os.path.join(OUT, entry['outputs'][n]), t.numpy())
        print(f'  {n}: {list(t.shape)} |max| {float(t.abs().max()):.4g} std {float(t.float().std()):.4g}')
    for opset in OPSETS:
        fname = f'{name}_opset{opset}.onnx'
        tmp = os.path.join(OUT, fname)
        big = os.path.join(LARGE, fname)
        for p in (tmp, big):
            if os.path.exists(p):
                os.remove(p)
        torch.onnx.export(model, inputs, tmp, input_names=input_names, output_names=output_names,
                          opset_version=opset)
        size = os.path.getsize(tmp)
        if size > LARGE_BYTES:
            os.replace(tmp, big)
            entry['onnx'][str(opset)] = f'large/{fname}'
        else:
            entry['onnx'][str(opset)] = fname
        print(f'  opset {opset}: {entry["onnx"][str(opset)]} ({size / 1e6:.1f} MB)')
    return entry


def main():
    pattern = re.compile(sys.argv[1] if len(sys.argv) > 1 else '')
    manifest_path = os.path.join(OUT, 'models.json')
    manifest = {}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
    for name, (build, seed) in MODELS.items():
        if not pattern.search(name):
            continue
        print(name)
        manifest[name] = export(name, build, seed)
    manifest = {k: manifest[k] for k in MODELS if k in manifest}
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
