#!/usr/bin/python3
"""Generates tessera's spec models and fixtures with Debian's PyTorch 1.13 (run with /usr/bin/python3).

digits/: a small CNN trained on sklearn's bundled handwritten digits (8x8), exported to
ONNX (opsets 13 and 17), TorchScript (script and trace) and a torch.save state dict, plus the
held-back test digits and PyTorch's own outputs for them, as .npy files.
Deterministic: fixed seeds, single thread.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits

torch.manual_seed(0)
torch.set_num_threads(1)
np.random.seed(0)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'digits')
os.makedirs(OUT, exist_ok=True)


class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = self.drop(F.relu(self.fc1(x)))
        return self.fc2(x)


def main():
    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[:, None, :, :]
    y = digits.target.astype(np.int64)
    perm = np.random.permutation(len(x))
    n_test = 360
    test_idx, train_idx = perm[:n_test], perm[n_test:]
    xtr, ytr = torch.from_numpy(x[train_idx]), torch.from_numpy(y[train_idx])
    xte, yte = torch.from_numpy(x[test_idx]), torch.from_numpy(y[test_idx])

    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for epoch in range(30):
        model.train()
        order = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 64):
            b = order[i:i + 64]
            opt.zero_grad()
            loss = F.cross_entropy(model(xtr[b]), ytr[b])
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        logits = model(xte)
    acc = float((logits.argmax(1) == yte).float().mean())
    print(f'held-back accuracy: {acc:.4f} on {n_test} digits')
    if acc < 0.95:
        sys.exit('accuracy below 95%')

    np.save(os.path.join(OUT, 'test_images.npy'), xte.numpy())
    np.save(os.path.join(OUT, 'test_labels.npy'), yte.numpy())
    np.save(os.path.join(OUT, 'test_logits.npy'), logits.numpy())

    example = xte[:1]
    for opset in (13, 17):
        torch.onnx.export(model, example, os.path.join(OUT, f'digits_cnn_opset{opset}.onnx'),
                          input_names=['image'], output_names=['logits'], opset_version=opset,
                          dynamic_axes={'image': {0: 'batch'}, 'logits': {0: 'batch'}})
    torch.jit.script(model).save(os.path.join(OUT, 'digits_cnn_script.pt'))
    torch.jit.trace(model, example).save(os.path.join(OUT, 'digits_cnn_trace.pt'))
    torch.save(model.state_dict(), os.path.join(OUT, 'digits_cnn_state_dict.pt'))
    with open(os.path.join(OUT, 'info.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'held_back': n_test, 'pytorch_accuracy': acc,
                   'input': 'image float32 [batch, 1, 8, 8], pixel/16', 'output': 'logits float32 [batch, 10]'},
                  f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
    # The pickle-loader fixtures (issue 3): state dicts, a checkpoint, every dtype, views,
    # legacy format, protocols, numpy arrays; each with its expected values.
    import runpy
    here = os.path.dirname(os.path.abspath(__file__))
    runpy.run_path(os.path.join(here, 'pickle_fixtures.py'), run_name='__main__')
    # ONNX exports of torchvision CNNs, a GPT-style decoder and an LSTM (issue 5); files over
    # ~5 MB land in onnx/large/, which is git-ignored and regenerated here.
    runpy.run_path(os.path.join(here, 'onnx_models.py'), run_name='__main__')
    # TorchScript archives (issue 4): feature modules and models, scripted and traced; torchvision
    # archives go to torchscript/large/ (git-ignored). Then the aten op cases and traced graphs,
    # the scikit-learn references for ai.onnx.ml, and the image-decoder fixtures (needs PIL).
    sys.path.insert(0, here)  # aten_graphs.py imports aten_gpt.py
    for script in ('torchscript_models.py', 'aten_scripted.py', 'aten_cases.py', 'aten_graphs.py', 'sklearn_models.py',
                   'image_fixtures.py'):
        sys.argv = [script]
        runpy.run_path(os.path.join(here, script), run_name='__main__')
