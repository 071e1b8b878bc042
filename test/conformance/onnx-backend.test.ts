// The checked-in conformance list: every listed backend test must pass.
// onnx-backend-pass.txt holds one `folder/test_name` per line; onnx-backend-skip.txt holds
// every other case with the reason it does not pass yet. Regenerate both with
// `npm run conformance -- --write` (the pass list may only grow).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FOLDERS, type Folder, listCases, runCase, suiteAvailable } from './backend-suite.js';

const here = dirname(fileURLToPath(import.meta.url));
const listed = readFileSync(join(here, 'onnx-backend-pass.txt'), 'utf8')
  .split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

describe.runIf(suiteAvailable())('ONNX backend conformance (checked-in pass list)', () => {
  it('lists at least 1000 node tests', () => {
    expect(listed.filter((l) => l.startsWith('node/')).length).toBeGreaterThanOrEqual(1000);
  });
  it('gives every case that is not listed a reason in the skip list', () => {
    const skip = new Map(readFileSync(join(here, 'onnx-backend-skip.txt'), 'utf8').split('\n')
      .filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split('\t') as [string, string]));
    const pass = new Set(listed);
    const unexplained = FOLDERS.flatMap((f) => listCases(f).map((n) => `${f}/${n}`))
      .filter((id) => !pass.has(id) && !(skip.get(id)?.trim()));
    expect(unexplained).toEqual([]);
  });
  for (const entry of listed) {
    const [folder, name] = entry.split('/') as [Folder, string];
    it(entry, async () => {
      const r = await runCase(folder, name);
      expect(r.message).toBe('');
      expect(r.ok).toBe(true);
    });
  }
});

describe.skipIf(suiteAvailable())('ONNX backend conformance', () => {
  it('needs ../shared/onnx-backend-tests', () => {
    throw new Error('the ONNX backend test data was not found beside the repository (../shared/onnx-backend-tests)');
  });
});
