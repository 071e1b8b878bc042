// Where the ONNX backend test data comes from: the copy vendored in this repository
// (onnx-backend-tests/suite.tar.gz, read whole with fflate: one file in git, ~0.5 s to open), or a
// folder or archive named by TESSERA_ONNX_TESTS / `npm run conformance -- PATH` (a newer copy of the
// official suite: a folder holding node/, simple/, pytorch-converted/, pytorch-operator/).

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'fflate';

export interface SuiteSource {
  /** Where the data was read from, for messages. */
  readonly origin: string;
  /** Whether this is the copy vendored in the repository (the one the pass list describes). */
  readonly vendored: boolean;
  /** The `test_*` case names in one folder, sorted. */
  cases(folder: string): string[];
  /** A file by its path inside the suite, e.g. `node/test_abs/model.onnx`; undefined when absent. */
  read(path: string): Uint8Array | undefined;
}

const here = dirname(fileURLToPath(import.meta.url));
/** Repo root, from either test/conformance (tsx, vitest) or dist/test/conformance (built). */
const root = [resolve(here, '../..'), resolve(here, '../../..')].find((p) => existsSync(join(p, 'package.json')))!;
export const VENDORED_ARCHIVE = join(root, 'test/conformance/onnx-backend-tests/suite.tar.gz');

class FolderSource implements SuiteSource {
  readonly vendored = false;
  constructor(readonly origin: string) {}
  cases(folder: string): string[] {
    const dir = join(this.origin, folder);
    return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('test_')).sort() : [];
  }
  read(path: string): Uint8Array | undefined {
    const full = join(this.origin, path);
    return existsSync(full) ? new Uint8Array(readFileSync(full)) : undefined;
  }
}

class ArchiveSource implements SuiteSource {
  private readonly files: Map<string, Uint8Array>;
  private readonly folders = new Map<string, Set<string>>();
  constructor(readonly origin: string, readonly vendored: boolean) {
    const raw = new Uint8Array(readFileSync(origin));
    const tar = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
    this.files = readTar(tar, origin);
    for (const path of this.files.keys()) {
      const [folder, name] = path.split('/');
      if (folder && name?.startsWith('test_')) {
        let set = this.folders.get(folder);
        if (!set) this.folders.set(folder, (set = new Set()));
        set.add(name);
      }
    }
  }
  cases(folder: string): string[] {
    return [...(this.folders.get(folder) ?? [])].sort();
  }
  read(path: string): Uint8Array | undefined {
    return this.files.get(path);
  }
}

/** The regular files of a ustar archive (GNU long names and pax path records accepted), by path. */
export function readTar(tar: Uint8Array, origin: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const text = (at: number, len: number) => {
    let end = at;
    while (end < at + len && tar[end] !== 0) end++;
    return new TextDecoder().decode(tar.subarray(at, end));
  };
  let pos = 0;
  let longName: string | undefined;
  while (pos + 512 <= tar.length) {
    if (tar.subarray(pos, pos + 512).every((b) => b === 0)) break; // end of archive
    const sizeField = text(pos + 124, 12).trim();
    const size = parseInt(sizeField || '0', 8);
    if (!Number.isSafeInteger(size) || size < 0 || pos + 512 + size > tar.length) {
      throw new Error(`${origin}: tar header at offset ${pos} has a bad size '${sizeField}'`);
    }
    const type = String.fromCharCode(tar[pos + 156] || 0x30);
    const prefix = text(pos + 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(pos, 100)}` : text(pos, 100));
    longName = undefined;
    const body = tar.subarray(pos + 512, pos + 512 + size);
    if (type === 'L') longName = new TextDecoder().decode(body).replace(/\0+$/, '');
    else if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(body))?.[1];
    else if (type === '0' || type === '7') files.set(name.replace(/^\.\//, ''), body);
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Opens the suite at `location` (a folder or a .tar/.tar.gz), by default the vendored copy. */
export function openSuite(location?: string): SuiteSource {
  const path = location ?? process.env.TESSERA_ONNX_TESTS ?? VENDORED_ARCHIVE;
  if (!existsSync(path)) {
    throw new Error(path === VENDORED_ARCHIVE
      ? `the vendored ONNX backend test data is missing: ${path} (it is part of the repository; is the clone complete?)`
      : `no ONNX backend test data at ${path} (expected a folder with node/, simple/, ... or a .tar.gz of one)`);
  }
  if (statSync(path).isDirectory()) return new FolderSource(resolve(path));
  return new ArchiveSource(resolve(path), resolve(path) === VENDORED_ARCHIVE);
}

let opened: SuiteSource | undefined;
/** The suite every runner in this process uses (opened on first use). */
export function suite(): SuiteSource {
  return (opened ??= openSuite());
}
/** Makes `source` the suite for this process (the report script's PATH argument). */
export function useSuite(source: SuiteSource): void {
  opened = source;
}
