// The profiler: InferenceSession.startProfiling / endProfiling and `tessera run --profile`.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { InferenceSession } from '../../src/api/session.js';
import { Tensor } from '../../src/tensor.js';
import { writeModel } from '../helpers/onnx-writer.js';

const FLOAT = 1;
const bytes = writeModel({
  opsets: [['', 17]],
  graph: {
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], name: 'conv' },
      { op: 'Relu', inputs: ['y'], outputs: ['r'], name: 'relu' },
      { op: 'Add', inputs: ['r', 'x'], outputs: ['z'], name: 'add' },
    ],
    inputs: [{ name: 'x', elemType: FLOAT, shape: [1, 1, 8, 8] }],
    outputs: [{ name: 'z', elemType: FLOAT, shape: [1, 1, 8, 8] }],
    initializers: [{ name: 'w', dataType: FLOAT, dims: [1, 1, 1, 1], floats: [2] }],
  },
});
const x = new Tensor('float32', new Float32Array(64).fill(1), [1, 1, 8, 8]);

describe('profiling', () => {
  it('records each top-level node per run, fused steps by their fused op type, and the peak bytes', async () => {
    const s = await InferenceSession.create(bytes);
    s.startProfiling();
    await s.run({ x });
    await s.run({ x });
    const r = s.endProfiling();
    expect(r.runs).toBe(2);
    expect(r.nodes.map((n) => [n.name, n.opType, n.calls, n.shape])).toEqual([
      ['conv', 'Conv+relu', 2, [1, 1, 8, 8]],
      ['add', 'Add', 2, [1, 1, 8, 8]],
    ]);
    expect(r.byOpType.map((o) => o.opType).sort()).toEqual(['Add', 'Conv+relu']);
    expect(r.byOpType.reduce((a, o) => a + o.share, 0)).toBeCloseTo(1, 9);
    // weights (4 bytes) + the input is the caller's + y (256) + z (256) at least
    expect(r.peakBytes).toBeGreaterThanOrEqual(4 + 256);
    // With rewrites off the Relu is its own node.
    const plain = await InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
    plain.startProfiling();
    await plain.run({ x });
    expect(plain.endProfiling().nodes.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'Add']);
  });
  it('endProfiling without startProfiling is a typed error; runs after endProfiling are not recorded', async () => {
    const s = await InferenceSession.create(bytes);
    expect(() => s.endProfiling()).toThrow(InvalidArgumentError);
    s.startProfiling();
    await s.run({ x });
    expect(s.endProfiling().runs).toBe(1);
    await s.run({ x });
    expect(() => s.endProfiling()).toThrow(InvalidArgumentError);
  });
  it('tessera run --profile N prints time by op type and the slowest nodes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-profile-'));
    const path = join(dir, 'm.onnx');
    writeFileSync(path, bytes);
    const out: string[] = [];
    expect(await main(['run', path, '--profile', '3'], { out: (l) => out.push(l) })).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/^profile: 3 run\(s\), [0-9.]+ ms per run in 2 nodes; peak live tensors [0-9.]+ MiB$/m);
    expect(text).toMatch(/^Conv\+relu +[0-9.]+ +[0-9.]+% 1$/m);
    expect(text).toMatch(/\[1, 1, 8, 8\] +conv$/m);
  });
});
