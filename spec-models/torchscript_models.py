#!/usr/bin/python3
"""Generates tessera's TorchScript spec models with Debian's PyTorch 1.13 (run with /usr/bin/python3).

spec-models/torchscript/<name>.json describes one archive: the file (archives over ~2 MB go to
large/, which is git-ignored), the method, and cases of inputs with PyTorch's own outputs (or the
error text an input must raise). Values are JSON: {"int": "5"} (string: int64), {"float": 1.5},
{"bool": true}, {"str": "a"}, null, {"list": [...]}, {"tuple": [...], "names": [...]},
{"dict": [[k, v], ...]}, {"dtype": "float32"}, {"device": "cpu"}, and tensors
{"tensor": {"dtype", "shape", "data"}} inline or {"tensor": {"npy": "file.npy"}} when large.
Part 1: one small scripted module per TorchScript language feature. Part 2: torchvision models,
recurrent and transformer models, scripted and traced, random init under fixed seeds.
Usage: torchscript_models.py [features|models|all] [name-regex]
"""
import json
import math
from enum import Enum
import os
import re
import sys
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'torchscript')
LARGE = os.path.join(OUT, 'large')
os.makedirs(LARGE, exist_ok=True)
INLINE_MAX = 512

# ---------------------------------------------------------------- value encoding


def enc(v, name, counter):
    if v is None:
        return None
    if isinstance(v, bool):
        return {'bool': v}
    if isinstance(v, int):
        return {'int': str(v)}
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return {'float': str(v)}
        return {'float': v}
    if isinstance(v, str):
        return {'str': v}
    if isinstance(v, torch.dtype):
        return {'dtype': str(v).replace('torch.', '')}
    if isinstance(v, torch.device):
        return {'device': str(v)}
    if isinstance(v, torch.Tensor):
        t = v.detach().contiguous()
        dtype = str(t.dtype).replace('torch.', '')
        if t.numel() > INLINE_MAX:
            fname = f'{name}.{counter[0]}.npy'
            counter[0] += 1
            np.save(os.path.join(OUT, fname), t.numpy())
            return {'tensor': {'npy': fname}}
        data = t.flatten().tolist()
        if t.dtype == torch.bool:
            data = [bool(x) for x in data]
        elif t.dtype == torch.int64:
            data = [str(x) for x in data]
        elif t.dtype.is_floating_point:
            data = [x if math.isfinite(x) else str(x) for x in data]
        return {'tensor': {'dtype': dtype, 'shape': list(t.shape), 'data': data}}
    if isinstance(v, tuple):
        r = {'tuple': [enc(x, name, counter) for x in v]}
        if hasattr(v, '_fields'):
            r['names'] = list(v._fields)
        return r
    if isinstance(v, list):
        return {'list': [enc(x, name, counter) for x in v]}
    if isinstance(v, dict):
        return {'dict': [[enc(k, name, counter), enc(x, name, counter)] for k, x in v.items()]}
    raise TypeError(f'cannot encode {type(v)}')


def save(name, module, cases, method='forward', input_names=None):
    """Saves the archive and runs PyTorch on each case to record the expected outputs."""
    path = os.path.join(OUT, name + '.pt')
    torch.jit.save(module, path)
    rel = name + '.pt'
    if os.path.getsize(path) > 2_000_000:
        os.replace(path, os.path.join(LARGE, name + '.pt'))
        rel = 'large/' + name + '.pt'
    loaded = torch.jit.load(os.path.join(OUT, rel))
    counter = [0]
    out_cases = []
    for args in cases:
        case = {'inputs': [enc(a, name, counter) for a in args]}
        try:
            with torch.no_grad():
                res = getattr(loaded, method)(*args)
            case['output'] = enc(res, name, counter)
        except torch.jit.Error as e:
            msg = str(e).strip().splitlines()[-1]
            case['raises'] = msg
        out_cases.append(case)
    manifest = {'file': rel, 'method': method, 'cases': out_cases}
    if input_names:
        manifest['inputNames'] = input_names
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    print('wrote', rel, f'({os.path.getsize(os.path.join(OUT, rel))} bytes)')


