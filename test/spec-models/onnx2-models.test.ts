// Models exported by the torch 2.x ONNX exporter (torch.onnx.export(..., dynamo=True), written by
// spec-models/onnx2_models.py under torch 2.13 with onnxscript) must reproduce PyTorch's own eager
// outputs within 1e-4 (absolute and relative): the tiny transformers models, shrunk timm architectures and some of
// spec-models/torch2_models.py's fixtures.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNpy } from '../../src/formats/npy/npy.js';
import { InferenceSession } from '../../src/api/session.js';
import type { Tensor } from '../../src/tensor.js';
import { compareTensors } from '../helpers/allclose.js';

interface ModelEntry {
  onnx: string;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../spec-models/onnx2');
const manifest = JSON.parse(readFileSync(join(dir, 'models.json'), 'utf8')) as Record<string, ModelEntry>;
const npy = (f: string): Tensor => parseNpy(new Uint8Array(readFileSync(join(dir, f))), f);

describe('spec-models/onnx2 (torch 2.13 dynamo exports)', () => {
  it('covers the transformers models and the torch2 fixtures the exporter takes', () => {
    expect(Object.keys(manifest)).toEqual(expect.arrayContaining([
      'hf_bert', 'hf_distilbert', 'hf_gpt2', 'hf_llama', 'hf_vit', 'hf_whisper',
      'transformer_encoder_bf', 'transformer_encoder_sf', 'tiny_encoder', 'small_cnn', 'recurrent', 'interpolate', 'norms',
      ...['resnet', 'efficientnet', 'mobilenetv3', 'convnext', 'regnet', 'vit', 'swin', 'levit', 'mixer', 'cait', 'edgenext', 'fastvit',
        'resmlp', 'convmixer', 'tnt', 'volo', 'coat'].map((k) => `timm_${k}`),
    ]));
  });
  for (const [name, entry] of Object.entries(manifest)) {
    it(`${name} matches PyTorch within 1e-4`, { timeout: 120_000 }, async () => {
      const session = await InferenceSession.create(new Uint8Array(readFileSync(join(dir, entry.onnx))));
      expect(session.inputNames).toEqual(Object.keys(entry.inputs));
      const feeds: Record<string, Tensor> = {};
      for (const [input, f] of Object.entries(entry.inputs)) feeds[input] = npy(f);
      const outputs = await session.run(feeds);
      for (const [output, f] of Object.entries(entry.outputs)) {
        const want = npy(f);
        const got = outputs[output];
        expect(got, `${name}: output ${output}`).toBeDefined();
        expect(got!.dims, `${name}: output ${output} dims`).toEqual(want.dims);
        expect(compareTensors(got!, want, { rtol: 1e-4, atol: 1e-4 }), `${name}: output ${output}`).toBe('');
      }
    });
  }
});
