// Build step: writes the wasm engine's modules as files (`node dist/src/cli/emit-wasm.js DIR`,
// run by `npm run build` into dist/wasm), for hosts that refuse to compile WebAssembly bytes at
// run time (Cloudflare's workerd). Such a host loads the files as modules it compiled itself and
// hands them to registerPrecompiledModules; modules.json gives each file's content key, so a file
// from another build is not used. The same TypeScript emitters make the bytes as at run time.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineModules } from '../../kernels/wasm/engine.js';
import { moduleKey } from '../../kernels/wasm/host.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node dist/src/cli/emit-wasm.js OUT_DIR');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const index: Record<string, { key: string; bytes: number }> = {};
for (const fma of [false, true]) {
  for (const m of engineModules(fma)) {
    writeFileSync(join(dir, `${m.file}.wasm`), m.bytes);
    index[m.file] = { key: moduleKey(m.bytes), bytes: m.bytes.length };
  }
}
writeFileSync(join(dir, 'modules.json'), `${JSON.stringify(index, null, 2)}\n`);
