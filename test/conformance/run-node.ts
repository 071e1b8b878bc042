// Runs backend test cases whose name matches a regex and prints PASS/FAIL with the reason.
// Usage: npx tsx test/conformance/run-node.ts '<regex>' [folder]   (folder: node | simple |
// pytorch-converted | pytorch-operator | all; default node)

import { FOLDERS, type Folder, listCases, runCase } from './backend-suite.js';

const pattern = new RegExp(process.argv[2] ?? '.');
const which = process.argv[3] ?? 'node';
const folders: Folder[] = which === 'all' ? [...FOLDERS] : [which as Folder];
let pass = 0;
let fail = 0;
for (const folder of folders) {
  for (const name of listCases(folder).filter((n) => pattern.test(n))) {
    const r = await runCase(folder, name);
    if (r.ok) pass++;
    else fail++;
    console.log(`${r.ok ? 'PASS' : 'FAIL'} ${folder}/${name}${r.ok ? '' : `  ${r.message.slice(0, 400)}`}`);
  }
}
console.log(`${pass} passed, ${fail} failed`);
