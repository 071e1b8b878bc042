#!/usr/bin/env python3
"""Generates TorchScript archives saved by PyTorch 2.x, for tessera's torch 2.x tests.

Run it with a PyTorch 2.x interpreter (it refuses 1.x). Debian's /usr/bin/python3 has 1.13, so
make a virtual environment anywhere (outside the repository, or in .venv, which is git-ignored):

    python3 -m venv .venv && .venv/bin/pip install 'torch==2.13.*' timm   # (CPU wheels are enough)
    .venv/bin/python spec-models/torch2_models.py [name-regex]

It writes spec-models/torchscript2/<name>.pt and <name>.json, with the JSON and .npy conventions
of spec-models/torchscript_models.py (read its docstring): the archive, the method, and cases of
inputs with PyTorch's own outputs. Keep every archive small (the folder stays under ~3 MB).
"""
import os
import re
import sys

import torch

if int(torch.__version__.split('.')[0]) < 2:
    sys.exit(f'torch2_models.py needs PyTorch 2.x, this is {torch.__version__}: '
             'use a venv with torch 2 (see this file\'s docstring); /usr/bin/python3 spec-models/torchscript_models.py makes the 1.13 archives')

import json
from enum import Enum
from typing import Dict, List, NamedTuple, Tuple, Union

import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torchscript_models as ts1  # noqa: E402  (its value encoding and shared fixture modules)
# Off the path again (Python also puts a script's folder first): spec-models/sklearn would pass for
# scikit-learn in transformers' import checks.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or '.') != os.path.dirname(os.path.abspath(__file__))]

torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'torchscript2')
os.makedirs(OUT, exist_ok=True)
ts1.OUT = OUT  # enc() writes large tensors as .npy next to the archive
randn = ts1.randn


def strip_debug(path):
    """Rewrites the archive without its code/*.debug_pkl members (source ranges for PyTorch's error
    messages; nothing reads them to run the code), members stored as before. They are ~40% of a
    scripted timm archive and more of a traced one."""
    import zipfile
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i)) for i in z.infolist() if not i.filename.endswith('.debug_pkl')]
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as z:
        for info, data in members:
            z.writestr(info.filename, data)


def save(name, module, cases, method='forward', debug=True):
    path = os.path.join(OUT, name + '.pt')
    torch.jit.save(module, path)
    if not debug:
        strip_debug(path)
    loaded = torch.jit.load(path)  # the outputs are the stripped archive's, when stripped
    counter = [0]
    out_cases = []
    for args in cases:
        case = {'inputs': [ts1.enc(a, name, counter) for a in args]}
        with torch.no_grad():
            case['output'] = ts1.enc(getattr(loaded, method)(*args), name, counter)
        out_cases.append(case)
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump({'file': name + '.pt', 'method': method, 'torch': torch.__version__, 'cases': out_cases}, f, indent=1)
    print('wrote', name + '.pt', f'({os.path.getsize(path)} bytes)')


class ParamContainers(nn.Module):
    """nn.ParameterList / ParameterDict: torch 2.x writes `__annotations__ = []` in their class bodies."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(20)
        self.plist = nn.ParameterList([nn.Parameter(torch.randn(4, generator=g)) for _ in range(3)])
        self.pdict = nn.ParameterDict({'scale': nn.Parameter(torch.randn(4, generator=g)), 'shift': nn.Parameter(torch.randn(4, generator=g))})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for p in self.plist:
            x = x * p
        return x * self.pdict['scale'] + self.pdict['shift'] + self.plist[1]


class Block(nn.Module):
    def __init__(self, d: int):
        super().__init__()
        self.lin = nn.Linear(d, d)
        self.norm = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x + F.gelu(self.lin(x)))


class ModuleContainers(nn.Module):
    """ModuleList and ModuleDict iteration, enumerate over a ModuleList, Sequential."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([Block(6) for _ in range(3)])
        self.heads = nn.ModuleDict({'a': nn.Linear(6, 2), 'b': nn.Sequential(nn.Linear(6, 3), nn.ReLU())})

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        for i, blk in enumerate(self.blocks):
            x = blk(x) * float(i + 1)
        out: Dict[str, torch.Tensor] = {}
        for name, head in self.heads.items():
            out[name] = head(x)
        return out


