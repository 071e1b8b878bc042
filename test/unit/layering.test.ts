// The layers of ARCHITECTURE.md, kept by a test: no relative import runs against the arrows
// kernels <- core <- formats, ops <- runtime <- API <- cli. The known exceptions are listed with
// what would remove them; the list may only shrink.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

type Layer = 'kernels' | 'core' | 'formats' | 'ops' | 'runtime' | 'api' | 'cli';
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  kernels: ['kernels'],
  core: ['core', 'kernels'],
  formats: ['formats', 'core', 'kernels'],
  // ops sit above formats (ARCHITECTURE.md): ImageDecoder reads image files with src/formats/image.
  ops: ['ops', 'formats', 'core', 'kernels'],
  runtime: ['runtime', 'ops', 'core', 'kernels'],
  api: ['api', 'runtime', 'formats', 'ops', 'core', 'kernels'],
  cli: ['cli', 'api', 'runtime', 'formats', 'ops', 'core', 'kernels'],
};

function layerOf(file: string): Layer {
  if (file.startsWith('kernels/')) return 'kernels';
  if (file.startsWith('ops/')) return 'ops';
  if (file.startsWith('src/cli/')) return 'cli';
  if (file.startsWith('src/formats/')) return 'formats';
  if (file.startsWith('src/runtime/')) return 'runtime';
  // The package's entries: the main one and the Node one, and 'tessera/torchscript', 'tessera/pickle'.
  if (['src/index.ts', 'src/node.ts', 'src/torchscript.ts', 'src/pickle.ts'].includes(file) || file.startsWith('src/api/') || file.startsWith('src/serve/')) return 'api';
  return 'core'; // src/*.ts, src/ir/
}

/** Imports that still run the wrong way, each with what removes it. Shrink this list; never grow it. */
const KNOWN: ReadonlyMap<string, string> = new Map([
  ['src/runtime/torchscript/module.ts -> src/formats/torchscript/archive.ts', 'loadTorchScript(bytes) is API: it ties the archive reader to the interpreter'],
  ['src/runtime/torchscript/module.ts -> src/formats/torchscript/objects.ts', 'the same'],
  ['src/runtime/torchscript/runtime.ts -> src/formats/torchscript/archive.ts', 'the runtime should take the archive\'s parsed contents, not its reader\'s type'],
]);

describe('layering', () => {
  it('no relative import runs against the layers, except the listed ones', () => {
    const files = execFileSync('git', ['ls-files', 'src', 'ops', 'kernels'], { cwd: root, encoding: 'utf8' })
      .split('\n').filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(200);
    const wrong: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(root, f), 'utf8');
      for (const m of text.matchAll(/^(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm)) {
        const target = normalize(join(dirname(f), m[1]!)).replace(/\.js$/, '.ts');
        if (!MAY_IMPORT[layerOf(f)].includes(layerOf(target))) wrong.push(`${f} -> ${target}`);
      }
    }
    const unknown = wrong.filter((w) => !KNOWN.has(w));
    expect(unknown, 'imports against the layers (see ARCHITECTURE.md)').toEqual([]);
    const fixed = [...KNOWN.keys()].filter((k) => !wrong.includes(k));
    expect(fixed, 'fixed: remove these from KNOWN').toEqual([]);
  });
  it('code outside src/cli and src/node.ts imports no node: module (web-standard APIs only)', () => {
    const files = execFileSync('git', ['ls-files', 'src', 'ops', 'kernels'], { cwd: root, encoding: 'utf8' })
      .split('\n').filter((f) => f.endsWith('.ts') && !f.startsWith('src/cli/') && f !== 'src/node.ts');
    const nodeImports = files.filter((f) => /from\s+'node:/.test(readFileSync(join(root, f), 'utf8')));
    expect(nodeImports).toEqual([]);
  });
});
