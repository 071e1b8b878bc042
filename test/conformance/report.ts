// `npm run conformance [-- PATH] [-- --write]`: runs every backend test case, prints pass counts
// per operator and a total line. The data is the vendored copy (onnx-backend-tests/suite.tar.gz)
// unless PATH names another copy of the official suite (a folder with node/, simple/, ... as in
// onnx/backend/test/data, or a .tar.gz of one). With --write (vendored copy only), rewrites
// onnx-backend-pass.txt (refusing to drop a listed test) and onnx-backend-skip.txt (every other
// case, with its reason).

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FOLDERS, listCases, manifest, runCase } from './backend-suite.js';
import { openSuite, suite, useSuite } from './suite-source.js';

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = here.includes('/dist/') ? join(here, '../../../test/conformance') : here;
const write = process.argv.includes('--write');
const path = process.argv.slice(2).find((a) => !a.startsWith('--'));
if (path) useSuite(openSuite(path));
console.log(`ONNX backend test data: ${suite().origin}`);
if (write && !suite().vendored) {
  console.error('--write refreshes the lists for the vendored copy only; run it without PATH');
  process.exit(2);
}
let man: ReturnType<typeof manifest>;
try {
  man = manifest();
} catch {
  man = new Map(); // a copy without manifest.json: per-op rows fall back to '?'
}
const reasons = readFileSync(join(srcDir, 'skip-reasons.txt'), 'utf8').split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'))
  .map((l) => { const [re, why] = l.split('\t') as [string, string]; return [new RegExp(re), why] as const; });
const reasonFor = (id: string, measured: string): string => {
  const known = reasons.find(([re]) => re.test(id))?.[1];
  return known ? `${known} (measured: ${measured})` : measured;
};

const perOp = new Map<string, { pass: number; total: number }>();
const passed: string[] = [];
const skipped: string[] = [];
const totals = new Map<string, { pass: number; total: number }>();
for (const folder of FOLDERS) {
  const t = { pass: 0, total: 0 };
  totals.set(folder, t);
  for (const name of listCases(folder)) {
    const r = await runCase(folder, name);
    t.total++;
    const op = folder === 'node' ? man.get(name)?.primaryOp ?? '?' : `(${folder})`;
    const s = perOp.get(op) ?? { pass: 0, total: 0 };
    s.total++;
    if (r.ok) {
      s.pass++;
      t.pass++;
      passed.push(`${folder}/${name}`);
    } else {
      skipped.push(`${folder}/${name}\t${reasonFor(`${folder}/${name}`, r.message.replace(/\s+/g, ' ').slice(0, 200))}`);
    }
    perOp.set(op, s);
  }
}

for (const [op, s] of [...perOp].sort((a, b) => a[0].localeCompare(b[0]))) {
  console.log(`${op.padEnd(40)} ${String(s.pass).padStart(4)}/${s.total}`);
}
for (const [folder, t] of totals) console.log(`${folder.padEnd(20)} ${t.pass}/${t.total}`);
const pass = [...totals.values()].reduce((a, t) => a + t.pass, 0);
const total = [...totals.values()].reduce((a, t) => a + t.total, 0);
console.log(`conformance: ${pass} passed, ${total - pass} failed`);

if (write) {
  const passFile = join(srcDir, 'onnx-backend-pass.txt');
  let old: string[] = [];
  try {
    old = readFileSync(passFile, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  } catch { /* first run */ }
  const now = new Set(passed);
  const dropped = old.filter((l) => !now.has(l));
  if (dropped.length) {
    console.error(`refusing to write: ${dropped.length} listed test(s) no longer pass: ${dropped.slice(0, 10).join(', ')}`);
    process.exit(1);
  }
  writeFileSync(passFile, `# ONNX backend tests that must pass (folder/test). The list may only grow.\n${passed.join('\n')}\n`);
  writeFileSync(join(srcDir, 'onnx-backend-skip.txt'),
    `# Backend tests not in the pass list, each with the reason it fails today.\n${skipped.join('\n')}\n`);
  console.log(`wrote ${passed.length} passing and ${skipped.length} skipped cases`);
}