class Stats(NamedTuple):
    mean: torch.Tensor
    std: torch.Tensor
    count: int


class NamedTupleAndDict(nn.Module):
    def forward(self, x: torch.Tensor) -> Tuple[Stats, Dict[str, List[torch.Tensor]], List[str]]:
        s = Stats(x.mean(dim=0), x.std(dim=0), x.size(0))
        d = {'rows': [r for r in x], 'cols': list(x.t().unbind(0))}
        names = ['n' + str(i) for i in range(x.size(1))]
        return s, d, names


class Norms2(nn.Module):
    """The norm family as 2.x scripts it (linalg_vector_norm behind torch.norm)."""

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        return [
            torch.norm(x, dim=1), torch.norm(x), torch.norm(x, dim=[0, 2], keepdim=True),
            torch.linalg.vector_norm(x), torch.linalg.vector_norm(x, ord=1, dim=-1),
            torch.linalg.vector_norm(x, ord=float('inf'), dim=(0, 1)), torch.linalg.vector_norm(x, ord=3.0, dim=2, keepdim=True),
            F.normalize(x, dim=1),
        ]


class TinyEncoder(nn.Module):
    """A transformer-ish block spelling attention out (no scaled_dot_product_attention)."""

    def __init__(self, d: int = 16, heads: int = 2):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.norm1 = nn.LayerNorm(d)
        self.norm2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
        self.cls = nn.Parameter(torch.zeros(1, 1, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        x = torch.cat([self.cls.expand(b, -1, -1), x], dim=1)
        h = self.norm1(x)
        q, k, v = self.qkv(h).reshape(b, n + 1, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        a = (q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5
        h = (a.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n + 1, d)
        x = x + self.proj(h)
        return x + self.mlp(self.norm2(x))


def import_timm():
    """timm, importable without a working torchvision: timm's ViT never calls it, but timm imports
    it at load, and a torchvision wheel that does not match the installed torch fails there."""
    try:
        import torchvision  # noqa: F401
    except Exception:
        import importlib.abc
        import importlib.machinery
        import types

        class Anything:
            def __init__(self, n):
                self.n = n

            def __getattr__(self, k):
                if k.startswith('__'):
                    raise AttributeError(k)
                return Anything(self.n + '.' + k)

            def __call__(self, *a, **k):
                return Anything(self.n + '()')

            def __hash__(self):
                return hash(self.n)

            def __eq__(self, o):
                return isinstance(o, Anything) and o.n == self.n

            def __mro_entries__(self, bases):
                return (object,)

        class Stub(types.ModuleType):
            def __getattr__(self, k):
                if k.startswith('__'):
                    raise AttributeError(k)
                return Anything(k)

        class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
            def find_spec(self, name, path, target=None):
                if name == 'torchvision' or name.startswith('torchvision.'):
                    return importlib.machinery.ModuleSpec(name, self, is_package=True)

            def create_module(self, spec):
                return Stub(spec.name)

            def exec_module(self, m):
                m.__path__ = []

        for n in [n for n in sys.modules if n == 'torchvision' or n.startswith('torchvision.')]:
            del sys.modules[n]
        sys.meta_path.insert(0, Finder())
        print('note: torchvision does not import; timm gets a stub of it')
    import timm
    return timm


def vit_tiny():
    """A scripted timm ViT, shrunk (timm is optional: skipped without it). Its PatchEmbed holds a
    str Enum (timm.layers.Format), which TorchScript pickles as REDUCE(class, 'NCHW')."""
    timm = import_timm()
    m = timm.create_model('vit_tiny_patch16_224', pretrained=False, img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2, num_classes=5)
    for blk in m.blocks:  # timm would call scaled_dot_product_attention, which tessera lacks
        blk.attn.fused_attn = False
    return m.eval()



def timm_arch(kind):
    """(model, input size): a timm architecture shrunk to tens of thousands of parameters (random
    init; BatchNorm statistics randomised so they matter), built from timm's own constructors."""
    timm = import_timm()
    from timm.models import efficientnet, mlp_mixer, mobilenetv3, regnet
    c = dict(num_classes=10)
    if kind == 'resnet':  # resnet26d: deep stem, average-pool downsampling, bottlenecks
        m = timm.create_model('resnet26d', channels=(8, 16, 16, 32), stem_width=8, layers=(1, 1, 1, 1), **c)
    elif kind == 'efficientnet':  # MBConv with squeeze-excite, SiLU
        m = efficientnet._gen_efficientnet('efficientnet_b0', channel_multiplier=0.1, depth_multiplier=0.25, pretrained=False, **c)
        m.conv_head = nn.Conv2d(m.conv_head.in_channels, 32, 1, bias=False)
        m.bn2 = type(m.bn2)(32)
        m.classifier = nn.Linear(32, 10)
    elif kind == 'mobilenetv3':  # hard-swish, hard-sigmoid gates, a conv head after the pool
        m = mobilenetv3._gen_mobilenet_v3('mobilenetv3_small_050', 0.1, pretrained=False, **c)
        m.conv_head = nn.Conv2d(m.conv_head.in_channels, 32, 1)
        m.classifier = nn.Linear(32, 10)
    elif kind == 'convnext':  # depthwise 7x7, channels-last LayerNorm, layer scale
        m = timm.create_model('convnext_atto', dims=(8, 16, 24, 32), depths=(1, 1, 1, 1), **c)
    elif kind == 'regnet':  # grouped convolutions, squeeze-excite
        m = regnet.RegNet(regnet.RegNetCfg(depth=6, w0=8, wa=8.0, wm=2.0, group_size=8, se_ratio=0.25), **c)
    elif kind == 'vit':  # the fused path: scaled_dot_product_attention
        m = timm.create_model('vit_tiny_patch16_224', img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2, **c)
    elif kind == 'swin':  # shifted windows: roll, window partition, relative position bias
        m = timm.create_model('swin_tiny_patch4_window7_224', img_size=32, patch_size=2, window_size=4, embed_dim=8, depths=(1, 1, 1), num_heads=(1, 1, 2), **c)
    elif kind == 'levit':  # attention biases gathered by index, hard-swish, BatchNorm on linears
        m = timm.create_model('levit_128s', img_size=64, embed_dim=(16, 24, 32), key_dim=8, num_heads=(2, 2, 2), depth=(1, 1, 1), **c)
    elif kind == 'mixer':  # token-mixing MLPs over transposed patches
        m = mlp_mixer.MlpMixer(img_size=32, patch_size=8, embed_dim=32, num_blocks=2, **c)
    elif kind == 'cait':  # talking-heads attention, class-attention blocks, layer scale
        m = timm.create_model('cait_xxs24_224', img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2, depth_token_only=1, **c)
    elif kind == 'edgenext':  # split depthwise transposed attention, positional encodings
        m = timm.create_model('edgenext_xx_small', dims=(8, 16, 24, 32), depths=(1, 1, 1, 1), **c)
    elif kind == 'fastvit':  # re-parameterisable MobileOne blocks, RepMixer, conditional positional encoding
        m = timm.create_model('fastvit_t8', embed_dims=(8, 16, 32, 32), layers=(1, 1, 1, 1), **c)
    elif kind == 'resmlp':  # affine (addcmul) normalisation, layer scale
        m = mlp_mixer.MlpMixer(img_size=32, patch_size=8, embed_dim=32, num_blocks=2, mlp_ratio=4, block_layer=mlp_mixer.ResBlock, norm_layer=mlp_mixer.Affine, **c)
    elif kind == 'convmixer':  # depthwise convolutions with padding='same'
        from timm.models import convmixer
        m = convmixer.ConvMixer(dim=16, depth=2, kernel_size=5, patch_size=4, **c)
    elif kind == 'tnt':  # pixel embedding through nn.Unfold (im2col), inner and outer transformers
        from timm.models import tnt
        m = tnt.TNT(img_size=32, patch_size=8, embed_dim=32, inner_dim=8, depth=2, num_heads_inner=2, num_heads_outer=2, **c)
    elif kind == 'volo':  # outlook attention: F.unfold and F.fold (col2im); class attention
        from timm.models import volo
        m = volo.VOLO(layers=(1, 1, 1, 1), img_size=32, patch_size=8, stem_hidden_dim=8, embed_dims=(16, 24, 24, 24), num_heads=(1, 2, 2, 2), **c)
    elif kind == 'coat':  # conv-attentional: factorised attention, convolutional position encodings, parallel blocks
        from timm.models import coat
        m = coat.CoaT(img_size=32, patch_size=4, embed_dims=(8, 8, 8, 8), serial_depths=(1, 1, 1, 1), parallel_depth=1, num_heads=2, crpe_window={3: 1, 5: 1}, **c)
    else:
        raise KeyError(kind)
    return m, 64 if kind == 'levit' else 32


TIMM_KINDS = ['resnet', 'efficientnet', 'mobilenetv3', 'convnext', 'regnet', 'vit', 'swin', 'levit', 'mixer', 'cait', 'edgenext', 'fastvit',
              'resmlp', 'convmixer', 'tnt', 'volo', 'coat']


def timm_model(kind, seed):
    """(eval-mode model, traced-at input, checked-at input)."""
    torch.manual_seed(seed)
    m, size = timm_arch(kind)
    m = ts1.randomize(m, seed)
    return m, randn(1, 3, size, size, seed=seed + 1), randn(1, 3, size, size, seed=seed + 2)


def timm_models():
    for i, kind in enumerate(TIMM_KINDS):
        seed = 200 + 10 * i
        yield f'timm_{kind}_script', lambda kind=kind, seed=seed: (lambda m, a, b: (torch.jit.script(m), [(b,)], 'forward', False))(*timm_model(kind, seed))
        yield f'timm_{kind}_trace', lambda kind=kind, seed=seed: (lambda m, a, b: (torch.jit.trace(m, a, check_trace=False), [(b,)], 'forward', False))(*timm_model(kind, seed))


class FoldOps(nn.Module):
    """The ops the timm fixtures brought in, at settings those models do not use: F.unfold /
    F.fold (im2col / col2im) with padding, dilation and stride, batched and not; addcmul /
    addcdiv with a value; a conv with padding='same' and dilation (traced: _convolution_mode)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, (3, 2), padding='same', dilation=(1, 2))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> List[torch.Tensor]:
        cols = F.unfold(x, (2, 3), dilation=(2, 1), padding=(1, 0), stride=(1, 2))
        back = F.fold(cols, (5, 6), (2, 3), dilation=(2, 1), padding=(1, 0), stride=(1, 2))
        one = F.unfold(x[0], 2)
        return [cols, back, one, F.fold(one, (5, 6), 2), torch.addcmul(x, x, y, value=0.5), torch.addcdiv(y, x, y.abs() + 1.0, value=-2.0), self.conv(x)]


class UnionRefinement(nn.Module):
    """isinstance(x, list) / tuple on a Union: the serialized code names Python's classes
    (TorchScript has no `dict` there)."""

    def pick(self, v: Union[torch.Tensor, List[torch.Tensor], Tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        if isinstance(v, list):
            return torch.stack([t[:, 0] for t in v], 1)
        if isinstance(v, tuple):
            return v[0] - v[1]
        return v + 1.0

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        return [self.pick([x, x * 3.0]), self.pick((x, x * 0.5)), self.pick(x)]

class Layout(str, Enum):
    NCHW = 'NCHW'
    NHWC = 'NHWC'


class Level(Enum):
    LOW = 1
    HIGH = 2


class EnumAttrs(nn.Module):
    """Enum members as module attributes (pickled by value), compared with the code's members;
    strings from attributes and from enum values returned inside lists."""
    tags: List[str]
    fmt: Layout
    level: Level

    def __init__(self):
        super().__init__()
        self.fmt = Layout('NHWC')
        self.level = Level.HIGH
        self.tags = ['alpha', 'beta']
        self.name = 'enc'

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, List[str], List[str], Dict[str, str], int]:
        if self.fmt == Layout.NHWC:
            x = x.permute(0, 2, 3, 1)
        if self.level != Level.LOW:
            x = x * 2.0
        return x, [self.fmt.value, self.fmt.name, self.name] + self.tags, [t.upper() for t in self.tags], {self.name: self.fmt.value}, self.level.value

    @torch.jit.export
    def formats(self) -> List[Layout]:
        """Members of a str Enum are strs in Python: PyTorch returns these as 'NHWC', 'NCHW'."""
        return [self.fmt, Layout.NCHW]


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8), nn.Hardswish(), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.features(x), 1))


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 8, num_layers=2, batch_first=True)
        self.gru = nn.GRU(8, 5, batch_first=True, bidirectional=True)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        y, _ = self.lstm(x)
        z, h = self.gru(y)
        return z, h


class ProjectedLstm(nn.Module):
    """nn.LSTM with proj_size (h is projected to 3 features), two layers, both directions; and a
    one-directional one started from given states."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 8, num_layers=2, proj_size=3, batch_first=True, bidirectional=True)
        self.uni = nn.LSTM(6, 5, proj_size=2)

    def forward(self, x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        y, (h, c) = self.lstm(x)
        z, (h1, c1) = self.uni(x.transpose(0, 1), (h0, c0))
        return y, h, c, z, h1 + c1.sum(-1, keepdim=True)


class PackedRecurrent(nn.Module):
    """pack_padded_sequence -> LSTM / GRU -> pad_packed_sequence: sequences of different lengths
    in one batch (aten::lstm.data / aten::gru.data on the packed data and batch sizes)."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 5, num_layers=2, bidirectional=True)
        self.gru = nn.GRU(10, 3, batch_first=True)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
        y, (h, c) = self.lstm(packed)
        padded, out_lengths = nn.utils.rnn.pad_packed_sequence(y, batch_first=True)
        z, g = self.gru(nn.utils.rnn.pack_padded_sequence(padded, out_lengths, batch_first=True, enforce_sorted=False))
        zp, _ = nn.utils.rnn.pad_packed_sequence(z, batch_first=True, total_length=6)
        return padded, h, c, zp, g


def transformer_encoder(batch_first: bool, norm_first: bool = False):
    """nn.TransformerEncoder as users build it: in eval under 2.x its layers call
    scaled_dot_product_attention (through F.multi_head_attention_forward) and, scripted, the
    fast-path checks call aten::any(bool[]) on a list of bools."""
    layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    return nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)


def full_transformer():
    """nn.Transformer (encoder and decoder; the decoder's cross-attention takes MultiheadAttention's
    separate-projection path), tiny: d_model 8, one layer each."""
    return nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True)


class EncoderWithMasks(nn.Module):
    """nn.TransformerEncoder called with a causal bool mask and a key padding mask."""

    def __init__(self):
        super().__init__()
        self.enc = transformer_encoder(True)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        n = x.size(1)
        mask = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
        return self.enc(x, mask=mask, src_key_padding_mask=pad)


def models():
    t = randn(3, 4, 5, seed=21)
    x6 = randn(2, 5, 6, seed=22)
    img = randn(1, 2, 3, 4, seed=10), randn(2, 3, 5, seed=11), randn(1, 1, 2, 3, 2, seed=12)
    yield 'param_containers_script', lambda: (torch.jit.script(ParamContainers()), [(randn(2, 4, seed=23),)])
    yield 'param_containers_trace', lambda: (torch.jit.trace(ParamContainers(), randn(2, 4, seed=23)), [(randn(2, 4, seed=24),)])
    yield 'module_containers_script', lambda: (torch.jit.script(seeded(ModuleContainers, 25)), [(x6,)])
    yield 'module_containers_trace', lambda: (torch.jit.trace(seeded(ModuleContainers, 25), x6, strict=False), [(x6,)])
    yield 'namedtuple_dict_script', lambda: (torch.jit.script(NamedTupleAndDict()), [(randn(3, 2, seed=26),)])
    yield 'interpolate_script', lambda: (torch.jit.script(ts1.Interpolate()), [img])
    yield 'interpolate_trace', lambda: (torch.jit.trace(ts1.Interpolate(), img), [img])
    yield 'norms_script', lambda: (torch.jit.script(Norms2()), [(t,)])
    yield 'norms_trace', lambda: (torch.jit.trace(Norms2(), t), [(t,)])
    yield 'tiny_encoder_script', lambda: (torch.jit.script(seeded(TinyEncoder, 27)), [(randn(2, 4, 16, seed=28),)])
    yield 'tiny_encoder_trace', lambda: (torch.jit.trace(seeded(TinyEncoder, 27), randn(2, 4, 16, seed=28)), [(randn(2, 4, 16, seed=29),)])
    yield 'enum_attrs_script', lambda: (torch.jit.script(EnumAttrs()), [(randn(1, 2, 3, 2, seed=32),)])
    yield 'enum_formats_script', lambda: (torch.jit.script(EnumAttrs()), [()], 'formats')
    yield 'small_cnn_script', lambda: (torch.jit.script(ts1.randomize(seeded(SmallCnn, 33), 33)), [(randn(1, 3, 8, 8, seed=34),)])
    yield 'small_cnn_trace', lambda: (torch.jit.trace(ts1.randomize(seeded(SmallCnn, 33), 33), randn(1, 3, 8, 8, seed=34)), [(randn(1, 3, 8, 8, seed=35),)])
    yield 'recurrent_script', lambda: (torch.jit.script(seeded(Recurrent, 36)), [(randn(2, 3, 6, seed=37),)])
    yield 'recurrent_trace', lambda: (torch.jit.trace(seeded(Recurrent, 36), randn(2, 3, 6, seed=37)), [(randn(2, 3, 6, seed=38),)])
    lx, lh, lc = randn(2, 4, 6, seed=65), randn(1, 2, 2, seed=66), randn(1, 2, 5, seed=67)
    yield 'lstm_proj_script', lambda: (torch.jit.script(seeded(ProjectedLstm, 68)), [(lx, lh, lc)])
    yield 'lstm_proj_trace', lambda: (torch.jit.trace(seeded(ProjectedLstm, 68), (lx, lh, lc)), [(randn(2, 4, 6, seed=69), lh, lc)])
    px, plen = randn(6, 3, 4, seed=70), torch.tensor([4, 6, 2])
    yield 'packed_recurrent_script', lambda: (torch.jit.script(seeded(PackedRecurrent, 71)), [(px, plen), (randn(6, 3, 4, seed=72), torch.tensor([6, 1, 3]))])
    xb, xs = randn(2, 5, 16, seed=40), randn(5, 2, 16, seed=41)
    pad = torch.tensor([[False, False, False, True, True], [False] * 5])
    yield 'transformer_encoder_bf_script', lambda: (torch.jit.script(seeded(lambda: transformer_encoder(True), 42)), [(xb,)])
    yield 'transformer_encoder_bf_trace', lambda: (torch.jit.trace(seeded(lambda: transformer_encoder(True), 42), xb, check_trace=False), [(randn(2, 5, 16, seed=43),)])
    yield 'transformer_encoder_sf_script', lambda: (torch.jit.script(seeded(lambda: transformer_encoder(False, True), 44)), [(xs,)])
    yield 'transformer_encoder_sf_trace', lambda: (torch.jit.trace(seeded(lambda: transformer_encoder(False, True), 44), xs, check_trace=False), [(randn(5, 2, 16, seed=45),)])
    src, tgt = randn(2, 5, 8, seed=47), randn(2, 3, 8, seed=48)
    yield 'transformer_full_script', lambda: (torch.jit.script(seeded(full_transformer, 49)), [(src, tgt)])
    yield 'transformer_full_trace', lambda: (torch.jit.trace(seeded(full_transformer, 49), (src, tgt), check_trace=False), [(randn(2, 5, 8, seed=50), randn(2, 3, 8, seed=51))])
    yield 'transformer_encoder_masks_script', lambda: (torch.jit.script(seeded(EncoderWithMasks, 46)), [(xb, pad)])
    fx, fy = randn(2, 2, 5, 6, seed=60), randn(2, 2, 5, 6, seed=61)
    yield 'fold_ops_script', lambda: (torch.jit.script(seeded(FoldOps, 62)), [(fx, fy)])
    yield 'fold_ops_trace', lambda: (torch.jit.trace(seeded(FoldOps, 62), (fx, fy)), [(randn(2, 2, 5, 6, seed=63), fy)])
    yield 'union_refinement_script', lambda: (torch.jit.script(UnionRefinement()), [(randn(2, 3, seed=64),)])
    yield 'vit_tiny_script', lambda: (torch.jit.script(seeded(vit_tiny, 30)), [(randn(1, 3, 32, 32, seed=31),)])
    yield from hf_models()
    yield from timm_models()


def import_transformers():
    """transformers (optional: skipped without it), importable beside a torchvision that does not
    match torch (see import_timm)."""
    import_timm()
    import warnings
    warnings.filterwarnings('ignore')
    import transformers
    transformers.logging.set_verbosity_error()
    return transformers


HF_SIZES = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)


def hf_model(kind):
    """A transformers model from a tiny config (hidden 32, 2 layers, vocab 100), random init, no
    downloads. Caches off and tuples out, so torch.jit.trace sees tensors only."""
    T = import_transformers()
    tok = dict(vocab_size=100, pad_token_id=0, bos_token_id=1, eos_token_id=2, use_cache=False)
    if kind == 'bert':
        m = T.BertModel(T.BertConfig(max_position_embeddings=32, **HF_SIZES, **tok))
    elif kind == 'distilbert':
        m = T.DistilBertModel(T.DistilBertConfig(max_position_embeddings=32, dim=32, n_layers=2, n_heads=2, hidden_dim=64, **tok))
    elif kind == 'gpt2':
        m = T.GPT2Model(T.GPT2Config(n_positions=32, n_embd=32, n_layer=2, n_head=2, **tok))
    elif kind == 'llama':
        m = T.LlamaModel(T.LlamaConfig(max_position_embeddings=32, num_key_value_heads=1, **HF_SIZES, **tok))
    elif kind == 't5':
        m = T.T5Model(T.T5Config(d_model=32, d_kv=16, d_ff=64, num_layers=2, num_heads=2, decoder_start_token_id=0, **tok))
    elif kind == 'vit':
        m = T.ViTModel(T.ViTConfig(image_size=16, patch_size=8, num_channels=3, **HF_SIZES))
    elif kind == 'whisper':
        m = T.WhisperModel(T.WhisperConfig(d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2, decoder_attention_heads=2,
                                           encoder_ffn_dim=64, decoder_ffn_dim=64, num_mel_bins=8, max_source_positions=8, max_target_positions=16,
                                           decoder_start_token_id=1, **tok))
    m.config.return_dict = kind == 'whisper'  # see TupleOut
    return m.eval()


class TupleOut(nn.Module):
    """Whisper's model reads its encoder's output as a ModelOutput even with return_dict=False:
    trace it returning dicts and hand the tracer a tuple."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_features: torch.Tensor, decoder_input_ids: torch.Tensor):
        out = self.m(input_features=input_features, decoder_input_ids=decoder_input_ids)
        return out.last_hidden_state, out.encoder_last_hidden_state


def hf_trace(kind, seed):
    """(traced module, cases): traced at one input, checked at another of the same shapes."""
    torch.manual_seed(seed)
    m = hf_model(kind)
    g = torch.Generator().manual_seed(seed + 1)
    ids = lambda: torch.randint(3, 100, (2, 8), generator=g)
    pad = torch.ones(2, 8, dtype=torch.long)
    pad[1, 5:] = 0
    if kind == 'vit':
        args = [(randn(2, 3, 16, 16, seed=seed + 2),), (randn(2, 3, 16, 16, seed=seed + 3),)]
        return torch.jit.trace(m, args[0]), args[1:]
    if kind == 'whisper':
        args = [(randn(2, 8, 16, seed=seed + 2), ids()[:, :5]), (randn(2, 8, 16, seed=seed + 3), ids()[:, :5])]
        return torch.jit.trace(TupleOut(m).eval(), args[0], strict=False), args[1:]
    if kind == 't5':
        names = ['input_ids', 'attention_mask', 'decoder_input_ids']
        args = [(ids(), pad, ids()[:, :5]), (ids(), pad, ids()[:, :5])]
    else:
        names = ['input_ids', 'attention_mask']
        args = [(ids(), pad), (ids(), pad)]
    return torch.jit.trace(m, example_kwarg_inputs=dict(zip(names, args[0])), strict=False), args[1:]


def hf_models():
    for i, kind in enumerate(['bert', 'distilbert', 'gpt2', 'llama', 't5', 'vit', 'whisper']):
        yield f'hf_{kind}_trace', lambda kind=kind, i=i: hf_trace(kind, 50 + 10 * i)


def seeded(make, seed):
    torch.manual_seed(seed)
    m = make()
    return m.eval()


def main():
    pattern = re.compile(sys.argv[1] if len(sys.argv) > 1 else '.')
    for name, make in models():
        if not pattern.search(name):
            continue
        try:
            module, cases, *method = make()
        except ImportError as e:
            print('SKIPPED', name, e)
            continue
        except Exception as e:  # report and go on: one archive per module
            print("FAILED", name, repr(e)[:800])
            continue
        save(name, module, cases, *method)


if __name__ == '__main__':
    main()
