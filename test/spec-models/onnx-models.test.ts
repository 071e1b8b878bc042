// Models exported by PyTorch 1.13 (spec-models/onnx_models.py) at opsets 13 and 17 must reproduce
// PyTorch's own outputs: |tessera - torch| <= 1e-4 + 1e-4 * |torch| for every element.
// The large .onnx files (spec-models/onnx/large/) are regenerated, not committed; their tests skip
// until `/usr/bin/python3 spec-models/onnx_models.py` has been run.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNpy } from '../../src/formats/npy/npy.js';
import { InferenceSession } from '../../src/api/session.js';
import type { Tensor } from '../../src/tensor.js';
import { compareTensors } from '../helpers/allclose.js';
import { reportAbsent } from '../helpers/absent-files.js';

interface ModelEntry {
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  onnx: Record<string, string>;
}

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../spec-models/onnx');
const manifest = JSON.parse(readFileSync(join(dir, 'models.json'), 'utf8')) as Record<string, ModelEntry>;
const npy = (f: string): Tensor => parseNpy(new Uint8Array(readFileSync(join(dir, f))), f);
const TOL = 1e-4;

/** The verdict of the shared comparison (numpy's assert_allclose rules), and the max abs diff for the report. */
function compare(got: Tensor, want: Tensor): { maxDiff: number; diff: string } {
  const g = got.data as Float32Array;
  const w = want.data as Float32Array;
  let maxDiff = 0;
  for (let i = 0; i < w.length; i++) {
    const d = Math.abs(g[i]! - w[i]!);
    if (d > maxDiff || Number.isNaN(d)) maxDiff = Number.isNaN(d) ? NaN : d;
  }
  return { maxDiff, diff: compareTensors(got, want, { rtol: TOL, atol: TOL }) };
}

describe('spec-models/onnx (PyTorch 1.13 exports)', () => {
  reportAbsent('spec-models/onnx models', Object.values(manifest).flatMap((e) => Object.values(e.onnx)).filter((f) => !existsSync(join(dir, f))),
    '/usr/bin/python3 spec-models/onnx_models.py');
  for (const [name, entry] of Object.entries(manifest)) {
    for (const [opset, file] of Object.entries(entry.onnx)) {
      const path = join(dir, file);
      const missing = !existsSync(path);
      const title = missing
        ? `${name} opset ${opset}: SKIPPED, ${file} is absent: run \`/usr/bin/python3 spec-models/onnx_models.py\``
        : `${name} opset ${opset} matches PyTorch within 1e-4`;
      it.skipIf(missing)(title, { timeout: 600_000 }, async () => {
        const session = await InferenceSession.create(new Uint8Array(readFileSync(path)));
        expect(session.inputNames).toEqual(Object.keys(entry.inputs));
        const feeds: Record<string, Tensor> = {};
        for (const [input, f] of Object.entries(entry.inputs)) feeds[input] = npy(f);
        const start = performance.now();
        const outputs = await session.run(feeds);
        const ms = performance.now() - start;
        const report: string[] = [];
        for (const [output, f] of Object.entries(entry.outputs)) {
          const want = npy(f);
          const got = outputs[output];
          expect(got, `output ${output}`).toBeDefined();
          expect(got!.dims, `output ${output} dims`).toEqual(want.dims);
          const { maxDiff, diff } = compare(got!, want);
          report.push(`${output} max |diff| ${maxDiff.toExponential(2)}`);
          expect(diff, `${output}`).toBe('');
        }
        console.info(`${name} opset ${opset}: ${report.join(', ')}; run ${ms.toFixed(0)} ms`);
      });
    }
  }
});
