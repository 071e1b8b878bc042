// An ONNX operator tessera lacks, used only inside an If branch, does not block creating the
// session: a run that takes the branch fails naming node and operator; `strict` refuses at create.

import { describe, expect, it } from 'vitest';
import { InferenceSession } from '../../src/api/session.js';
import { UnsupportedOpError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { describeModel } from '../../src/cli/inspect.js';
import { loadOnnxModel } from '../../src/formats/onnx/load.js';
import { type GraphSpec, writeModel } from '../helpers/onnx-writer.js';

const FLOAT = 1;
const BOOL = 9;

/** y = If(c) { FrobnicateOp(x) (no such op), in node 'zap' } else { Neg(x) }. */
function branchyModel(missingAtTop = false): Uint8Array {
  const thenBranch: GraphSpec = {
    name: 'then', nodes: [{ op: 'Frobnicate', name: 'zap', inputs: ['x'], outputs: ['t'] }], inputs: [], outputs: [{ name: 't', elemType: FLOAT }],
  };
  const elseBranch: GraphSpec = { name: 'else', nodes: [{ op: 'Neg', inputs: ['x'], outputs: ['e'] }], inputs: [], outputs: [{ name: 'e', elemType: FLOAT }] };
  const nodes = [{ op: 'If', name: 'branch', inputs: ['c'], outputs: ['y'], attrs: [{ name: 'then_branch', g: thenBranch }, { name: 'else_branch', g: elseBranch }] }];
  if (missingAtTop) nodes.push({ op: 'Frobnicate', name: 'top', inputs: ['y'], outputs: ['z'], attrs: [] });
  return writeModel({
    opsets: [['', 17]],
    graph: {
      name: 'g', nodes, inputs: [{ name: 'x', elemType: FLOAT, shape: [2] }, { name: 'c', elemType: BOOL, shape: [] }],
      outputs: [{ name: missingAtTop ? 'z' : 'y', elemType: FLOAT }],
    },
  });
}

const feeds = (c: boolean) => ({ x: new Tensor('float32', [1, -2], [2]), c: new Tensor('bool', [c], []) });

describe('ONNX operators missing only inside a subgraph', () => {
  it('create succeeds; the untaken branch never matters; the taken one fails naming node and op', async () => {
    const s = await InferenceSession.create(branchyModel());
    const out = await s.run(feeds(false));
    expect(Array.from(out.y!.data as Float32Array)).toEqual([-1, 2]);
    const e = await s.run(feeds(true)).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UnsupportedOpError);
    expect((e as UnsupportedOpError).ops).toEqual(['ai.onnx::Frobnicate(17)']);
    expect((e as Error).message).toMatch(/node 'zap' \(Frobnicate\).*operator not implemented: ai\.onnx::Frobnicate\(17\)/);
    expect((e as Error).message).toContain("node 'branch' (If)");
    // The session is still usable after the failed run.
    expect(Array.from((await s.run(feeds(false))).y!.data as Float32Array)).toEqual([-1, 2]);
  });
  it('strict refuses at create, listing the operator', async () => {
    await expect(InferenceSession.create(branchyModel(), { strict: true })).rejects.toThrow(
      /the model uses 1 operator\(s\) tessera does not implement: ai\.onnx::Frobnicate\(17\)/,
    );
  });
  it('a missing operator in the main graph still blocks create', async () => {
    await expect(InferenceSession.create(branchyModel(true))).rejects.toThrow(UnsupportedOpError);
  });
  it('inspect says which subgraph operators are missing', async () => {
    const lines = describeModel(await loadOnnxModel(branchyModel()));
    expect(lines).toContain('runnable:   yes, but a run that reaches these subgraph operators fails: ai.onnx::Frobnicate(17)');
    expect(describeModel(await loadOnnxModel(branchyModel(true)))).toContain('runnable:   no, missing ai.onnx::Frobnicate(17)');
  });
});