def seeded(seed):
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))

# ---------------------------------------------------------------- part 1: language features


class ArithInt(nn.Module):
    def forward(self, a: int, b: int) -> Tuple[int, int, float, int, int, float, bool, int]:
        return (a // b, a % b, a / b, a * b - a + 3, -a, a ** 2, a != b, abs(a) << 2 | 1)


class ArithFloat(nn.Module):
    def forward(self, a: float, b: int) -> Tuple[float, float, float, float, float, int, int, float]:
        return (a // b, a % b, a / b, a * b + 1, a ** 2.0, int(a), int(-a), float(b) + math.floor(a) + math.sqrt(abs(a)))


class Compare(nn.Module):
    def forward(self, a: int, b: int, c: int, x: Optional[int]) -> Tuple[bool, bool, bool, bool, bool, bool]:
        return (a < b < c, a <= b >= c, a == b or b != c, x is None, x is not None, not (a > c) and b in [1, 2, 3])


class IfElif(nn.Module):
    def forward(self, x: torch.Tensor, n: int) -> torch.Tensor:
        if n < 0:
            y = x * -1.0
        elif n == 0:
            y = x
        elif n < 10:
            y = x + n
        else:
            y = x * 2.0
        if bool(y.sum() > 0):
            y = y - 1.0
        return y


class ForRange(nn.Module):
    def forward(self, n: int) -> Tuple[int, int, int, List[int]]:
        s = 0
        for i in range(n):
            s += i
        t = 0
        for i in range(2, n, 3):
            t += i * i
        u = 0
        for i in range(n, -n, -2):
            u = u * 3 + i
        return s, t, u, [i for i in range(-3, n)]


class ForContainers(nn.Module):
    def forward(self, xs: List[int], t: Tuple[int, float, str]) -> Tuple[int, float, str, List[str]]:
        s = 0
        for x in xs:
            s += x
        f = 0.0
        acc = ''
        parts: List[str] = []
        for item in t:
            parts.append(str(item))
        for c in 'abc':
            acc += c
        f = t[1] * 2
        return s, f, acc + t[2], parts


class ForDict(nn.Module):
    def forward(self, d: Dict[str, int]) -> Tuple[int, List[str], List[int], Dict[str, int]]:
        s = 0
        for k, v in d.items():
            s += v * len(k)
        keys = [k for k in d.keys()]
        vals = list(d.values())
        out = {k + '!': v + 1 for k, v in d.items()}
        for k in d:
            s += 1
        return s, keys, vals, out


class ZipEnumerate(nn.Module):
    def forward(self, a: List[int], b: List[float]) -> Tuple[float, List[int], List[Tuple[int, float]]]:
        s = 0.0
        for x, y in zip(a, b):
            s += x * y
        idx: List[int] = []
        for i, x in enumerate(a):
            idx.append(i * x)
        for i, x in enumerate(b, 10):
            s += i
        return s, idx, list(zip(a, b))


class WhileBreak(nn.Module):
    def forward(self, n: int) -> Tuple[int, int]:
        i = 0
        s = 0
        while i < n:
            i += 1
            if i % 3 == 0:
                continue
            if i > 20:
                break
            s += i
        j = 0
        for k in range(100):
            if k * k > n:
                break
            j = k
        return s, j


class AssertRaise(nn.Module):
    def forward(self, x: torch.Tensor, n: int) -> torch.Tensor:
        assert n >= 0, 'n must be non-negative'
        if n > 100:
            raise ValueError(f'n too large: {n}')
        return x * n


class Unpack(nn.Module):
    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, int, int, float]:
        a, b = x.shape[0], x.shape[1]
        (c, d), e = (1, 2.5), x
        a += 3
        b *= 2
        b -= 1
        d /= 2
        e += 1.0
        e *= 2.0
        n, m = x.size()
        return e, a * b + n, c + m, d


class ListOps(nn.Module):
    def forward(self, xs: List[int]) -> Tuple[List[int], int, int, List[int], List[int], bool, int]:
        ys = list(xs)
        ys.append(7)
        ys.extend([8, 9])
        ys.insert(1, -1)
        last = ys.pop()
        ys[0] = 100
        ys2 = ys[1:-1] + ys[::2] + ys[::-1][:2]
        ys2.remove(7)
        ys2.sort()
        return ys, last, ys[-2], ys2, [y * y for y in xs], 8 in ys, ys.index(8) + xs.count(2) + len(ys2)


class DictOps(nn.Module):
    def forward(self, n: int) -> Tuple[Dict[str, int], List[str], int, int, bool, Dict[int, float]]:
        d: Dict[str, int] = {'a': 1, 'b': n}
        d['c'] = n * 2
        d['a'] += 10
        got = d.get('z', -1)
        popped = d.pop('b')
        e = {i: float(i) / 2 for i in range(3)}
        e[7] = 1.5
        return d, list(d.keys()), got, popped, 'c' in d, e


class StrOps(nn.Module):
    def forward(self, s: str, n: int) -> Tuple[bool, int, str, str, List[str], str, str, int, bool]:
        a = s.startswith('ab')
        b = s.find('c')
        c = 'x={} y={}'.format(n, s)
        d = f'{s}-{n}-{n * 2}'
        e = s.split(',')
        f = '+'.join(e)
        g = s.upper() + s.lower() + s.strip() + s.replace('a', 'A') + s[1:3] + str(n) + str(1.5)
        return a, b, c, d, e, f, g, len(s), s.endswith('z') or s == 'abc'


class OptionalRefine(nn.Module):
    def forward(self, x: torch.Tensor, bias: Optional[torch.Tensor], scale: Optional[float]) -> torch.Tensor:
        if bias is not None:
            x = x + bias
        if scale is None:
            s = 1.0
        else:
            s = scale
        return x * s


class Pair(NamedTuple):
    total: torch.Tensor
    count: int


class NamedTupleOut(nn.Module):
    def forward(self, x: torch.Tensor) -> Pair:
        p = Pair(x.sum(), x.numel())
        q = Pair(p.total * 2, p[1] + 1)
        return q


class Overloads(nn.Module):
    @torch.jit._overload_method  # noqa: F811
    def twice(self, x: int) -> int:
        pass

    @torch.jit._overload_method  # noqa: F811
    def twice(self, x: float) -> float:
        pass

    def twice(self, x):  # noqa: F811
        return x * 2

    def forward(self, a: int, b: float) -> Tuple[int, float]:
        return self.twice(a), self.twice(b)


@torch.jit.interface
class ScaleInterface(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pass


class ScaleBy2(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2.0


class AddOne(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 1.0


class InterfaceModule(nn.Module):
    impl: ScaleInterface

    def __init__(self):
        super().__init__()
        self.impl = ScaleBy2()
        self.other = AddOne()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.other(self.impl.forward(x))


def helper_fn(x: torch.Tensor, k: int = 2, shift: float = 0.5) -> torch.Tensor:
    return x * k + shift


def helper_outer(x: torch.Tensor) -> torch.Tensor:
    return helper_fn(x, shift=1.5) + helper_fn(x, 3)


class FreeFunctions(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return helper_outer(x) + helper_fn(x, k=4)


class Submodules(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        self.seq = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        self.heads = nn.ModuleDict({'a': nn.Linear(2, 1), 'b': nn.Linear(2, 2)})

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        for i, layer in enumerate(self.layers):
            x = layer(x) + i
        y = self.seq(x)
        out: Dict[str, torch.Tensor] = {}
        for name, head in self.heads.items():
            out[name] = head(y)
        return out


class FinalConsts(nn.Module):
    scale: torch.jit.Final[float]
    n: torch.jit.Final[int]
    tag: torch.jit.Final[str]

    def __init__(self):
        super().__init__()
        self.scale = 1.5
        self.n = 3
        self.tag = 'hi'
        self.offsets: List[int] = [1, 2, 3]
        self.register_buffer('buf', torch.arange(4, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, str, int]:
        return x * self.scale + self.buf, self.tag + self.tag, self.n + sum(self.offsets)


class CondExpr(nn.Module):
    def forward(self, x: torch.Tensor, n: int) -> Tuple[torch.Tensor, int, str]:
        y = x * 2.0 if n > 0 else x - 1.0
        k = n if n % 2 == 0 else -n
        return y, k, 'even' if k % 2 == 0 else 'odd'


class IsInstance(nn.Module):
    def forward(self, x: Any, y: Optional[torch.Tensor]) -> Tuple[int, torch.Tensor]:
        r = 0
        if isinstance(x, int):
            r = x + 1
        elif isinstance(x, str):
            r = len(x)
        elif isinstance(x, List[int]):
            r = sum(x)
        if isinstance(y, torch.Tensor):
            t = y
        else:
            t = torch.zeros(1)
        return r, t


class Uninit(nn.Module):
    def forward(self, xs: List[int], target: int) -> int:
        for i, x in enumerate(xs):
            if x == target:
                return i
        if target < 0:
            raise RuntimeError('negative target')
        return -1


class DeviceDtype(nn.Module):
    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, bool, bool, torch.dtype, int]:
        y = x.to(torch.float64)
        z = y.to(x.dtype)
        same = x.dtype == torch.float32
        cpu = x.device == torch.device('cpu')
        n = torch.zeros(2, dtype=torch.int64).dtype == torch.int64
        return z + y.to(torch.float32), same and cpu, n, y.dtype, x.dim()


@torch.jit.script
class Counter(object):
    def __init__(self, start: int):
        self.value = start
        self.history: List[int] = []

    def add(self, k: int) -> int:
        self.history.append(k)
        self.value += k
        return self.value


class UserClass(nn.Module):
    def forward(self, n: int) -> Tuple[int, List[int]]:
        c = Counter(n)
        for i in range(3):
            c.add(i)
        return c.value, c.history


class Training(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return x * 2.0
        return x * 3.0


class GradMode(nn.Module):
    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, bool]:
        g = torch.is_grad_enabled()
        if g:
            return x, g
        return x + 1.0, g


class TensorLists(nn.Module):
    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, List[torch.Tensor], int]:
        parts = [x, x * 2.0]
        parts.append(x + 1.0)
        a = torch.cat(parts, 0)
        b = torch.stack(parts, 1)
        c = torch.chunk(a, 3, 0)
        return a, b, c, len(c)


class ShortCircuit(nn.Module):
    def forward(self, xs: List[int], i: int) -> Tuple[bool, bool, bool]:
        a = i < len(xs) and xs[i] > 0
        b = i >= len(xs) or xs[i] < 0
        c = not a
        return a, b, c


class KwargsDefaults(nn.Module):
    def scale(self, x: torch.Tensor, factor: float = 2.0, add: Optional[torch.Tensor] = None) -> torch.Tensor:
        y = x * factor
        if add is not None:
            y = y + add
        return y

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale(x) + self.scale(x, add=x) + self.scale(factor=0.5, x=x) + torch.sum(x, dim=0, keepdim=True)


class ScalarBuiltins(nn.Module):
    def forward(self, a: float, b: int) -> Tuple[int, float, int, int, float, int, float, bool, int]:
        return (max(b, 3), min(a, 0.5), math.floor(a) + math.ceil(a), round(a) if False else int(round(a)),
                math.exp(a) + math.log(abs(a) + 1.0), divmod(b, 3)[0], float(b) ** 0.5, math.isnan(a), b // -2 + (-b) % 5)


class TensorIndexing(nn.Module):
    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, float, int]:
        a = x[0]
        b = x[:, 1:3]
        c = x[::2, -1]
        d = x[1, :]
        return a, b, c, d, float(x[0, 0]), int(x.size(0))


class RaiseInFunction(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2:
            raise ValueError(f'expected 2D input (got {x.dim()}D input)')
        return x.t()


class Scoping(nn.Module):
    def forward(self, n: int) -> Tuple[int, int]:
        total = 0
        last = -1
        for i in range(n):
            t = i * 2
            if t > 4:
                last = t
            total = total + t
        x = 5
        if n > 2:
            x = x + 1
        else:
            x = x - 1
        return total + x, last


class Color(Enum):
    RED = 1
    GREEN = 2


class WithEnum(nn.Module):
    def forward(self, x: torch.Tensor, n: int) -> Tuple[torch.Tensor, int, str]:
        with torch.no_grad():
            y = x * 2.0
        c = Color.RED if n > 0 else Color.GREEN
        if c == Color.RED:
            y = y + 1.0
        return y, c.value, c.name


class SetState(nn.Module):
    def __init__(self):
        super().__init__()
        self.k = 3
        self.w = torch.arange(4, dtype=torch.float32)

    @torch.jit.export
    def __getstate__(self) -> Tuple[int, torch.Tensor, bool]:
        return (self.k, self.w, self.training)

    @torch.jit.export
    def __setstate__(self, state: Tuple[int, torch.Tensor, bool]) -> None:
        self.k = state[0] * 2
        self.w = state[1] + 1.0
        self.training = state[2]

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, int]:
        return x * self.k + self.w, self.k


class Interpolate(nn.Module):
    """F.interpolate in every mode tessera implements. The scripted interpolate() carries every
    mode's branch, antialiased ones included: the archive must load although tessera lacks those."""

    def forward(self, x: torch.Tensor, x1: torch.Tensor, x3: torch.Tensor) -> List[torch.Tensor]:
        out = [
            F.interpolate(x, scale_factor=2.0, mode='nearest'),
            F.interpolate(x, size=(7, 5), mode='nearest'),
            F.interpolate(x, scale_factor=1.5, mode='nearest-exact'),
            F.interpolate(x, size=(5, 9), mode='nearest-exact'),
        ]
        for mode in ['bilinear', 'bicubic']:
            for ac in [False, True]:
                out.append(F.interpolate(x, scale_factor=2.0, mode=mode, align_corners=ac))
                out.append(F.interpolate(x, size=(5, 9), mode=mode, align_corners=ac))
        for ac in [False, True]:
            out.append(F.interpolate(x1, scale_factor=2.5, mode='linear', align_corners=ac))
            out.append(F.interpolate(x1, size=4, mode='linear', align_corners=ac))
            out.append(F.interpolate(x3, scale_factor=2.0, mode='trilinear', align_corners=ac))
            out.append(F.interpolate(x3, size=(3, 5, 4), mode='trilinear', align_corners=ac))
        out.append(F.interpolate(x1, scale_factor=3.0, mode='nearest'))
        out.append(F.interpolate(x3, size=(4, 4, 6), mode='nearest'))
        return out


class Norms(nn.Module):
    """torch.norm: the scripted function also names nuclear_norm in branches these calls never take."""

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        return torch.norm(x, dim=1), torch.norm(x), torch.norm(x, dim=1, keepdim=True), torch.norm(x, dim=[0, 2])


class ReachesMissing(nn.Module):
    """Mode 1 reaches an operator tessera lacks (antialiased bilinear): it must fail there, not at load."""

    def forward(self, x: torch.Tensor, mode: int) -> torch.Tensor:
        if mode == 1:
            return F.interpolate(x, scale_factor=2.0, mode='bilinear', antialias=True)
        return F.interpolate(x, scale_factor=2.0, mode='bilinear')


def feature_models():
    t = randn(3, 4, seed=1)
    training = Training()
    training.train()
    yield 'arith_int', lambda: (torch.jit.script(ArithInt()), [(7, 2), (-7, 2), (7, -2), (-7, -3), (0, 5), (6, 3)])
    yield 'arith_float', lambda: (torch.jit.script(ArithFloat()), [(7.5, 2), (-7.5, 2), (7.25, -2), (-0.5, 3), (2.0, 1)])
    yield 'compare', lambda: (torch.jit.script(Compare()), [(1, 2, 3, None), (3, 2, 1, 4), (2, 2, 2, None), (1, 5, 0, 0)])
    yield 'if_elif', lambda: (torch.jit.script(IfElif()), [(t, -1), (t, 0), (t, 5), (t, 30)])
    yield 'for_range', lambda: (torch.jit.script(ForRange()), [(0,), (5,), (10,)])
    yield 'for_containers', lambda: (torch.jit.script(ForContainers()), [([1, 2, 3], (4, 2.5, 'x')), ([], (0, -1.0, ''))])
    yield 'for_dict', lambda: (torch.jit.script(ForDict()), [({'a': 1, 'bb': 2, 'ccc': 3},), ({},)])
    yield 'zip_enumerate', lambda: (torch.jit.script(ZipEnumerate()), [([1, 2, 3], [0.5, 1.5]), ([], [])])
    yield 'while_break', lambda: (torch.jit.script(WhileBreak()), [(0,), (10,), (50,)])
    yield 'assert_raise', lambda: (torch.jit.script(AssertRaise()), [(t, 2), (t, -1), (t, 200)])
    yield 'unpack_augassign', lambda: (torch.jit.script(Unpack()), [(t,)])
    yield 'list_ops', lambda: (torch.jit.script(ListOps()), [([1, 2, 3],), ([5, 2, 0, 2],)])
    yield 'dict_ops', lambda: (torch.jit.script(DictOps()), [(3,), (-2,)])
    yield 'str_ops', lambda: (torch.jit.script(StrOps()), [('abc,de', 3), (' a,b,c ', -1), ('abc', 0)])
    yield 'optional', lambda: (torch.jit.script(OptionalRefine()), [(t, None, None), (t, randn(4, seed=2), 0.5)])
    yield 'namedtuple', lambda: (torch.jit.script(NamedTupleOut()), [(t,)])
    yield 'overloads', lambda: (torch.jit.script(Overloads()), [(3, 1.25)])
    yield 'interface', lambda: (torch.jit.script(InterfaceModule()), [(t,)])
    yield 'free_functions', lambda: (torch.jit.script(FreeFunctions()), [(t,)])
    yield 'submodules', lambda: (torch.jit.script(Submodules()), [(randn(2, 4, seed=3),)])
    yield 'final_consts', lambda: (torch.jit.script(FinalConsts()), [(randn(4, seed=4),)])
    yield 'cond_expr', lambda: (torch.jit.script(CondExpr()), [(t, 1), (t, -3), (t, 0)])
    yield 'isinstance', lambda: (torch.jit.script(IsInstance()), [(5, None), ('abcd', t), ([1, 2, 3], None)])
    yield 'uninitialized', lambda: (torch.jit.script(Uninit()), [([4, 5, 6], 5), ([1], 9), ([1], -1)])
    yield 'device_dtype', lambda: (torch.jit.script(DeviceDtype()), [(t,)])
    yield 'user_class', lambda: (torch.jit.script(UserClass()), [(10,)])
    yield 'training', lambda: (torch.jit.script(training), [(t,)])
    yield 'grad_mode', lambda: (torch.jit.script(GradMode()), [(t,)])
    yield 'tensor_lists', lambda: (torch.jit.script(TensorLists()), [(randn(2, 3, seed=5),)])
    yield 'short_circuit', lambda: (torch.jit.script(ShortCircuit()), [([1, -2], 0), ([1, -2], 1), ([1, -2], 5)])
    yield 'kwargs_defaults', lambda: (torch.jit.script(KwargsDefaults()), [(t,)])
    yield 'scalar_builtins', lambda: (torch.jit.script(ScalarBuiltins()), [(2.5, 7), (-1.5, -4), (0.0, 0)])
    yield 'tensor_indexing', lambda: (torch.jit.script(TensorIndexing()), [(randn(4, 5, seed=6),)])
    yield 'raise_message', lambda: (torch.jit.script(RaiseInFunction()), [(t,), (randn(2, 2, 2, seed=7),)])
    yield 'with_enum', lambda: (torch.jit.script(WithEnum()), [(randn(3, seed=9), 1), (randn(3, seed=9), -1)])
    yield 'setstate', lambda: (torch.jit.script(SetState().eval()), [(randn(4, seed=8),)])
    yield 'scoping', lambda: (torch.jit.script(Scoping()), [(0,), (5,)])
    yield 'interpolate', lambda: (torch.jit.script(Interpolate()), [(randn(1, 2, 3, 4, seed=10), randn(2, 3, 5, seed=11), randn(1, 1, 2, 3, 2, seed=12))])
    yield 'norm', lambda: (torch.jit.script(Norms()), [(randn(2, 3, 4, seed=13),)])


def lazy_models():
    """Archives whose code names operators tessera lacks (spec-models/torchscript/lazy_*)."""
    x = randn(1, 2, 3, 4, seed=14)
    yield 'reaches_missing', lambda: (torch.jit.script(ReachesMissing()), [(x, 0), (x, 1)])

# ---------------------------------------------------------------- part 2: models


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.2)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
                if m.weight is not None:
                    m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.2)
    return model.eval()


class Recurrent(nn.Module):
    """Wraps nn.LSTM / nn.GRU so that forward calls the overloaded forward__0 with hx=None."""

    def __init__(self, rnn: nn.Module):
        super().__init__()
        self.rnn = rnn

    def forward(self, x: torch.Tensor):
        return self.rnn(x)


class GPTBlock(nn.Module):
    def __init__(self, d: int, heads: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.ln2 = nn.LayerNorm(d)
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(approximate='tanh'), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        hd = d // self.heads
        q = q.view(b, t, self.heads, hd).transpose(1, 2)
        k = k.view(b, t, self.heads, hd).transpose(1, 2)
        v = v.view(b, t, self.heads, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
        mask = torch.tril(torch.ones(t, t, dtype=torch.bool))
        att = att.masked_fill(~mask, float('-inf'))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, d)
        x = x + self.proj(y)
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    def __init__(self, vocab: int = 50, d: int = 32, heads: int = 4, layers: int = 2, ctx: int = 16):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList([GPTBlock(d, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        t = tokens.size(1)
        pos = torch.arange(0, t, dtype=torch.long).unsqueeze(0)
        x = self.tok(tokens) + self.pos(pos)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


def model_list():
    import torchvision.models as tvm
    names = ['resnet18', 'mobilenet_v2', 'mobilenet_v3_small', 'squeezenet1_1', 'shufflenet_v2_x0_5',
             'efficientnet_b0', 'regnet_y_400mf', 'mnasnet0_5', 'googlenet', 'densenet121']
    for i, n in enumerate(names):
        def make(n=n, i=i):
            torch.manual_seed(100 + i)
            kw = {'aux_logits': False, 'init_weights': True} if n == 'googlenet' else {}
            return randomize(getattr(tvm, n)(weights=None, **kw), 200 + i), (randn(1, 3, 64, 64, seed=300 + i),)
        yield n, make

    def lstm():
        torch.manual_seed(1)
        return Recurrent(nn.LSTM(8, 16, num_layers=2, bidirectional=True, batch_first=True)).eval(), (randn(2, 5, 8, seed=11),)

    def gru():
        torch.manual_seed(2)
        return Recurrent(nn.GRU(8, 12, num_layers=2, batch_first=True)).eval(), (randn(2, 5, 8, seed=12),)

    def transformer():
        torch.manual_seed(3)
        layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, batch_first=True)
        return nn.TransformerEncoder(layer, num_layers=2).eval(), (randn(2, 6, 32, seed=13),)

    def gpt():
        torch.manual_seed(4)
        return TinyGPT().eval(), (torch.randint(0, 50, (1, 8), generator=torch.Generator().manual_seed(14)),)
    yield 'lstm', lstm
    yield 'gru', gru
    yield 'transformer_encoder', transformer
    yield 'gpt', gpt


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else 'all'
    pattern = re.compile(sys.argv[2] if len(sys.argv) > 2 else '.')
    if what in ('features', 'all'):
        for name, make in feature_models():
            if pattern.search(name):
                try:
                    module, cases = make()
                    save('feature_' + name, module, cases)
                except Exception as e:  # report and go on: one feature per module
                    print('FAILED', name, str(e)[:800])
        for name, make in lazy_models():
            if pattern.search(name):
                module, cases = make()
                save('lazy_' + name, module, cases)
    if what in ('models', 'all'):
        for name, make in model_list():
            if not pattern.search(name):
                continue
            model, inputs = make()
            with torch.no_grad():
                save(name + '_script', torch.jit.script(model), [inputs])
                save(name + '_trace', torch.jit.trace(model, inputs), [inputs])


if __name__ == '__main__':
    main()
