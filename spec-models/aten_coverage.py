#!/usr/bin/python3
"""Which aten / prim ops real models call: spec-models/aten/coverage.json.

Traces (torch.jit.trace) and scripts (torch.jit.script, where it compiles) torchvision models
with random weights, saves and reloads each archive, and records the operator kinds of its
inlined graph (blocks of If/Loop included). One section per PyTorch version, so both runs land
in the same file:

    /usr/bin/python3 spec-models/aten_coverage.py              # Debian's PyTorch 1.13: torchvision
    /work/venv-torch2/bin/python spec-models/aten_coverage.py  # torch 2.x: torchvision and timm,
                                                               # and transformers if installed
    /work/venv-torch2/bin/python spec-models/aten_coverage.py --transformers  # only those rows
    /work/venv-torch2/bin/python spec-models/aten_coverage.py --timm-small    # only torch2_models.py's timm rows

spec-models/aten-coverage-table.ts compares the file with tessera's aten registry.
"""
import io
import json
import os
import sys
import warnings

import torch

warnings.filterwarnings('ignore')
torch.manual_seed(0)
torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'aten', 'coverage.json')
TORCH2 = int(torch.__version__.split('.')[0]) >= 2


def declare_torchvision_ops():
    """A torchvision wheel built for another torch leaves its C++ ops undefined; timm imports
    torchvision, whose Python side registers fake kernels for them: declare their schemas."""
    try:
        torch.ops.torchvision.nms
        return
    except (AttributeError, RuntimeError):
        pass
    lib = torch.library.Library('torchvision', 'DEF')  # noqa: kept alive for the process
    lib.define('nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    lib.define('qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    globals()['_torchvision_lib'] = lib


def op_kinds(module):
    """aten/prim kinds in the inlined graph of `module` after a save/load round trip."""
    buf = io.BytesIO()
    torch.jit.save(module, buf)
    buf.seek(0)
    loaded = torch.jit.load(buf)
    kinds = set()

    def walk(block):
        for node in block.nodes():
            k = node.kind()
            if k.startswith('aten::') or k.startswith('prim::'):
                kinds.add(k)
            for b in node.blocks():
                walk(b)

    walk(loaded.inlined_graph)
    return sorted(kinds)


def collect(name, model, example, results, script=True):
    model = model.eval()
    with torch.no_grad():
        try:
            results[f'{name} (trace)'] = op_kinds(torch.jit.trace(model, example, check_trace=False))
        except Exception as e:  # noqa: a model that does not trace is recorded, not fatal
            results[f'{name} (trace)'] = {'error': f'{type(e).__name__}: {str(e)[:200]}'}
        if script:
            try:
                results[f'{name} (script)'] = op_kinds(torch.jit.script(model))
            except Exception as e:  # noqa
                results[f'{name} (script)'] = {'error': f'{type(e).__name__}: {str(e)[:200]}'}
    print(name, flush=True)


def torchvision_models(results):
    import torchvision.models as tvm
    small = torch.randn(1, 3, 64, 64)
    full = torch.randn(1, 3, 224, 224)
    for n in ['resnet18', 'mobilenet_v2', 'mobilenet_v3_small', 'efficientnet_b0', 'squeezenet1_0',
              'shufflenet_v2_x0_5', 'regnet_x_400mf', 'densenet121', 'convnext_tiny', 'mnasnet0_5']:
        collect(f'torchvision/{n}', getattr(tvm, n)(), small, results)
    for n in ['vit_b_16', 'swin_t']:
        collect(f'torchvision/{n}', getattr(tvm, n)(), full, results)


def timm_models(results):
    declare_torchvision_ops()
    import timm
    for n, size in [('vit_tiny_patch16_224', 224), ('deit_tiny_patch16_224', 224), ('resnet18', 64),
                    ('efficientnet_b0', 64), ('convnext_atto', 64), ('mobilevit_xxs', 64),
                    ('swin_tiny_patch4_window7_224', 224), ('levit_128s', 224)]:
        try:
            model = timm.create_model(n, pretrained=False)
        except Exception as e:  # noqa
            results[f'timm/{n}'] = {'error': f'{type(e).__name__}: {str(e)[:200]}'}
            continue
        collect(f'timm/{n}', model, torch.randn(1, 3, size, size), results, script=False)


def timm_shrunk_models(results):
    """torch2_models.py's shrunk timm architectures (the archives its tests run), scripted and traced."""
    try:
        import torch2_models as t2
        t2.import_timm()
    except ImportError:
        return
    for name, make in t2.timm_models():
        how = name.rsplit('_', 1)[1]
        archive = f'timm-small/{name[len("timm_"):-len(how) - 1]} ({how})'
        try:
            results[archive] = op_kinds(make()[0])
        except Exception as e:  # noqa
            results[archive] = {'error': f'{type(e).__name__}: {str(e)[:200]}'}
        print(archive, flush=True)


def transformers_models(results):
    """The transformers models of torch2_models.py (tiny configs, random init), traced as there."""
    try:
        import torch2_models as t2
        t2.import_transformers()
    except ImportError:
        return
    for name, make in t2.hf_models():
        archive = 'transformers/' + name[len('hf_'):-len('_trace')] + ' (trace)'
        try:
            results[archive] = op_kinds(make()[0])
        except Exception as e:  # noqa
            results[archive] = {'error': f'{type(e).__name__}: {str(e)[:200]}'}
        print(archive, flush=True)


def main():
    """Every family, or with --transformers / --timm-small (torch 2.x) only those rows of this
    version's section, the rest kept."""
    only_transformers = '--transformers' in sys.argv[1:]
    only_small_timm = '--timm-small' in sys.argv[1:]
    results = {}
    if only_small_timm:
        timm_shrunk_models(results)
        return write_section(results, 'timm-small/')
    if TORCH2:
        declare_torchvision_ops()
    if not only_transformers:
        torchvision_models(results)
    if TORCH2:
        if not only_transformers:
            timm_models(results)
        timm_shrunk_models(results)
        transformers_models(results)
    write_section(results, 'transformers/' if only_transformers else None)


def write_section(results, only_prefix):
    """This version's section of the file: `results`, or with `only_prefix` those rows replaced."""
    data = {}
    if os.path.exists(OUT):
        with open(OUT) as fh:
            data = json.load(fh)
    section = f'torch {torch.__version__}'
    if only_prefix:
        kept = {k: v for k, v in data.get(section, {}).items() if not k.startswith(only_prefix)}
        results = {**kept, **results}
    data[section] = results
    with open(OUT, 'w') as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
    print(f'{len(results)} archives -> {OUT}')


if __name__ == '__main__':
    main()
