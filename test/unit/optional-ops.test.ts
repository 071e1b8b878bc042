// Optional ONNX operator families (ops/onnx/optional.ts): known by name from the start, loaded
// when a model names one of their operators. Every test file starts with all of them loaded into
// the default registry (test/setup/preload-lazy-parts.ts), so these tests use fresh registries.

import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { opKey } from '../../src/ir/graph.js';
import { loadOnnxModel } from '../../src/formats/onnx/load.js';
import { OPTIONAL_ONNX_FAMILIES, onnxOps } from '../../ops/onnx/index.js';
import { allOnnxOps } from '../../ops/onnx/all.js';
import { op } from '../../ops/op-def.js';
import { planModel } from '../../src/runtime/plan.js';
import { OpRegistry, modelOpKeys } from '../../src/runtime/registry.js';
import { writeModel } from '../helpers/onnx-writer.js';

const keysOf = (defs: readonly { domain?: string; name: string }[]): string[] =>
  [...new Set(defs.map((d) => opKey(d.domain ?? '', d.name)))].sort();

const cumsumModel = (): Promise<import('../../src/ir/graph.js').Model> => loadOnnxModel(writeModel({
  graph: {
    nodes: [{ op: 'CumSum', name: 'running', inputs: ['x', 'axis'], outputs: ['y'] }],
    inputs: [{ name: 'x', elemType: 1, shape: [4] }],
    outputs: [{ name: 'y', elemType: 1, shape: [4] }],
    initializers: [{ name: 'axis', dataType: 7, dims: [], int64s: [0n] }],
  },
}));

describe('optional ONNX operator families', () => {
  it("each family's list of operators is what its definitions define, apart from the common families", async () => {
    const common = new Set(keysOf(onnxOps));
    const listed: string[] = [];
    for (const f of OPTIONAL_ONNX_FAMILIES) {
      expect([...f.ops].sort(), f.name).toEqual(keysOf(await f.load()));
      for (const k of f.ops) expect(common.has(k), `${k} is both common and in '${f.name}'`).toBe(false);
      listed.push(...f.ops);
    }
    expect(new Set(listed).size, 'no operator in two families').toBe(listed.length);
    expect(keysOf(allOnnxOps)).toEqual([...new Set([...common, ...listed])].sort());
  });

  it('a fresh registry knows the operators, resolves them once loaded, and loads only the families a model names', async () => {
    const r = new OpRegistry(onnxOps, OPTIONAL_ONNX_FAMILIES);
    expect(r.has('', 'CumSum')).toBe(true);
    expect(r.resolve('', 'CumSum', 17)).toBeUndefined();
    expect(r.unloadedFamily('ai.onnx', 'CumSum')).toBe('cumsum');
    expect(r.keys()).toContain('::CumSum');
    const model = await cumsumModel();
    expect(() => planModel(model, r)).toThrow(InvalidArgumentError);
    expect(() => planModel(model, r)).toThrow(/node 'running' \(CumSum\): its operator is in the optional 'cumsum' family.*loadAllOps/);
    await r.loadFor(modelOpKeys(model));
    expect(r.resolve('', 'CumSum', 17)?.name).toBe('CumSum');
    expect(r.unloadedFamily('', 'TopK')).toBe('topk');
    expect(planModel(model, r).steps.map((s) => s.node.opType)).toEqual(['CumSum']);
  });

  it('finds operators inside subgraphs and functions', async () => {
    const branch = (name: string, op: string) => ({
      name, nodes: [{ op, inputs: ['x'], outputs: [`${name}_y`] }], inputs: [], outputs: [{ name: `${name}_y`, elemType: 1, shape: [4] }],
    });
    const model = await loadOnnxModel(writeModel({
      opsets: [['', 17], ['local', 1]],
      graph: {
        nodes: [
          { op: 'If', inputs: ['c'], outputs: ['y'], attrs: [{ name: 'then_branch', g: branch('t', 'Det') }, { name: 'else_branch', g: branch('e', 'Relu') }] },
          { op: 'F', domain: 'local', inputs: ['x'], outputs: ['z'] },
        ],
        inputs: [{ name: 'c', elemType: 9, shape: [] }, { name: 'x', elemType: 1, shape: [4] }],
        outputs: [{ name: 'y', elemType: 1, shape: [4] }, { name: 'z', elemType: 1, shape: [4] }],
      },
      functions: [{ name: 'F', domain: 'local', inputs: ['a'], outputs: ['b'], nodes: [{ op: 'Unique', inputs: ['a'], outputs: ['b'] }], opsets: [['', 17]] }],
    }));
    const keys = modelOpKeys(model);
    for (const k of ['::If', '::Det', '::Relu', 'local::F', '::Unique']) expect(keys.has(k), k).toBe(true);
  });

  it('Gradient, which builds graphs of any operator, loads every family', async () => {
    const r = new OpRegistry(onnxOps, OPTIONAL_ONNX_FAMILIES);
    await r.loadFor(['ai.onnx.preview.training::Gradient']);
    for (const f of OPTIONAL_ONNX_FAMILIES) for (const k of f.ops) expect(r.unloadedFamily(k.split('::')[0]!, k.split('::')[1]!), k).toBeUndefined();
  });

  it('a definition registered before its family loads still replaces the built-in one of the same since', async () => {
    const mine = op({ name: 'CumSum', since: 14, run: () => [] });
    const r = new OpRegistry(onnxOps, OPTIONAL_ONNX_FAMILIES);
    r.add(mine);
    await r.loadFor(['::CumSum']);
    expect(r.resolve('', 'CumSum', 17)).toBe(mine);
    expect(r.resolve('', 'CumSum', 13)?.name).toBe('CumSum');
    expect(r.resolve('', 'CumSum', 13)).not.toBe(mine);
  });
});
