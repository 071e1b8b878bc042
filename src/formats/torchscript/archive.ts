// The TorchScript archive (torch.jit.save): a zip with <folder>/code/**.py, data.pkl (the module
// tree), constants.pkl (tensors and values the code names as CONSTANTS.cN), data/ and constants/
// storages, and `version` or `.data/version`. Pickles run through the SafeUnpickler, where
// `__torch__` classes are data-only records; code files are parsed when a class is first needed.

import { ModelFormatError } from '../../errors.js';
import { DEFAULT_LIMITS, type ResourceLimits } from '../../limits.js';
import { ZipArchive } from '../pickle/zip.js';
import { StorageHandle, storageClassDtype } from '../pickle/torch-globals.js';
import { Budget } from '../pickle/values.js';
import { describe } from '../pickle/globals-api.js';
import { unpickle } from '../pickle/vm.js';
import type { ClassDef, CodeModule, FunctionDef } from '../../ir/torchscript-ast.js';
import { parseCodeModule } from './parser.js';

export interface TorchScriptArchive {
  readonly prefix: string;
  readonly version: number;
  /** data.pkl's root value (a PyRecord tree). */
  readonly data: unknown;
  /** constants.pkl's tuple. */
  readonly constants: readonly unknown[];
  /** Qualified module names of every code file, e.g. '__torch__.torch.nn.modules.conv'. */
  readonly codeModules: readonly string[];
  codeModule(name: string): CodeModule | undefined;
  /** A class by qualified name ('__torch__.torch.nn.modules.conv.Conv2d'), parsing its file on demand. */
  findClass(qualifiedName: string): ClassDef | undefined;
  findFunction(qualifiedName: string): FunctionDef | undefined;
}

const decoder = new TextDecoder();

/**
 * Reads the archive's layout and pickles; code files are parsed on demand. `limits` bound the
 * pickles (maxMemoryBytes for bytes read and inflated, maxRecursionDepth for their nesting) and
 * the parser's nesting (maxRecursionDepth).
 */
export function readTorchScriptArchive(bytes: Uint8Array, limits: ResourceLimits = DEFAULT_LIMITS): TorchScriptArchive {
  const zip = new ZipArchive(bytes, 'torchscript');
  const budget = new Budget({ maxBytes: limits.maxMemoryBytes, maxDepth: limits.maxRecursionDepth });
  budget.chargeBytes(bytes.length, 'input');
  const names = zip.names();
  const dataPkl = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (dataPkl.length !== 1) throw new ModelFormatError(`torchscript: expected one <folder>/data.pkl, found ${dataPkl.length ? dataPkl.join(', ') : 'none'}`);
  const prefix = dataPkl[0]!.slice(0, -'data.pkl'.length);
  const versionName = [`${prefix}version`, `${prefix}.data/version`].find((n) => zip.has(n));
  if (!versionName) throw new ModelFormatError(`torchscript: neither ${prefix}version nor ${prefix}.data/version is present`);
  const version = Number(decoder.decode(zip.read(versionName, budget)).trim());
  if (!Number.isInteger(version)) throw new ModelFormatError(`torchscript: ${versionName} does not hold a number`);
  let bigEndian = false;
  if (zip.has(`${prefix}byteorder`)) bigEndian = decoder.decode(zip.read(`${prefix}byteorder`, budget)).trim() === 'big';

  const storages = new Map<string, StorageHandle>();
  const load = (part: string, dir: string): unknown => {
    const name = `${prefix}${part}`;
    const persistentLoad = (pid: unknown, pos: number): unknown => {
      const what = `${name}: persistent id at offset ${pos}`;
      if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') throw new ModelFormatError(`${what}: expected ('storage', type, key, location, numel)`);
      const dtype = storageClassDtype(pid[1]);
      if (!dtype) throw new ModelFormatError(`${what}: unsupported storage type`);
      const key = pid[2];
      if (typeof key !== 'string' || !/^[A-Za-z0-9_.][A-Za-z0-9_./]{0,200}$/.test(key) || key.split('/').includes('..')) {
        throw new ModelFormatError(`${what}: storage key ${typeof key === 'string' ? JSON.stringify(key.slice(0, 80)) : `(a ${describe(key)})`} is not a plain name`);
      }
      const member = [`${prefix}${dir}${key}`, `${prefix}${key}`, `${prefix}data/${key}`, `${prefix}.data/${key}`].find((n) => zip.has(n));
      if (!member) throw new ModelFormatError(`${what}: storage '${key}' has no member under ${prefix}${dir}`);
      const known = storages.get(member);
      if (known) return known;
      const data = zip.read(member, budget);
      const numel = Number(pid[4]);
      if (data.length < numel * dtype.size) throw new ModelFormatError(`${what}: storage '${key}' claims ${numel} element(s) but holds ${data.length} byte(s)`);
      const h = new StorageHandle({ key, dtype, bytes: data, bigEndian, location: typeof pid[3] === 'string' ? pid[3] : '' });
      storages.set(member, h);
      return h;
    };
    const bytesOf = zip.read(name, budget);
    const r = unpickle(bytesOf, 0, { torchScriptRecords: true, part: name, budget, persistentLoad });
    if (r.end !== bytesOf.length) throw new ModelFormatError(`${name}: ${bytesOf.length - r.end} byte(s) after STOP`);
    return r.value;
  };
  // constants before data: data.pkl may share storages with constants in newer writers.
  const constants = zip.has(`${prefix}constants.pkl`) ? load('constants.pkl', 'constants/') : [];
  if (!Array.isArray(constants)) throw new ModelFormatError(`${prefix}constants.pkl: expected a tuple of constants`);
  const data = load('data.pkl', 'data/');

  const codeFiles = new Map<string, string>();
  for (const n of names) {
    const m = /^code\/(.+)\.py$/.exec(n.slice(prefix.length));
    if (n.startsWith(prefix) && m) codeFiles.set(m[1]!.replace(/\//g, '.'), n);
  }
  const parsed = new Map<string, CodeModule>();
  const codeModule = (name: string): CodeModule | undefined => {
    const hit = parsed.get(name);
    if (hit) return hit;
    const file = codeFiles.get(name);
    if (!file) return undefined;
    const src = decoder.decode(zip.read(file, budget));
    const mod = parseCodeModule(src, file, name, limits.maxRecursionDepth);
    parsed.set(name, mod);
    return mod;
  };
  const split = (q: string): [string, string] => {
    const i = q.lastIndexOf('.');
    return [q.slice(0, i), q.slice(i + 1)];
  };
  return {
    prefix, version, data, constants, codeModules: [...codeFiles.keys()].sort(), codeModule,
    findClass: (q) => { const [m, n] = split(q); return codeModule(m)?.classes.get(n); },
    findFunction: (q) => { const [m, n] = split(q); return codeModule(m)?.functions.get(n); },
  };
}
