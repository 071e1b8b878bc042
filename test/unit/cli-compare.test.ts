// tessera compare (issue 13): one model in two files, a model against a state dict, two models
// that differ in one node, and tessera against onnxruntime-node.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli, cliJson } from '../helpers/cli.js';
import { InferenceSession } from '../../src/api/session.js';
import { parseNpy } from '../../src/formats/npy/npy.js';
import { stateDict, torchLoad } from '../../src/formats/pickle/index.js';
import { writeSafetensors } from '../../src/formats/safetensors/index.js';
import { Tensor } from '../../src/tensor.js';
import { f32raw, writeModel } from '../helpers/onnx-writer.js';
import { reportAbsent } from '../helpers/absent-files.js';
import { existsSync } from 'node:fs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const digits = join(root, 'spec-models/digits');
const images = join(digits, 'test_images.npy');

/** x[2,4] -> MatMul(w1) 'mm1' -> Relu 'act' -> MatMul(w2) 'mm2' -> y, weights from `seed`, with w2 scaled by `w2scale`. */
function mlp(dir: string, file: string, w2scale: number, actOp = 'Relu'): string {
  const w = (n: number, s: number) => Array.from({ length: n }, (_, i) => (((i * 37 + s) % 19) - 9) / 10);
  const path = join(dir, file);
  writeFileSync(path, writeModel({
    graph: {
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w1'], outputs: ['h1'], name: 'mm1' },
        { op: actOp, inputs: ['h1'], outputs: ['h2'], name: 'act' },
        { op: 'MatMul', inputs: ['h2', 'w2'], outputs: ['y'], name: 'mm2' },
      ],
      initializers: [
        { name: 'w1', dataType: 1, dims: [4, 4], raw: f32raw(w(16, 1)) },
        { name: 'w2', dataType: 1, dims: [4, 3], raw: f32raw(w(12, 5).map((v) => v * w2scale)) },
      ],
      inputs: [{ name: 'x', elemType: 1, shape: [2, 4] }],
      outputs: [{ name: 'y', elemType: 1, shape: [2, 3] }],
    },
  }));
  return path;
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  const x = a.data as Float32Array, y = b.data as Float32Array;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

