import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseNpy } from '../../src/formats/npy/npy.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const digits = join(root, 'spec-models/digits');

async function cli(...args: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((m: string) => { out.push(`ERR ${m}`); });
  try {
    const code = await main(args, { out: (l) => out.push(l) });
    return { code, out };
  } finally {
    err.mockRestore();
  }
}

describe('tessera CLI', () => {
  it('inspect prints format, opsets, I/O, op histogram and parameter count', async () => {
    const { code, out } = await cli('inspect', join(digits, 'digits_cnn_opset13.onnx'));
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/format: +ONNX \(IR version \d+\)/);
    expect(text).toMatch(/opsets: +ai\.onnx 13/);
    expect(text).toMatch(/image: float32\[batch, 1, 8, 8\]/);
    expect(text).toMatch(/logits: float32\[batch, 10\]/);
    expect(text).toMatch(/Conv +2/);
    // PyTorch's parameters with BatchNorm folded into conv1 by the exporter:
    // conv1 1*16*9+16, conv2 16*32*9+32, fc1 512*64+64, fc2 64*10+10.
    const params = 1 * 16 * 9 + 16 + 16 * 32 * 9 + 32 + 512 * 64 + 64 + 64 * 10 + 10;
    expect(text).toContain(`parameters: ${params.toLocaleString('en-US')}`);
  });

  it('run writes each output as .npy, matching PyTorch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    const { code, out } = await cli('run', join(digits, 'digits_cnn_opset17.onnx'), '--input', `image=${join(digits, 'test_images.npy')}`, '--out', dir);
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/output logits: float32\[360, 10\] +min -?[\d.]+ +max [\d.]+ +mean/);
    const got = parseNpy(new Uint8Array(readFileSync(join(dir, 'logits.npy'))));
    const want = parseNpy(new Uint8Array(readFileSync(join(digits, 'test_logits.npy'))));
    expect(got.dims).toEqual([360, 10]);
    const g = got.data as Float32Array;
    const w = want.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < w.length; i++) maxDiff = Math.max(maxDiff, Math.abs(g[i]! - w[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('run without inputs makes deterministic random ones from the declared shapes', async () => {
    const a = await cli('run', join(digits, 'digits_cnn_opset17.onnx'));
    const b = await cli('run', join(digits, 'digits_cnn_opset17.onnx'));
    expect(a.code).toBe(0);
    expect(a.out[0]).toBe('input image: random float32[1, 1, 8, 8]');
    expect(a.out[1]).toBe(b.out[1]);
  });

  it('run executes TorchScript archives too, and asks for inputs they cannot describe', async () => {
    const ok = await cli('run', join(digits, 'digits_cnn_script.pt'), '--input', `x=${join(digits, 'test_images.npy')}`);
    expect(ok.code).toBe(0);
    expect(ok.out.join('\n')).toMatch(/output out: float32\[360, 10\]/);
    const missing = await cli('run', join(digits, 'digits_cnn_trace.pt'));
    expect(missing.code).toBe(2);
    expect(missing.out[0]).toMatch(/input 'x' declares no tensor type and shape.*--input x=FILE\.npy/);
  });

  it('demo classifies the shipped digits', async () => {
    const { code, out } = await cli('demo');
    expect(code).toBe(0);
    const acc = Number(/accuracy: ([\d.]+)%/.exec(out.join('\n'))![1]);
    expect(acc).toBeGreaterThanOrEqual(95);
    expect(out.join('\n')).toMatch(/time per image: [\d.]+ ms/);
    // Every saved format agrees with PyTorch's logits (within 1e-4) and predictions.
    const rows = out.filter((l) => /^ {2}(ONNX|TorchScript) /.test(l));
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      const [, diff, same] = /(\S+) +(\d+)\/360$/.exec(row)!;
      expect(Number(diff)).toBeLessThan(1e-4);
      expect(same).toBe('360');
    }
    expect(out.join('\n')).toMatch(/state dict .* 13\/13 tensors bit-identical/);
  });

  it('bad arguments exit 2 with one line; model errors exit 1', async () => {
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('run')).code).toBe(2);
    expect((await cli('run', join(digits, 'digits_cnn_opset17.onnx'), '--input', 'nope')).code).toBe(2);
    expect((await cli('run', join(digits, 'digits_cnn_opset17.onnx'), '--input', `ghost=${join(digits, 'test_images.npy')}`)).code).toBe(2);
    const missing = await cli('inspect', join(digits, 'does-not-exist.onnx'));
    expect(missing.code).toBe(2);
    expect(missing.out).toHaveLength(1);
    const junk = join(mkdtempSync(join(tmpdir(), 'tessera-cli-')), 'junk.onnx');
    writeFileSync(junk, 'definitely not a model');
    const bad = await cli('inspect', junk);
    expect(bad.code).toBe(1);
    expect(bad.out[0]).toMatch(/^ERR tessera: ModelFormatError: /);
  });
});
