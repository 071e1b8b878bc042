// Archives saved by PyTorch 2.x (spec-models/torchscript2, written by spec-models/torch2_models.py
// under torch 2.13), scripted and traced, compared with PyTorch's own outputs within 1e-4.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTorchScript } from '../../src/runtime/torchscript/module.js';
import { loadManifests, mismatch, SPEC2_DIR } from './manifest.js';
import { buildArchive } from './archive-builder.js';
import { unpickle } from '../../src/formats/pickle/vm.js';
import { PyRecord } from '../../src/formats/pickle/values.js';
import { readTorchScriptArchive } from '../../src/formats/torchscript/archive.js';
import { PickleConverter } from '../../src/formats/torchscript/objects.js';

const manifests = loadManifests(() => true, SPEC2_DIR);

describe('TorchScript archives from PyTorch 2.x (outputs from PyTorch 2.13)', () => {
  it('covers containers, NamedTuple and dict outputs, interpolate, norms, enums, a CNN, LSTM/GRU, an encoder block, nn.TransformerEncoder, a timm ViT and traced transformers models', () => {
    const names = manifests.map((m) => m.name);
    for (const n of ['param_containers_script', 'param_containers_trace', 'module_containers_script', 'module_containers_trace',
      'namedtuple_dict_script', 'interpolate_script', 'interpolate_trace', 'norms_script', 'norms_trace', 'tiny_encoder_script', 'tiny_encoder_trace',
      'enum_attrs_script', 'enum_formats_script', 'vit_tiny_script', 'small_cnn_script', 'small_cnn_trace', 'recurrent_script', 'recurrent_trace',
      'transformer_encoder_bf_script', 'transformer_encoder_bf_trace', 'transformer_encoder_sf_script', 'transformer_encoder_sf_trace',
      'transformer_encoder_masks_script', 'transformer_full_script', 'transformer_full_trace', 'fold_ops_script', 'fold_ops_trace', 'union_refinement_script', 'lstm_proj_script', 'lstm_proj_trace', 'packed_recurrent_script',
      'hf_bert_trace', 'hf_distilbert_trace', 'hf_gpt2_trace', 'hf_llama_trace', 'hf_t5_trace', 'hf_vit_trace', 'hf_whisper_trace']) {
      expect(names).toContain(n);
    }
  });
  // timm architectures, shrunk (spec-models/torch2_models.py timm_arch), each scripted and traced.
  // Tried at timm's own configs and passing too (not kept: tens of MB each): densenet, ghostnet,
  // poolformer, efficientformer, maxvit, pvt_v2, twins, xcit, beit, eva02, nf_resnet, dla,
  // res2net, cspdarknet, rexnet, pit, gcvit, davit, focalnet, mvitv2, efficientvit, repvit,
  // hgnetv2, vovnet, inception_next, crossvit, gmlp, sequencer2d, coatnet, tiny_vit, xception,
  // mobilenetv4, mambaout, fasternet, starnet, nfnet, inception_v4. Traced only, because
  // torch.jit.script refuses them under torch 2.13 (not a tessera limit): mobilevit (a Python
  // call), hiera, hrnet, dpn, selecsls (their type annotations), ghostnetv2 (fails at a small input).
  it('covers timm: ResNet-D, EfficientNet, MobileNetV3, ConvNeXt, RegNetY, ViT (SDPA), Swin, LeViT, MLP-Mixer, CaiT, EdgeNeXt, FastViT, ResMLP, ConvMixer, TNT, VOLO, CoaT', () => {
    const names = new Set(manifests.map((m) => m.name));
    const kinds = ['resnet', 'efficientnet', 'mobilenetv3', 'convnext', 'regnet', 'vit', 'swin', 'levit', 'mixer', 'cait', 'edgenext', 'fastvit',
      'resmlp', 'convmixer', 'tnt', 'volo', 'coat'];
    for (const k of kinds) for (const how of ['script', 'trace']) expect(names.has(`timm_${k}_${how}`), `timm_${k}_${how}`).toBe(true);
  });
  for (const m of manifests) {
    it(m.name, () => {
      const mod = loadTorchScript(new Uint8Array(readFileSync(m.path)));
      m.cases.forEach((c, i) => {
        expect(mismatch(mod.call(m.method, c.inputs), c.output!), `${m.name} case ${i}`).toBeUndefined();
      });
    }, 60_000);
  }
});

describe('what PyTorch 2.x archives write', () => {
  const classBody = (annotations: string) => buildArchive({
    '__torch__.py': `class M(Module):\n  __parameters__ = ["0", ]\n  __buffers__ = []\n${annotations}  training : bool\n  def forward(self: __torch__.M, x: Tensor) -> Tensor:\n    return x\n`,
  });
  it("a class body may start its annotations with `__annotations__ = []` (ParameterList); nothing else may be assigned", () => {
    const m = loadTorchScript(classBody('  __annotations__ = []\n  __annotations__["0"] = Tensor\n'));
    expect(m.runtime.classOf('__torch__.M').attributes.map((a) => a.name)).toEqual(['0', 'training']);
    expect(() => loadTorchScript(classBody('  __annotations__ = [1]\n'))).toThrow(/__torch__\.py:4:\d+: __annotations__ may only be set to \[\]/);
  });
  // PROTO 2, GLOBAL, a string, REDUCE, STOP: how TorchScript pickles an Enum member.
  const enumPickle = (module: string, name: string) => {
    const enc = new TextEncoder();
    const s = enc.encode('NHWC');
    return new Uint8Array([0x80, 2, 0x63, ...enc.encode(`${module}\n${name}\n`), 0x58, s.length, 0, 0, 0, ...s, 0x52, 0x2e]);
  };
  it('REDUCE(class, value) is an Enum member for TorchScript classes only; elsewhere arguments must be a tuple', () => {
    const rec = unpickle(enumPickle('__torch__', 'Format'), 0, { torchScriptRecords: true }).value;
    expect(rec).toBeInstanceOf(PyRecord);
    expect((rec as PyRecord).args).toEqual(['NHWC']);
    expect(() => unpickle(enumPickle('collections', 'OrderedDict'))).toThrow(/REDUCE at offset \d+: arguments must be a tuple, got str/);
    expect(() => unpickle(enumPickle('__torch__', 'Format'), 0, { recordClasses: ['__torch__.Format'] })).toThrow(/arguments must be a tuple/);
  });
  it('an Enum member pickled with a value its class lacks is refused, naming class and value', () => {
    const bytes = buildArchive({ '__torch__.py': 'class Format(Enum):\n  NCHW = "NCHW"\n' });
    const archive = readTorchScriptArchive(bytes);
    const conv = new PickleConverter(archive, 'data.pkl');
    const raw = unpickle(enumPickle('__torch__', 'Format'), 0, { torchScriptRecords: true }).value;
    expect(() => conv.convert(raw)).toThrow(/data\.pkl: no member of enum __torch__\.Format has the value "NHWC"/);
  });
});
