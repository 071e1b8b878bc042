// tessera trace (issue 13): every step's values, checked against session.run, the archive's own
// source text, and NaNs planted in a hand-written model.

import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli, cliJson } from '../helpers/cli.js';
import { InferenceSession } from '../../src/api/session.js';
import { parseNpy, writeNpy } from '../../src/formats/npy/npy.js';
import { ZipArchive } from '../../src/formats/pickle/zip.js';
import { Budget } from '../../src/formats/pickle/values.js';
import { Tensor } from '../../src/tensor.js';
import { f32raw, writeModel } from '../helpers/onnx-writer.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const digits = join(root, 'spec-models/digits');
const images = join(digits, 'test_images.npy');

function minMax(t: Tensor): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of t.data as Float32Array) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return [lo, hi];
}

/** x -> Log -> Relu -> Add(c), with value names an exporter might write ('/', '..'). */
function nanModel(dir: string): string {
  const path = join(dir, 'nan.onnx');
  writeFileSync(path, writeModel({
    graph: {
      nodes: [
        { op: 'Log', inputs: ['x'], outputs: ['../log/out'], name: 'log' },
        { op: 'Relu', inputs: ['../log/out'], outputs: ['relu out'], name: 'relu' },
        { op: 'Add', inputs: ['relu out', 'c'], outputs: ['y'], name: 'add' },
      ],
      initializers: [{ name: 'c', dataType: 1, dims: [4], raw: f32raw([1, 1, 1, 1]) }],
      inputs: [{ name: 'x', elemType: 1, shape: [4] }],
      outputs: [{ name: 'y', elemType: 1, shape: [4] }],
    },
  }));
  return path;
}

