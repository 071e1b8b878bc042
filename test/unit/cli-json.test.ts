// --json on inspect / run / scan, file kinds in inspect and convert, and "cannot write" (issue 13).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cli, cliJson } from '../helpers/cli.js';
import { parseNpy } from '../../src/formats/npy/npy.js';
import { stateDict, torchLoad } from '../../src/formats/pickle/index.js';
import { writeSafetensors } from '../../src/formats/safetensors/index.js';
import { Tensor } from '../../src/tensor.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const digits = join(root, 'spec-models/digits');
const images = join(digits, 'test_images.npy');

describe('--json', () => {
  it('inspect: ONNX summary, shapes, TorchScript, torch.save and safetensors', async () => {
    const onnx = await cliJson('inspect', join(digits, 'digits_cnn_opset13.onnx'), '--shapes');
    expect(onnx.doc).toMatchObject({ kind: 'onnx', opsets: { 'ai.onnx': 13 }, runnable: { ok: true } });
    expect(onnx.doc.operators.Conv).toBe(2);
    expect(onnx.doc.parameters).toBe(1 * 16 * 9 + 16 + 16 * 32 * 9 + 32 + 512 * 64 + 64 + 64 * 10 + 10);
    expect(onnx.doc.inputs).toEqual([{ name: 'image', type: 'float32[batch, 1, 8, 8]' }]);
    expect(onnx.doc.shapes.values.find((v: any) => v.name === 'logits')).toMatchObject({ type: 'float32[batch, 10]' });

    const ts = await cliJson('inspect', join(digits, 'digits_cnn_script.pt'));
    expect(ts.doc.kind).toBe('torchscript');
    expect(ts.doc.operators['aten::conv2d']).toMatchObject({ implemented: true });
    expect(ts.doc.missingOps).toEqual([]);

    const sdPath = join(digits, 'digits_cnn_state_dict.pt');
    const sd = await cliJson('inspect', sdPath);
    const want = stateDict(torchLoad(new Uint8Array(readFileSync(sdPath))));
    expect(sd.doc.kind).toBe('torch-pickle');
    expect(sd.doc.tensors.map((t: any) => t.name)).toEqual([...want.keys()]);
    expect(sd.doc.tensors[0].shape).toEqual([...want.values()][0]!.dims);

    const dir = mkdtempSync(join(tmpdir(), 'tessera-json-'));
    const st = join(dir, 'w.safetensors');
    writeFileSync(st, writeSafetensors([['a', new Tensor('float32', new Float32Array(6), [2, 3])]], [['format', 'pt']]));
    const safe = await cliJson('inspect', st);
    expect(safe.doc).toMatchObject({ kind: 'safetensors', metadata: { format: 'pt' }, tensors: [{ name: 'a', dtype: 'float32', shape: [2, 3] }] });
    const text = await cli('inspect', st);
    expect(text.out).toContain('  a: float32[2, 3]');
  });

  it('run: inputs and outputs with their statistics, equal to PyTorch within 1e-4', async () => {
    const { code, doc } = await cliJson('run', join(digits, 'digits_cnn_opset17.onnx'), '--input', `image=${images}`);
    expect(code).toBe(0);
    expect(doc.inputs.image).toMatchObject({ dtype: 'float32', shape: [360, 1, 8, 8], random: false });
    const want = parseNpy(new Uint8Array(readFileSync(join(digits, 'test_logits.npy')))).data as Float32Array;
    let lo = Infinity, hi = -Infinity;
    for (const v of want) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    expect(doc.outputs.logits.shape).toEqual([360, 10]);
    expect(Math.abs(doc.outputs.logits.min - lo)).toBeLessThan(1e-4);
    expect(Math.abs(doc.outputs.logits.max - hi)).toBeLessThan(1e-4);
    const random = await cliJson('run', join(digits, 'digits_cnn_opset17.onnx'));
    expect(random.doc.inputs.image.random).toBe(true);
    expect(random.doc.notes[0]).toBe('input image: random float32[1, 1, 8, 8]');
  });

  it('scan: the verdict and the exit code', async () => {
    const { code, doc } = await cliJson('scan', join(digits, 'digits_cnn_state_dict.pt'));
    expect(code).toBe(0);
    expect(doc).toMatchObject({ verdict: 'safe', exitCode: 0 });
    expect(doc.parts[0].pickles[0].globals.length).toBeGreaterThan(0);
  });
});

describe('file kinds and output paths', () => {
  it('inspect names what a non-model file is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-kind-'));
    const gz = join(dir, 'model.onnx.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(digits, 'digits_cnn_opset17.onnx'))));
    const r = await cli('inspect', gz);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/model\.onnx\.gz is a gzip stream, not a model/);
    const npy = await cli('inspect', images);
    expect(npy.code).toBe(0);
    expect(npy.out.join('\n')).toMatch(/numpy \.npy array[\s\S]*float32\[360, 1, 8, 8\]/);
    expect((await cli('inspect', images, '--shapes')).code).toBe(2);
  });

  it('convert says what its input is, and "cannot write" for an output it cannot write', async () => {
    const onnx = await cli('convert', join(digits, 'digits_cnn_opset17.onnx'), join(tmpdir(), 'never.safetensors'));
    expect(onnx.code).toBe(1);
    expect(onnx.err[0]).toMatch(/is an ONNX model, not a torch\.save file/);
    const dir = mkdtempSync(join(tmpdir(), 'tessera-kind-'));
    writeFileSync(join(dir, 'file'), 'x');
    const out = join(dir, 'file', 'w.safetensors');
    const bad = await cli('convert', join(digits, 'digits_cnn_state_dict.pt'), out);
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toBe(`tessera: cannot write '${out}': ENOTDIR`);
    // a TorchScript archive's weights convert too
    const ok = await cli('convert', join(digits, 'digits_cnn_script.pt'), join(dir, 'w.safetensors'));
    expect(ok.code).toBe(0);
    const run = await cli('run', join(digits, 'digits_cnn_opset17.onnx'), '--out', join(dir, 'file', 'sub'));
    expect(run.code).toBe(2);
    expect(run.err[0]).toMatch(/cannot write/);
  });
});
