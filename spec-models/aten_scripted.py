#!/usr/bin/python3
"""A scripted module calling the aten linalg / norm / tail ops as model code writes them
(torch.linalg.*, torch.norm, torch.einsum, ...), saved with torchscript_models.py's manifest
format as spec-models/torchscript/feature_linalg.{pt,json} (run by test/torchscript/features.test.ts).
Run: /usr/bin/python3 spec-models/aten_scripted.py

With --torch2, under torch 2.x (/work/venv-torch2/bin/python), it writes feature_sdpa instead: a
torch 2.x archive calling F.scaled_dot_product_attention (causal, bool and float masks, scale).
"""
import os
import sys
from typing import Optional, Tuple

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchscript_models import randn, save  # noqa: E402

T = torch.Tensor


class Linalg(torch.nn.Module):
    def forward(self, a: T, b: T) -> Tuple[T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T]:
        sym = a + a.t()
        return (torch.linalg.det(a), torch.linalg.inv(a), torch.linalg.solve(a, b), torch.linalg.norm(a),
                torch.linalg.vector_norm(b, 1.0), torch.linalg.matrix_norm(a, 'nuc'), torch.norm(a, 2, [1]),
                torch.linalg.svdvals(a), torch.linalg.eigvalsh(sym), torch.linalg.qr(a)[1].abs(), torch.diagonal(a, 1),
                torch.eye(3, dtype=torch.float64), torch.einsum('ij,jk->ik', a, b), torch.tile(b, [2]), a.ravel(),
                torch.cross(a, a.flip(0), dim=0), b.scatter_reduce(0, torch.tensor([[0, 0], [2, 2]]), b[:2], 'amax', include_self=False))


class Sdpa(torch.nn.Module):
    def forward(self, q: T, k: T, v: T, mask: Optional[T]) -> Tuple[T, T]:
        causal = mask is None
        a = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
        b = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal, scale=0.5)
        return a, b


def main_torch2():
    q, k, v = randn(2, 2, 4, 8, seed=1), randn(2, 2, 4, 8, seed=2), randn(2, 2, 4, 8, seed=3)
    keep = randn(4, 4, seed=4) > -0.5
    keep[:, 0] = True
    save('feature_sdpa', torch.jit.script(Sdpa()), [(q, k, v, None), (q, k, v, keep), (q, k, v, randn(2, 1, 4, 4, seed=5))])


def main():
    a = randn(3, 3, seed=1) + 3 * torch.eye(3)
    b = randn(3, 2, seed=2)
    save('feature_linalg', torch.jit.script(Linalg()), [(a, b), (a.double(), b.double())])


if __name__ == '__main__':
    main_torch2() if '--torch2' in sys.argv else main()
