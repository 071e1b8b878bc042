// The Node entry point: everything in index.ts, plus reading model paths (and their
// external data files) from disk. Deno and Bun resolve this entry too.

import { readFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { ModelFormatError } from './errors.js';
import { checkLocation } from './formats/onnx/load.js';
import { setFileLoader } from './runtime/session.js';

export * from './index.js';

/** Reads a model and resolves external data relative to its folder, refusing paths that escape it. */
export async function readModelFile(path: string): Promise<{ bytes: Uint8Array; externalData: (loc: string) => Promise<Uint8Array> }> {
  const bytes = new Uint8Array(await readFile(path));
  const dir = resolve(dirname(path));
  return {
    bytes,
    externalData: async (loc) => {
      checkLocation(loc);
      const full = resolve(dir, loc);
      if (!full.startsWith(dir + sep)) throw new ModelFormatError(`external data '${loc}' resolves outside the model's folder`);
      try {
        return new Uint8Array(await readFile(full));
      } catch (e) {
        throw new ModelFormatError(`external data '${loc}' could not be read: ${(e as Error).message}`);
      }
    },
  };
}

setFileLoader(readModelFile);
