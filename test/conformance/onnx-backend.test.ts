// The checked-in conformance list: every listed backend test must pass.
// onnx-backend-pass.txt holds one `folder/test_name` per line; onnx-backend-skip.txt holds
// every other case with the reason it does not pass yet. Regenerate both with
// `npm run conformance -- --write` (the pass list may only grow). The test data is the copy
// vendored in onnx-backend-tests/ (see its README.md), or TESSERA_ONNX_TESTS.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FOLDERS, type Folder, listCases, runCase } from './backend-suite.js';
import { suite } from './suite-source.js';

const here = dirname(fileURLToPath(import.meta.url));
const listed = readFileSync(join(here, 'onnx-backend-pass.txt'), 'utf8')
  .split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const nodeListed = listed.filter((l) => l.startsWith('node/')).length;

// The list may only grow: these floors are the counts when the list was last refreshed. Raise
// them with the list; a change that drops listed cases fails here, not silently.
const FLOOR_NODE = 1794;
const FLOOR_ALL = 1934;

describe(`ONNX backend conformance: ${listed.length} listed cases, ${nodeListed} of them node tests`, () => {
  it(`the pass list has not shrunk (node >= ${FLOOR_NODE}, all >= ${FLOOR_ALL})`, () => {
    console.log(`ONNX backend conformance: running ${listed.length} listed cases (${nodeListed} node tests) from ${suite().origin}`);
    expect(nodeListed).toBeGreaterThanOrEqual(FLOOR_NODE);
    expect(listed.length).toBeGreaterThanOrEqual(FLOOR_ALL);
    expect(new Set(listed).size).toBe(listed.length);
  });
  it('the test data holds every listed case, and the 1942 cases of the official suite', () => {
    const all = new Set(FOLDERS.flatMap((f) => listCases(f).map((n) => `${f}/${n}`)));
    expect(listed.filter((id) => !all.has(id))).toEqual([]);
    if (suite().vendored) expect(all.size).toBe(1942);
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
      // With the planner's rewrites (the default) and with the graph run exactly as written, on
      // the wasm kernels (where this host runs them), and with rewrites on the JS kernels.
      for (const [level, backend] of [['all', 'wasm'], ['disabled', 'wasm'], ['all', 'cpu']] as const) {
        const r = await runCase(folder, name, level, backend);
        expect(r.message, `graphOptimizationLevel ${level}, backend ${backend}`).toBe('');
        expect(r.ok).toBe(true);
      }
    });
  }
});
