#!/usr/bin/env python3
"""Exports models with the torch 2.x ONNX exporter (torch.onnx.export(..., dynamo=True)), for
tessera's tests of what that exporter writes.

Run it with PyTorch 2.x and onnxscript (the venv of spec-models/torch2_models.py's docstring, plus
`pip install onnxscript`): `.venv/bin/python spec-models/onnx2_models.py [name-regex]`.

The models are torch2_models.py's: the tiny transformers models (BERT, DistilBERT, GPT-2, Llama,
T5, ViT, Whisper; random init from tiny configs), its shrunk timm architectures (timm_arch: the
same weights and test input as its timm_*_script/_trace archives) and some of its fixtures
(nn.TransformerEncoder, an encoder block, a CNN with BatchNorm, LSTM/GRU, interpolate, norms).
The timm files lose the exporter's per-node metadata (strip_node_metadata) to stay small. Each is exported with its
weights inside the .onnx (no external data) into spec-models/onnx2/<name>.onnx; models.json lists
its inputs and PyTorch's own outputs (eager, no_grad) as .npy files named <name>.<input or output
name>.npy, keyed by the graph's input and output names. A model the exporter refuses is reported
and left out: under torch 2.13 that is T5 (the exporter's decomposition step fails, "Cannot view a
tensor with shape [2, 8, 2, 16] and strides (256, 16, 128, 1) as [2, 8, 32]").
"""
import json
import os
import re
import sys

import numpy as np
import torch

import torch2_models as t2  # noqa: E402  (the fixture modules and the transformers builders)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'onnx2')
os.makedirs(OUT, exist_ok=True)
randn = t2.randn


HF_INPUTS = {'t5': ['input_ids', 'attention_mask', 'decoder_input_ids'], 'vit': ['pixel_values'], 'whisper': ['input_features', 'decoder_input_ids']}


def hf(kind, seed):
    """The model torch2_models.hf_trace traces, eager, at the inputs its test runs (by name:
    GPT-2's second parameter is past_key_values, not attention_mask)."""
    _, cases = t2.hf_trace(kind, seed)  # traced only for the same inputs from the same seeds
    torch.manual_seed(seed)
    m = t2.hf_model(kind)
    if kind == 'whisper':
        return t2.TupleOut(m).eval(), cases[0]
    return m, dict(zip(HF_INPUTS.get(kind, ['input_ids', 'attention_mask']), cases[0]))


def models():
    for i, kind in enumerate(['bert', 'distilbert', 'gpt2', 'llama', 't5', 'vit', 'whisper']):
        yield f'hf_{kind}', lambda kind=kind, i=i: hf(kind, 50 + 10 * i)
    yield 'transformer_encoder_bf', lambda: (t2.seeded(lambda: t2.transformer_encoder(True), 42), (randn(2, 5, 16, seed=43),))
    yield 'transformer_encoder_sf', lambda: (t2.seeded(lambda: t2.transformer_encoder(False, True), 44), (randn(5, 2, 16, seed=45),))
    yield 'tiny_encoder', lambda: (t2.seeded(t2.TinyEncoder, 27), (randn(2, 4, 16, seed=29),))
    yield 'small_cnn', lambda: (t2.ts1.randomize(t2.seeded(t2.SmallCnn, 33), 33).eval(), (randn(1, 3, 8, 8, seed=35),))
    yield 'recurrent', lambda: (t2.seeded(t2.Recurrent, 36), (randn(2, 3, 6, seed=38),))
    yield 'interpolate', lambda: (t2.ts1.Interpolate().eval(), (randn(1, 2, 3, 4, seed=10), randn(2, 3, 5, seed=11), randn(1, 1, 2, 3, 2, seed=12)))
    yield 'norms', lambda: (t2.Norms2().eval(), (randn(3, 4, 5, seed=21),))
    # Not t2.ProjectedLstm (nn.LSTM with proj_size): torch 2.13 writes ONNX LSTMs with a Concat of
    # a rank-2 and a rank-1 bias that onnxruntime refuses too ("All inputs to Concat must have same rank").
    for i, kind in enumerate(t2.TIMM_KINDS):
        yield f'timm_{kind}', lambda kind=kind, i=i: (lambda m, a, b: (m, (b,)))(*t2.timm_model(kind, 200 + 10 * i))


def flatten(v):
    if isinstance(v, torch.Tensor):
        return [v]
    if isinstance(v, (list, tuple)):
        return [t for x in v for t in flatten(x)]
    if isinstance(v, dict):
        return [t for x in v.values() for t in flatten(x)]
    raise TypeError(f'output of type {type(v).__name__}')


def strip_node_metadata(path):
    """Drops the exporter's per-node metadata_props (the PyTorch stack trace, FX node and module
    path of every node: provenance no runtime reads), over half of a small timm model's file."""
    import onnx
    model = onnx.load(path)
    graphs = [model.graph]
    while graphs:
        g = graphs.pop()
        for n in g.node:
            del n.metadata_props[:]
            graphs.extend(a.g for a in n.attribute if a.type == onnx.AttributeProto.GRAPH)
            graphs.extend(a.graphs[i] for a in n.attribute if a.type == onnx.AttributeProto.GRAPHS for i in range(len(a.graphs)))
    for f in model.functions:
        for n in f.node:
            del n.metadata_props[:]
    onnx.save(model, path)


def export(name, module, args):
    """args: a tuple of positional inputs, or a dict of keyword inputs."""
    path = os.path.join(OUT, name + '.onnx')
    kwargs = args if isinstance(args, dict) else None
    args = tuple(args.values()) if kwargs is not None else tuple(args)
    program = torch.onnx.export(module, () if kwargs else args, kwargs=kwargs, dynamo=True, external_data=False)
    program.save(path, external_data=False)
    if name.startswith('timm_'):
        strip_node_metadata(path)
    import onnx
    graph = onnx.load(path).graph
    inputs = [i.name for i in graph.input]
    outputs = [o.name for o in graph.output]
    with torch.no_grad():
        want = flatten(module(**kwargs) if kwargs else module(*args))
    if len(inputs) != len(args) or len(outputs) != len(want):
        raise RuntimeError(f'{name}: graph has inputs {inputs} and outputs {outputs}, PyTorch {len(args)} inputs and {len(want)} outputs')
    entry = {'onnx': name + '.onnx', 'torch': torch.__version__, 'inputs': {}, 'outputs': {}}
    for kind, names, values in [('inputs', inputs, args), ('outputs', outputs, want)]:
        for n, v in zip(names, values):
            f = f'{name}.{re.sub(r"[^A-Za-z0-9_]", "_", n)}.npy'
            np.save(os.path.join(OUT, f), v.detach().numpy())
            entry[kind][n] = f
    print('wrote', name + '.onnx', f'({os.path.getsize(path)} bytes)', flush=True)
    return entry


def main():
    pattern = re.compile(sys.argv[1] if len(sys.argv) > 1 else '.')
    manifest_path = os.path.join(OUT, 'models.json')
    manifest = {}
    if os.path.exists(manifest_path):
        with open(manifest_path) as fh:
            manifest = json.load(fh)
    for name, make in models():
        if not pattern.search(name):
            continue
        try:
            module, args = make()
            manifest[name] = export(name, module.eval(), args)
        except ImportError as e:
            print('SKIPPED', name, e)
        except Exception as e:  # report and go on: one file per model
            print('FAILED', name, repr(e)[:800])
    with open(manifest_path, 'w') as fh:
        json.dump(dict(sorted(manifest.items())), fh, indent=1)


if __name__ == '__main__':
    main()
