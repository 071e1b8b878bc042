// createTorchScriptSession: forward's parameters as inputs, outputs flattened depth-first and
// named by path; the digits CNN from the foundation issue runs from its TorchScript files.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor.js';
import { UnsupportedOpError } from '../../src/errors.js';
import { parseNpy } from '../../src/formats/npy/npy.js';
import { looksLikeTorchScript } from '../../src/formats/torchscript/index.js';
import { createTorchScriptSession } from '../../src/runtime/torchscript/index.js';
import { inspectTorchScriptCommand } from '../../src/cli/inspect-torchscript.js';
import { buildArchive } from './archive-builder.js';
import { loadManifests, mismatch, SPEC_DIR } from './manifest.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (p: string) => new Uint8Array(readFileSync(p));

describe('createTorchScriptSession', () => {
  it('names nested tuple outputs by path (LSTM: out.0, out.1.0, out.1.1)', async () => {
    const m = loadManifests((n) => n === 'lstm_script')[0]!;
    const s = createTorchScriptSession(read(m.path));
    expect(s.inputNames).toEqual(['x']);
    expect(s.inputMetadata[0]).toMatchObject({ name: 'x', isTensor: true, torchScriptType: 'Tensor' });
    expect(s.outputNames).toEqual(['out.0', 'out.1.0', 'out.1.1']);
    const out = await s.run({ x: m.cases[0]!.inputs[0] as Tensor });
    expect(Object.keys(out)).toEqual(['out.0', 'out.1.0', 'out.1.1']);
    const want = m.cases[0]!.output!;
    expect(mismatch([out['out.0']!, [out['out.1.0']!, out['out.1.1']!]], [
      (want as unknown as { items: Tensor[] }).items[0]!, [...(want as unknown as { items: [Tensor, { items: Tensor[] }] }).items[1].items],
    ])).toBeUndefined();
  });
  it('names dict outputs by key and feeds 0-d tensors to int parameters', async () => {
    const sub = loadManifests((n) => n === 'feature_submodules')[0]!;
    const s = createTorchScriptSession(read(sub.path));
    const out = await s.run({ x: sub.cases[0]!.inputs[0] as Tensor });
    expect(Object.keys(out)).toEqual(['out.a', 'out.b']);
    const cond = loadManifests((n) => n === 'feature_cond_expr')[0]!;
    const c = createTorchScriptSession(read(cond.path));
    expect(c.inputMetadata.map((i) => i.torchScriptType)).toEqual(['Tensor', 'int']);
    const r = await c.run({ x: cond.cases[1]!.inputs[0] as Tensor, n: new Tensor('int64', [-3n], []) });
    expect(Object.keys(r)).toEqual(['out.0', 'out.1', 'out.2']);
    expect(r['out.1']!.data).toEqual(new BigInt64Array([3n]));
    expect(r['out.2']!.data).toEqual(['odd']);
  });
  it('accepts null for Optional inputs and rejects unknown or missing ones', async () => {
    const m = loadManifests((n) => n === 'feature_optional')[0]!;
    const s = createTorchScriptSession(read(m.path));
    expect(s.inputNames).toEqual(['x', 'bias', 'scale']);
    const x = m.cases[0]!.inputs[0] as Tensor;
    const out = await s.run({ x, bias: null, scale: null });
    expect(mismatch(out.out!, m.cases[0]!.output!)).toBeUndefined();
    await expect(s.run({ x, bias: null, scale: null, nope: null })).rejects.toThrow(/unknown input 'nope'/);
    await expect(s.run({ bias: null, scale: null })).rejects.toThrow(/missing input 'x'/);
  });
  for (const file of ['digits_cnn_script.pt', 'digits_cnn_trace.pt']) {
    it(`runs the digits CNN from ${file} within 1e-4 of PyTorch`, async () => {
      const dir = join(root, 'spec-models/digits');
      const bytes = read(join(dir, file));
      expect(looksLikeTorchScript(bytes)).toBe(true);
      const s = createTorchScriptSession(bytes);
      const images = parseNpy(read(join(dir, 'test_images.npy')));
      const want = parseNpy(read(join(dir, 'test_logits.npy')));
      const out = await s.run({ [s.inputNames[0]!]: images });
      expect(mismatch(out.out!, want)).toBeUndefined();
    });
  }
  it('strict fails at creation listing every unimplemented operator with its call site', () => {
    const bytes = buildArchive({ '__torch__.py': 'class M(Module):\n  training : bool\n  def forward(self: __torch__.M, x: Tensor) -> Tensor:\n    if torch.gt(torch.dim(x), 2):\n      x = torch.zap(x)\n    return torch.frobnicate(x)\n' });
    expect(() => createTorchScriptSession(bytes, { strict: true })).toThrow(UnsupportedOpError);
    expect(() => createTorchScriptSession(bytes, { strict: true })).toThrow(
      'TorchScript model calls 2 operator(s) tessera does not implement: aten::frobnicate (archive/code/__torch__.py:6:12), aten::zap (archive/code/__torch__.py:5:11)',
    );
    expect(createTorchScriptSession(bytes, { allowMissingOps: true }).inputNames).toEqual(['x']);
    expect(createTorchScriptSession(bytes).inputNames).toEqual(['x']);
  });
  it('is not fooled by a plain torch.save zip', () => {
    const p = join(root, 'spec-models/pickle/checkpoint.pt');
    if (existsSync(p)) expect(looksLikeTorchScript(read(p))).toBe(false);
  });
});

describe('tessera inspect for TorchScript', () => {
  it('prints the module tree, classes, methods and code', async () => {
    const lines: string[] = [];
    await inspectTorchScriptCommand(join(SPEC_DIR, 'feature_submodules.pt'), { out: (l) => lines.push(l) });
    const text = lines.join('\n');
    expect(text).toMatch(/format: TorchScript archive \(folder 'feature_submodules', version \d+\)/);
    expect(text).toMatch(/forward: \(x: Tensor\) -> Dict\[str, Tensor\]/);
    expect(lines).toContain('    layers: torch.nn.modules.container.ModuleList');
    expect(lines).toContain('      0: torch.nn.modules.linear.Linear');
    expect(lines).toContain('        weight (parameter) = Tensor float32[4, 4]');
    expect(lines).toContain('        out_features: Final[int] = 4');
    expect(text).toMatch(/__torch__\.torch\.nn\.modules\.container\.Sequential\(Module\): forward, __len__/);
    expect(text).toContain('    return torch.linear(input, weight, bias)');
  });
  it('lists unimplemented operators up front', async () => {
    const bytes = buildArchive({ '__torch__.py': 'class M(Module):\n  training : bool\n  def forward(self: __torch__.M, x: Tensor) -> Tensor:\n    return torch.frobnicate(x)\n' });
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const p = join(mkdtempSync(join(tmpdir(), 'ts-')), 'm.pt');
    writeFileSync(p, bytes);
    const lines: string[] = [];
    await inspectTorchScriptCommand(p, { out: (l) => lines.push(l) });
    expect(lines).toContain('unimplemented operators: aten::frobnicate');
    expect(lines).toContain('operators the code names: 1 (1 missing: a run fails only if it reaches one)');
    expect(lines).toContain('  aten::frobnicate  MISSING, first called at archive/code/__torch__.py:4:12');
  });
});