describe('tessera compare', () => {
  it('ONNX against TorchScript: the max difference of the outputs, as computed from two sessions', async () => {
    const onnx = join(digits, 'digits_cnn_opset17.onnx');
    const ts = join(digits, 'digits_cnn_script.pt');
    const { code, doc } = await cliJson('compare', onnx, ts, '--input', `image=${images}`, '--ep', 'cpu');
    expect(code).toBe(0);
    expect(doc.agree).toBe(true);
    expect(doc.outputs).toHaveLength(1);
    const o = doc.outputs[0];
    expect([o.a, o.b]).toEqual(['logits', 'out']);
    const x = parseNpy(new Uint8Array(readFileSync(images)));
    const a = (await (await InferenceSession.create(onnx, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' })).run({ image: x })).logits!;
    const b = (await (await InferenceSession.create(ts, { executionProviders: ['cpu'] })).run({ x })).out!;
    const want = maxAbsDiff(a, b);
    expect(want).toBeGreaterThan(0); // two kernels paths, not one computation twice
    expect(want).toBeLessThan(1e-4);
    expect(o.maxAbs).toBeCloseTo(want, 9);
    expect(doc.steps).toBeUndefined(); // different formats: outputs only
  });

  const large = [join(root, 'spec-models/onnx/large/bench_resnet18_96.onnx'), join(root, 'spec-models/torchscript/large/bench_resnet18_96.pt')];
  const absent = large.filter((f) => !existsSync(f));
  reportAbsent('compare resnet18 ONNX vs TorchScript', absent, '/usr/bin/python3 spec-models/bench_models.py');
  (absent.length ? it.skip : it)('resnet18 at 96: its ONNX export and its TorchScript archive agree', async () => {
    const { code, doc } = await cliJson('compare', large[0]!, large[1]!);
    expect(code).toBe(0);
    expect(doc.outputs[0]).toMatchObject({ a: 'logits', b: 'out', shape: [1, 1000], agree: true });
    expect(doc.outputs[0].maxAbs).toBeGreaterThan(0);
    expect(doc.outputs[0].maxAbs).toBeLessThan(1e-4);
  }, 120_000);

  it('two ONNX files: names the first node whose output differs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-compare-'));
    const a = mlp(dir, 'a.onnx', 1);
    const same = await cliJson('compare', a, mlp(dir, 'same.onnx', 1));
    expect(same.code).toBe(0);
    expect(same.doc.steps).toEqual({ compared: 3, firstDivergence: null });
    expect(same.doc.outputs[0].maxAbs).toBe(0);

    const w2 = await cliJson('compare', a, mlp(dir, 'w2.onnx', 1.5));
    expect(w2.code).toBe(1);
    expect(w2.doc.agree).toBe(false);
    expect(w2.doc.steps.firstDivergence.a).toMatchObject({ index: 2, op: 'MatMul', node: 'mm2', value: 'y' });

    const act = await cliJson('compare', a, mlp(dir, 'act.onnx', 1, 'Sigmoid'));
    expect(act.doc.steps.firstDivergence.a).toMatchObject({ index: 1, node: 'act' });
    expect(act.doc.steps.firstDivergence.b).toMatchObject({ index: 1, op: 'Sigmoid' });
    const text = await cli('compare', a, join(dir, 'act.onnx'));
    expect(text.code).toBe(1);
    expect(text.out.join('\n')).toMatch(/first divergence: A step 1 Relu 'act' -> h2/);
  });

  it('a state dict applied to the TorchScript model agrees; a changed weight shows where it is used', async () => {
    const ts = join(digits, 'digits_cnn_script.pt');
    const sd = join(digits, 'digits_cnn_state_dict.pt');
    const applied = await cliJson('compare', ts, sd, '--input', `x=${images}`);
    expect(applied.code).toBe(0);
    const weights = stateDict(torchLoad(new Uint8Array(readFileSync(sd))));
    expect(applied.doc.b.weights.applied).toHaveLength(weights.size);
    expect(applied.doc.outputs[0].maxAbs).toBe(0);

    // fc2.weight changed, as safetensors: the ONNX model's first differing node is the Gemm reading it
    const dir = mkdtempSync(join(tmpdir(), 'tessera-compare-'));
    const fc2 = weights.get('fc2.weight')!;
    const changed = new Tensor('float32', (fc2.data as Float32Array).map((v) => v * 1.1), fc2.dims);
    const file = join(dir, 'changed.safetensors');
    writeFileSync(file, writeSafetensors([['fc2.weight', changed]], []));
    const onnx = join(digits, 'digits_cnn_opset17.onnx');
    const r = await cliJson('compare', onnx, file, '--input', `image=${images}`);
    expect(r.code).toBe(1);
    expect(r.doc.b.weights.applied).toEqual(['fc2.weight']);
    const session = await InferenceSession.create(onnx);
    const reader = session.model!.graph.nodes.find((n) => n.inputs.includes('fc2.weight'))!;
    expect(r.doc.steps.firstDivergence.a.node).toBe(reader.name);
    // and in the TorchScript archive, the second linear (fc1 is the first)
    const t = await cliJson('compare', ts, file, '--input', `x=${images}`);
    expect(t.code).toBe(1);
    const traced = (await cliJson('trace', ts, '--input', `x=${images}`)).doc.steps;
    const linears = traced.filter((x: any) => x.op === 'aten::linear');
    expect(linears).toHaveLength(2);
    expect(t.doc.steps.firstDivergence.a).toMatchObject({ op: 'aten::linear', index: linears[1].index });
  });

  it('traced and scripted archives of one network: each call paired with its twin, none differs', async () => {
    const { code, doc } = await cliJson('compare', join(digits, 'digits_cnn_trace.pt'), join(digits, 'digits_cnn_script.pt'), '--input', `x=${images}`);
    expect(code).toBe(0);
    expect(doc.steps.firstDivergence).toBeNull();
    expect(doc.steps.compared).toBeGreaterThanOrEqual(9);
  });

  it('against onnxruntime-node, when it is installed', async () => {
    let installed = true;
    try { await import('onnxruntime-node'); } catch { installed = false; }
    const r = await cliJson('compare', join(digits, 'digits_cnn_opset17.onnx'), '--ort', '--input', `image=${images}`);
    if (!installed) return expect(r.code).toBe(2);
    expect(r.code).toBe(0);
    expect(r.doc.b.runtime).toBe('onnxruntime-node');
    expect(r.doc.outputs[0].maxAbs).toBeLessThan(1e-4);
    expect(r.doc.outputs[0].shape).toEqual([360, 10]);
  });

  it('refuses what is not a model, and bad arguments', async () => {
    expect((await cli('compare', join(digits, 'digits_cnn_opset17.onnx'))).code).toBe(2);
    expect((await cli('compare', join(digits, 'digits_cnn_opset17.onnx'), join(digits, 'x.onnx'), '--tolerance', 'abc')).code).toBe(2);
    const r = await cli('compare', images, join(digits, 'digits_cnn_opset17.onnx'));
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/is a numpy \.npy array, not a model/);
  });
});
