#!/usr/bin/python3
"""Exports the whole models `npm run bench` times, with Debian's PyTorch 1.13 (run with /usr/bin/python3).

Each model is built once (random init under a fixed seed, random BatchNorm/LayerNorm statistics, eval
mode; nothing is downloaded) and written twice with the same weights: ONNX (opset 17) to
onnx/large/bench_<name>.onnx and traced TorchScript to torchscript/large/bench_<name>.pt. Image models
get one fixed-size file per input size. Both large/ folders are git-ignored. onnx/large/bench_models.json
gives each CNN's multiply-add FLOPs (2 per MAC) in its Conv2d and Linear layers, for GFLOP/s.
The names and input shapes must match the list in bench/models.ts.
Usage: bench_models.py [name-regex]
"""
import json
import os
import re
import sys

import torch
import torch.nn as nn
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from onnx_models import GptDecoder, LstmModel, randomize_norms  # noqa: E402  (the ONNX spec models)

torch.set_num_threads(1)
ONNX_OUT = os.path.join(HERE, 'onnx', 'large')
TS_OUT = os.path.join(HERE, 'torchscript', 'large')


def vision(ctor, size):
    return lambda: (ctor(weights=None), (torch.randn(1, 3, size, size),), ['image'], ['logits'])


def gpt():
    return GptDecoder(), (torch.randint(0, 100, (1, 16), dtype=torch.int64),), ['tokens'], ['logits']


def lstm():
    return LstmModel(), (torch.randn(1, 10, 12),), ['features'], ['logits', 'h_n', 'c_n']


def transformer():
    # The TorchScript spec model's configuration (torchscript_models.py).
    layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, batch_first=True)
    return nn.TransformerEncoder(layer, num_layers=2), (torch.randn(2, 6, 32),), ['src'], ['out']


MODELS = {}
for seed, (name, ctor) in enumerate([('resnet18', torchvision.models.resnet18),
                                     ('mobilenet_v2', torchvision.models.mobilenet_v2),
                                     ('efficientnet_b0', torchvision.models.efficientnet_b0)]):
    for size in (96, 224):
        MODELS[f'{name}_{size}'] = (vision(ctor, size), 10 + seed)
MODELS['gpt_decoder'] = (gpt, 20)
MODELS['lstm'] = (lstm, 21)
MODELS['transformer_encoder'] = (transformer, 22)


def conv_linear_flops(model, inputs):
    """2 x multiply-adds of every Conv2d and Linear in one forward pass (other ops are not counted)."""
    total = [0]

    def hook(m, _inp, out):
        if isinstance(m, nn.Conv2d):
            total[0] += 2 * out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        else:
            total[0] += 2 * out.numel() * m.in_features
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model(*inputs)
    for h in handles:
        h.remove()
    return total[0]


def main():
    pattern = re.compile(sys.argv[1] if len(sys.argv) > 1 else '')
    os.makedirs(ONNX_OUT, exist_ok=True)
    os.makedirs(TS_OUT, exist_ok=True)
    info_path = os.path.join(ONNX_OUT, 'bench_models.json')
    info = {}
    if os.path.exists(info_path):
        with open(info_path) as f:
            info = json.load(f)
    for name, (build, seed) in MODELS.items():
        if not pattern.search(name):
            continue
        torch.manual_seed(seed)
        model, inputs, input_names, output_names = build()
        with torch.no_grad():
            randomize_norms(model)
        model.eval()
        onnx_path = os.path.join(ONNX_OUT, f'bench_{name}.onnx')
        ts_path = os.path.join(TS_OUT, f'bench_{name}.pt')
        # Grad mode stays on so that TransformerEncoder takes its ordinary path in both exports
        # (its no-grad fast path is one fused aten op that ONNX export cannot write).
        torch.onnx.export(model, inputs, onnx_path, input_names=input_names, output_names=output_names,
                          opset_version=17)
        torch.jit.trace(model, inputs, check_trace=False).save(ts_path)  # the checker runs without grad
        if re.search(r'_(96|224)$', name):  # the CNNs, where Conv2d and Linear are nearly all the work
            info[name] = {'flops': conv_linear_flops(model, inputs)}
            print(f'  {info[name]["flops"] / 1e9:.3f} GFLOP')
        print(f'{name}: {os.path.getsize(onnx_path) / 1e6:.1f} MB onnx, {os.path.getsize(ts_path) / 1e6:.1f} MB pt')
    with open(info_path, 'w') as f:
        json.dump(info, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