describe('tessera trace', () => {
  it('ONNX: one step per node, in order; the last output equals session.run', async () => {
    const model = join(digits, 'digits_cnn_opset17.onnx');
    const { code, doc } = await cliJson('trace', model, '--input', `image=${images}`, '--ep', 'cpu');
    expect(code).toBe(0);
    const session = await InferenceSession.create(model, { executionProviders: ['cpu'] });
    const nodes = session.model!.graph.nodes;
    expect(doc.format).toBe('onnx');
    expect(doc.steps.map((s: any) => s.op)).toEqual(nodes.map((n) => n.opType));
    expect(doc.steps.map((s: any) => s.outputs[0].name)).toEqual(nodes.map((n) => n.outputs[0]));
    const x = parseNpy(new Uint8Array(readFileSync(images)));
    const logits = (await session.run({ image: x })).logits!;
    const last = doc.steps[doc.steps.length - 1].outputs[0];
    expect(last.shape).toEqual(logits.dims);
    const [lo, hi] = minMax(logits);
    expect(last.min).toBeCloseTo(lo, 4);
    expect(last.max).toBeCloseTo(hi, 4);
    expect(doc.outputs.logits.min).toBeCloseTo(lo, 4);
    // a step's input is the previous step's output, with the same numbers
    expect(doc.steps[1].inputs[0]).toEqual(doc.steps[0].outputs[0]);
    expect(doc.steps[0].inputs[0]).toMatchObject({ name: 'image', dtype: 'float32', shape: x.dims, nan: 0, inf: 0 });
  });

  it('TorchScript: each aten call with the source line it is written on', async () => {
    const model = join(digits, 'digits_cnn_script.pt');
    const { code, doc } = await cliJson('trace', model, '--input', `x=${images}`, '--ep', 'cpu');
    expect(code).toBe(0);
    expect(doc.format).toBe('torchscript');
    const zip = new ZipArchive(new Uint8Array(readFileSync(model)));
    const convs = doc.steps.filter((s: any) => s.op === 'aten::conv2d');
    expect(convs.length).toBe(2);
    for (const s of doc.steps.filter((t: any) => t.op.startsWith('aten::') && /conv2d|linear|relu/.test(t.op))) {
      const [, file, line] = /^(.*):(\d+)$/.exec(s.where)!;
      const text = new TextDecoder().decode(zip.read(file!, new Budget())).split('\n')[Number(line) - 1]!;
      expect(text, `${s.op} at ${s.where}`).toContain(s.op.slice('aten::'.length));
    }
    const session = await InferenceSession.create(model, { executionProviders: ['cpu'] });
    const out = (await session.run({ x: parseNpy(new Uint8Array(readFileSync(images))) })).out!;
    const [lo, hi] = minMax(out);
    expect(doc.outputs.out.min).toBeCloseTo(lo, 4);
    expect(doc.outputs.out.max).toBeCloseTo(hi, 4);
    const text = await cli('trace', model, '--input', `x=${images}`);
    expect(text.out[0]).toMatch(/^\[0\] aten::conv2d {2}at digits_cnn_script\/code\/__torch__\/.*conv\.py:\d+$/);
  });

  it('counts NaNs, stops at the first with --until-nan, and dumps inside DIR only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-trace-'));
    const model = nanModel(dir);
    const input = join(dir, 'x.npy');
    writeFileSync(input, writeNpy(new Tensor('float32', Float32Array.from([-1, 2, -3, 0]), [4])));
    const all = await cliJson('trace', model, '--input', `x=${input}`);
    expect(all.doc.steps).toHaveLength(3);
    expect(all.doc.steps[0].outputs[0]).toMatchObject({ nan: 2, inf: 1 }); // log(-1), log(-3); log(0) = -Inf
    expect(all.doc.firstNan).toMatchObject({ index: 0, op: 'Log', node: 'log' });
    expect(all.doc.steps[1].outputs[0]).toMatchObject({ nan: 2 }); // Relu keeps NaN
    const stopped = await cliJson('trace', model, '--input', `x=${input}`, '--until-nan');
    expect(stopped.doc.stopped).toBe(true);
    expect(stopped.doc.steps).toHaveLength(1);
    const text = await cli('trace', model, '--input', `x=${input}`, '--until-nan');
    expect(text.out[text.out.length - 1]).toBe("stopped at the first NaN: step 0 Log 'log'");

    const dump = join(dir, 'dump');
    const dumped = await cliJson('trace', model, '--input', `x=${input}`, '--dump', dump);
    expect(readdirSync(dump).sort()).toEqual(['0000___log_out.npy', '0001_relu_out.npy', '0002_y.npy']);
    expect(existsSync(join(dir, 'log'))).toBe(false);
    const y = parseNpy(new Uint8Array(readFileSync(join(dump, '0002_y.npy'))));
    const got = Array.from(y.data as Float32Array);
    expect(got.map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(['NaN', Math.fround(1 + Math.fround(Math.log(2))), 'NaN', 1]);
    expect(dumped.doc.steps[2].outputs[0].file).toBe(join(dump, '0002_y.npy'));
  });

  it('ONNX subgraphs: the nodes of an If body are traced one level deeper, before the If', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-trace-'));
    const path = join(dir, 'if.onnx');
    const branch = (op: string, name: string) => ({
      name, nodes: [{ op, inputs: ['x', 'x'], outputs: [`${name}_y`], name: `${name}_node` }],
      inputs: [], outputs: [{ name: `${name}_y`, elemType: 1, shape: [2] }],
    });
    writeFileSync(path, writeModel({
      graph: {
        nodes: [{ op: 'If', inputs: ['cond'], outputs: ['y'], name: 'choose', attrs: [{ name: 'then_branch', g: branch('Add', 'then') }, { name: 'else_branch', g: branch('Mul', 'else') }] }],
        inputs: [{ name: 'cond', elemType: 9, shape: [] }, { name: 'x', elemType: 1, shape: [2] }],
        outputs: [{ name: 'y', elemType: 1, shape: [2] }],
      },
    }));
    const x = join(dir, 'x.npy');
    const cond = join(dir, 'cond.npy');
    writeFileSync(x, writeNpy(new Tensor('float32', Float32Array.from([3, -4]), [2])));
    writeFileSync(cond, writeNpy(new Tensor('bool', Uint8Array.from([0]), [])));
    const { doc } = await cliJson('trace', path, '--input', `x=${x}`, '--input', `cond=${cond}`);
    expect(doc.steps.map((s: any) => [s.op, s.node, s.depth])).toEqual([['Mul', 'else_node', 1], ['If', 'choose', 0]]);
    expect(doc.steps[0].outputs[0]).toMatchObject({ min: 9, max: 16 });
    const text = await cli('trace', path, '--input', `x=${x}`, '--input', `cond=${cond}`);
    expect(text.out[0]).toBe("  [0] Mul 'else_node'");
  });

  it('bad arguments exit 2; a dump folder that cannot be made says cannot write', async () => {
    expect((await cli('trace')).code).toBe(2);
    expect((await cli('trace', join(digits, 'digits_cnn_opset17.onnx'), '--frobnicate')).code).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'tessera-trace-'));
    writeFileSync(join(dir, 'file'), 'x');
    const r = await cli('trace', join(digits, 'digits_cnn_opset17.onnx'), '--dump', join(dir, 'file', 'sub'));
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/cannot write '.*file\/sub'/);
    const pickle = await cli('trace', join(digits, 'digits_cnn_state_dict.pt'));
    expect(pickle.code).toBe(1);
    expect(pickle.err[0]).toMatch(/torch\.save pickle/);
  });
});
