// Scripted and traced models (torchvision, LSTM, GRU, TransformerEncoder, a GPT-style decoder)
// from spec-models/torchscript_models.py, compared with PyTorch 1.13's outputs within 1e-4.
// Archives over ~2 MB live in spec-models/torchscript/large/ (git-ignored): regenerate them with
// `/usr/bin/python3 spec-models/torchscript_models.py models`; their tests skip when absent.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportAbsent } from '../helpers/absent-files.js';
import { loadTorchScript } from '../../src/runtime/torchscript/module.js';
import { loadManifests, mismatch } from './manifest.js';

const manifests = loadManifests((n) => !n.startsWith('feature_') && !n.startsWith('lazy_'));

describe('TorchScript models (outputs from PyTorch 1.13)', () => {
  it('covers every model in the issue, scripted and traced', () => {
    const names = manifests.map((m) => m.name);
    for (const base of ['resnet18', 'mobilenet_v2', 'mobilenet_v3_small', 'squeezenet1_1', 'shufflenet_v2_x0_5', 'efficientnet_b0',
      'regnet_y_400mf', 'mnasnet0_5', 'googlenet', 'densenet121', 'lstm', 'gru', 'transformer_encoder', 'gpt']) {
      expect(names).toContain(`${base}_script`);
      expect(names).toContain(`${base}_trace`);
    }
  });
  const command = '/usr/bin/python3 spec-models/torchscript_models.py models';
  reportAbsent('TorchScript models', manifests.filter((m) => !m.present).map((m) => m.file), command);
  for (const m of manifests) {
    const run = m.present ? it : it.skip;
    const label = m.present ? m.name : `${m.name} (SKIPPED: ${m.file} is absent; make it with \`${command}\`)`;
    run(label, () => {
      const mod = loadTorchScript(new Uint8Array(readFileSync(m.path)));
      for (const c of m.cases) {
        const got = mod.call(m.method, c.inputs);
        expect(mismatch(got, c.output!)).toBeUndefined();
      }
    }, 120_000);
  }
});
