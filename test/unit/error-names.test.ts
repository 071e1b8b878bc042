// Error classes keep their names after minification (issue 13): a minifying bundler renames
// classes, so a name taken from the constructor (new.target.name) would become 'e' or 'Tt'. The
// public entry is bundled and minified by esbuild here, and each error class made from the bundle
// must still say its own name.

import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ERRORS = [
  'TesseraError', 'ModelFormatError', 'UnsupportedOpError', 'ShapeError', 'GraphError', 'ResourceLimitError', 'AbortError',
  'WorkerError', 'BackendUnavailableError', 'ExecutionError', 'InvalidArgumentError', 'InvalidNodeError', 'UnsafePickleError', 'TorchScriptError',
];

describe('error names survive minification', () => {
  it('every public error class of a minified bundle of the entry names itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-min-'));
    try {
      const out = join(dir, 'tessera.min.mjs');
      await build({
        entryPoints: [resolve(import.meta.dirname, '../../src/index.ts')], bundle: true, minify: true, format: 'esm',
        platform: 'neutral', mainFields: ['module', 'main'], outfile: out, logLevel: 'silent',
      });
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      const mod = await import(pathToFileURL(out).href) as Record<string, new (m: string) => Error>;
      const missing = ERRORS.filter((n) => typeof mod[n] !== 'function');
      expect(missing).toEqual([]);
      for (const n of ERRORS) expect(new mod[n]!('x').name, n).toBe(n);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
