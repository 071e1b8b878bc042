// torch.load without Python: the zip format (any top folder, data.pkl, data/<key>, byteorder),
// the legacy format (magic, protocol, sys info, pickle, storage keys, raw storages) and plain
// pickles, all run through the SafeUnpickler.

import { ModelFormatError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import type { AllowOptions } from './allow-list.js';
import { describe } from './globals-api.js';
import { type StorageRef, type TorchDType } from './tensor-rebuild.js';
import { StorageHandle, storageClassDtype } from './torch-globals.js';
import { Budget, type TorchLoadLimits } from './values.js';
import { unpickle, type UnpickleHost } from './vm.js';
import { isTar, notATorchFile, sniffContainer, torchMainPickles } from './container.js';
import { ZipArchive } from './zip.js';

export interface TorchLoadOptions extends AllowOptions {
  /**
   * Raise (or lower) the safe defaults: maxBytes, maxDepth, maxMemo, maxObjects, maxSequenceLength,
   * maxTensorElements, or the shared ResourceLimits names (maxMemoryBytes -> maxBytes,
   * maxRecursionDepth -> maxDepth; see pickleLimits in values.ts for the whole mapping).
   */
  readonly limits?: TorchLoadLimits;
  /** Out-of-band buffers for protocol 5 NEXT_BUFFER. */
  readonly buffers?: readonly Uint8Array[];
  readonly tensorTable?: readonly Tensor[];
  /**
   * How allowed globals are constructed and refusals handled (LOAD_HOST when absent). For
   * scanPickle and tests; every allow-list check happens before a host is asked anything.
   */
  readonly host?: UnpickleHost;
}

export type TorchFileFormat = 'zip' | 'legacy' | 'pickle';

export { looksLikeTorchFile } from './container.js';

/** The pre-0.4 tar format (a ustar header), which torchLoad refuses. */
export const isTorchTar = isTar;

export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** Loads a torch.save file (or a plain pickle) into a tree of Maps, arrays, Tensors and scalars. */
export function torchLoad(bytes: Uint8Array, options: TorchLoadOptions = {}): unknown {
  return torchLoadWithFormat(bytes, options).value;
}

export function torchLoadWithFormat(bytes: Uint8Array, options: TorchLoadOptions = {}): { value: unknown; format: TorchFileFormat } {
  const budget = new Budget(options.limits);
  budget.chargeBytes(bytes.length, 'input');
  const kind = sniffContainer(bytes);
  if (kind === 'zip') return { value: loadZip(bytes, budget, options), format: 'zip' };
  const refusal = notATorchFile(kind);
  if (refusal !== undefined) throw new ModelFormatError(refusal);
  const first = unpickle(bytes, 0, { ...options, part: 'pickle', budget });
  if (first.value === LEGACY_MAGIC) return { value: loadLegacy(bytes, first.end, budget, options), format: 'legacy' };
  if (first.end !== bytes.length) {
    throw new ModelFormatError(`pickle: ${bytes.length - first.end} byte(s) after STOP at offset ${first.end - 1}`);
  }
  return { value: first.value, format: 'pickle' };
}

function safeKey(key: unknown, what: string): string {
  if (typeof key !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(key)) {
    throw new ModelFormatError(`${what}: storage key ${typeof key === 'string' ? JSON.stringify(key.slice(0, 80)) : `(a ${describe(key)})`} is not a plain name`);
  }
  return key;
}

export function storagePid(pid: unknown, what: string): { dtype: TorchDType; key: string; location: string; numel: number; view: unknown } {
  if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') {
    throw new ModelFormatError(`${what}: persistent id must be ('storage', type, key, location, numel), got ${describe(pid)}`);
  }
  const dtype = storageClassDtype(pid[1]);
  if (!dtype) throw new ModelFormatError(`${what}: ${describe(pid[1])} is not a supported storage type`);
  const numel = pid[4];
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw new ModelFormatError(`${what}: bad storage size ${String(numel)}`);
  return { dtype, key: safeKey(pid[2], what), location: typeof pid[3] === 'string' ? pid[3] : '', numel, view: pid[5] ?? null };
}

/** Where a torch zip keeps its pickle, and how its storages are laid out. */
export interface TorchZipLayout {
  /** The member holding the pickle, '<folder>/data.pkl'. */
  readonly part: string;
  readonly prefix: string;
  readonly bigEndian: boolean;
  readonly torchScript: boolean;
}

