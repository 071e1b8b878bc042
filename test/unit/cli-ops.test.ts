// tessera ops (issue 13): the operator table comes from the registries, and its backends from
// what the ops actually call.

import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { allOnnxOps } from '../../ops/onnx/all.js';
import { atenOps } from '../../ops/aten/index.js';

async function cli(...args: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const code = await main(args, { out: (l) => out.push(l) });
  return { code, out };
}

describe('tessera ops', () => {
  it('--json lists every ONNX definition and aten operator, with their opsets', async () => {
    const { code, out } = await cli('ops', '--json');
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const ops: { domain: string; name: string; opsets?: number[]; overloads?: number; backends: string[] }[] = JSON.parse(out[0]!).operators;
    // the op files' own lists, read independently of the registry
    const want = new Map<string, Set<number>>();
    for (const d of allOnnxOps) { // the core families and the optional ones
      const k = `${d.domain || 'ai.onnx'}::${d.name}`;
      want.set(k, (want.get(k) ?? new Set()).add(d.since));
    }
    const onnx = ops.filter((o) => o.opsets);
    expect(onnx.length).toBe(want.size);
    for (const o of onnx) expect([...want.get(`${o.domain}::${o.name}`)!].sort((a, b) => a - b), `${o.domain}::${o.name}`).toEqual(o.opsets);
    const aten = ops.filter((o) => o.overloads !== undefined);
    expect(aten.length).toBe(new Set(atenOps.map((o) => o.name)).size);
    expect(aten.find((o) => o.domain === 'aten' && o.name === 'conv2d')!.overloads).toBe(atenOps.filter((o) => o.name === 'aten::conv2d').length);
    for (const o of ops) expect(o.backends[0]).toBe('js');
  });

  it('backends: the products reach wasm and webgl, elementwise/pool/softmax webgl, ops without a GPU kernel stay on JS', async () => {
    const { out } = await cli('ops', '--json', '--domain', 'ai.onnx');
    const ops: { name: string; backends: string[]; probed: boolean }[] = JSON.parse(out[0]!).operators;
    const by = (n: string) => ops.find((o) => o.name === n)!;
    for (const n of ['Conv', 'MatMul', 'Gemm']) expect(by(n).backends).toEqual(['js', 'wasm', 'webgl']);
    expect(by('MaxPool').backends).toEqual(['js', 'wasm', 'webgl']);
    for (const n of ['Relu', 'Add', 'Softmax', 'GlobalAveragePool']) expect(by(n)).toMatchObject({ backends: ['js', 'webgl'], probed: true });
    // kernels/gpujs has no Erf, and leaves Sin to the CPU (SwiftShader's is 2e-4 off).
    for (const n of ['Erf', 'Sin']) expect(by(n)).toMatchObject({ backends: ['js'], probed: true });
    const text = await cli('ops', '--domain', 'aten');
    expect(text.out.join('\n')).toMatch(/^ {2}conv2d +\d+ +js, wasm$/m);
    expect((await cli('ops', '--domain', 'nope')).code).toBe(2);
  });
});