/** Finds the one <folder>/data.pkl and reads <folder>/byteorder; shared by torchLoad and scanPickle. */
export function torchZipLayout(zip: ZipArchive, budget: Budget): TorchZipLayout {
  const pkls = torchMainPickles(zip.names());
  if (pkls.length !== 1) {
    throw new ModelFormatError(`zip: expected one <folder>/data.pkl, found ${pkls.length ? pkls.join(', ') : 'none'}`);
  }
  const prefix = pkls[0]!.slice(0, -'data.pkl'.length);
  let bigEndian = false;
  if (zip.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`, budget)).trim();
    if (order !== 'little' && order !== 'big') throw new ModelFormatError(`zip: ${prefix}byteorder says '${order.slice(0, 20)}'`);
    bigEndian = order === 'big';
  }
  return { part: pkls[0]!, prefix, bigEndian, torchScript: zip.has(`${prefix}constants.pkl`) };
}

/** persistent_load for a torch zip: each id must name a storage member of the archive holding enough bytes. */
export function zipPersistentLoad(zip: ZipArchive, layout: TorchZipLayout, budget: Budget): (pid: unknown, pos: number) => unknown {
  const storages = new Map<string, StorageHandle>();
  return (pid, pos) => {
    const what = `${layout.part}: persistent id at offset ${pos}`;
    const s = storagePid(pid, what);
    const known = storages.get(s.key);
    if (known) {
      if (known.ref.dtype !== s.dtype && s.dtype.size !== 1 && known.ref.dtype.size !== 1) {
        throw new ModelFormatError(`${what}: storage '${s.key}' is used as both ${known.ref.dtype.torch} and ${s.dtype.torch}`);
      }
      return known;
    }
    const name = `${layout.prefix}data/${s.key}`;
    if (!zip.has(name)) throw new ModelFormatError(`${what}: storage member '${name}' is missing`);
    const data = zip.read(name, budget);
    if (data.length < s.numel * s.dtype.size) {
      throw new ModelFormatError(`${what}: storage '${s.key}' claims ${s.numel} ${s.dtype.torch} element(s) but holds ${data.length} byte(s)`);
    }
    const h = new StorageHandle({ key: s.key, dtype: s.dtype, bytes: data, bigEndian: layout.bigEndian, location: s.location });
    storages.set(s.key, h);
    return h;
  };
}

function loadZip(bytes: Uint8Array, budget: Budget, options: TorchLoadOptions): unknown {
  const zip = new ZipArchive(bytes, 'zip');
  const layout = torchZipLayout(zip, budget);
  const part = layout.part;
  const persistentLoad = zipPersistentLoad(zip, layout, budget);
  const data = zip.read(part, budget);
  const r = unpickle(data, 0, {
    ...options, torchScriptRecords: options.torchScriptRecords ?? layout.torchScript, part, budget, persistentLoad,
  });
  if (r.end !== data.length) throw new ModelFormatError(`${part}: ${data.length - r.end} byte(s) after STOP at offset ${r.end - 1}`);
  return r.value;
}

/** The legacy file around its main pickle: where that pickle lies and where each raw storage is. */
export interface LegacyLayout {
  readonly mainStart: number;
  readonly mainEnd: number;
  readonly roots: ReadonlyMap<string, StorageRef>;
}

/**
 * Reads a legacy file after its magic number: protocol version, sys_info, the main pickle (pass 1:
 * each storage's dtype, tensors deferred), the storage keys and the raw storages. Shared by
 * torchLoad and scanPickle; `hostFor` gives each of the four pickles its host (scanning).
 */
export function legacyLayout(
  bytes: Uint8Array, start: number, budget: Budget, options: TorchLoadOptions, hostFor?: (part: string) => UnpickleHost | undefined,
): LegacyLayout {
  const sub = (part: string, at: number) => unpickle(bytes, at, { part, budget, host: hostFor?.(part) ?? options.host });
  const version = sub('legacy protocol version', start);
  if (version.value !== LEGACY_PROTOCOL) throw new ModelFormatError(`legacy torch file: protocol version ${String(version.value)}, expected ${LEGACY_PROTOCOL}`);
  const sysInfo = sub('legacy sys_info', version.end);
  if (!(sysInfo.value instanceof Map)) throw new ModelFormatError('legacy torch file: sys_info is not a dict');
  const mainStart = sysInfo.end;
  const part = 'legacy pickle';
  // Pass 1: learn each storage's dtype (needed to find the raw storages after the pickle).
  const dtypes = new Map<string, TorchDType>();
  const dry = unpickle(bytes, mainStart, {
    ...options, part, budget: new Budget(budget.limits), host: hostFor?.(part) ?? options.host,
    persistentLoad: (pid, pos) => {
      const s = storagePid(pid, `${part}: persistent id at offset ${pos}`);
      const prev = dtypes.get(s.key);
      if (prev && prev !== s.dtype) throw new ModelFormatError(`${part}: storage '${s.key}' is used as both ${prev.torch} and ${s.dtype.torch}`);
      dtypes.set(s.key, s.dtype);
      return new StorageHandle({ key: s.key, dtype: s.dtype, bytes: new Uint8Array(0), bigEndian: false, location: s.location }, true);
    },
  });
  const keys = sub('legacy storage keys', dry.end);
  if (!Array.isArray(keys.value)) throw new ModelFormatError('legacy torch file: storage keys are not a list');
  const roots = new Map<string, StorageRef>();
  let p = keys.end;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const k of keys.value) {
    const key = safeKey(k, 'legacy storage keys');
    const dtype = dtypes.get(key);
    if (!dtype) throw new ModelFormatError(`legacy torch file: storage '${key}' is listed but never referenced`);
    if (bytes.length - p < 8) throw new ModelFormatError(`legacy torch file: storage '${key}' header truncated at offset ${p}`);
    const numel = dv.getBigInt64(p, true);
    p += 8;
    const nbytes = numel * BigInt(dtype.size);
    if (numel < 0n || nbytes > BigInt(bytes.length - p)) {
      throw new ModelFormatError(`legacy torch file: storage '${key}' claims ${numel} element(s), ${bytes.length - p} byte(s) remain at offset ${p}`);
    }
    roots.set(key, { key, dtype, bytes: bytes.subarray(p, p + Number(nbytes)), bigEndian: false, location: '' });
    p += Number(nbytes);
  }
  if (p !== bytes.length) throw new ModelFormatError(`legacy torch file: ${bytes.length - p} byte(s) after the last storage`);
  return { mainStart, mainEnd: dry.end, roots };
}

/** persistent_load for pass 2 of a legacy file: every storage (or view of one) with its bytes. */
export function legacyPersistentLoad(roots: ReadonlyMap<string, StorageRef>, part: string): (pid: unknown, pos: number) => unknown {
  const handles = new Map<string, StorageHandle>();
  return (pid, pos) => {
    const what = `${part}: persistent id at offset ${pos}`;
    const s = storagePid(pid, what);
    const root = roots.get(s.key);
    if (!root) throw new ModelFormatError(`${what}: storage '${s.key}' has no data`);
    if (s.view === null) {
      let h = handles.get(s.key);
      if (!h) handles.set(s.key, (h = new StorageHandle(root)));
      return h;
    }
    const v = s.view;
    if (!Array.isArray(v) || v.length !== 3 || typeof v[1] !== 'number' || typeof v[2] !== 'number') {
      throw new ModelFormatError(`${what}: bad storage view metadata`);
    }
    const [off, size] = [v[1], v[2]].map((x) => x * s.dtype.size) as [number, number];
    if (off < 0 || size < 0 || off + size > root.bytes.length) throw new ModelFormatError(`${what}: storage view lies outside storage '${s.key}'`);
    return new StorageHandle({ ...root, bytes: root.bytes.subarray(off, off + size) });
  };
}

function loadLegacy(bytes: Uint8Array, start: number, budget: Budget, options: TorchLoadOptions): unknown {
  const { mainStart, mainEnd, roots } = legacyLayout(bytes, start, budget, options);
  const part = 'legacy pickle';
  // Pass 2: the real load, with every storage in hand.
  const r = unpickle(bytes, mainStart, { ...options, part, budget, persistentLoad: legacyPersistentLoad(roots, part) });
  if (r.end !== mainEnd) throw new ModelFormatError(`${part}: the two passes disagree`);
  return r.value;
}
