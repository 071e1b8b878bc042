// scanFile: `tessera scan` for any file that may carry pickles. It finds the container first
// (sniffContainer: the same function torchLoad dispatches on), opens what it can (npy, npz, torch
// zip, any zip, tar including torch.save's legacy tar format, raw and legacy torch pickles), scans
// every pickle inside with scanPickle's VM, and says plainly what it cannot open (7z, compressed
// streams, encrypted zip members). Three verdicts:
//   safe           every pickle a loader would unpickle names only allow-listed globals and was read to its end;
//   unsafe         some pickle names a global off the allow-list or asks for a refused operation (reasons listed);
//   cannot-verify  nothing unsafe was seen, but some part could not be read (7z, encrypted, malformed, a limit).
// Nothing is executed or constructed; sizes, counts and nesting are bounded (Budget, MAX_NESTING).

import { TesseraError } from '../../errors.js';
import { readNpyHeader } from '../npy/npy.js';
import { sniffContainer, UNOPENABLE } from './container.js';
import {
  type PickleScan, scanAfterStop, scanOnePickle, scanPickleIn, scanZipPickles, TORCHSCRIPT_NOTE, unsafeReasons,
} from './scan.js';
import { tarMembers, type TarMember } from './tar.js';
import { storageClassDtype } from './torch-globals.js';
import { Budget, type TorchLoadLimits } from './values.js';
import { ZipArchive } from './zip.js';

export type ScanVerdict = 'safe' | 'unsafe' | 'cannot-verify';

/** One part of the file: the file itself, a zip or tar member, or a stretch of a member. */
export interface ScannedPart {
  /** 'archive/data.pkl', 'x.npy', or the file's own label for a top-level pickle. */
  readonly name: string;
  /** What it is and whether a loader unpickles it. */
  readonly what: string;
  readonly pickles: PickleScan[];
}

export interface FileScan {
  /** The outer container: 'torch.save zip archive', 'npz archive', 'numpy .npy file', '7z archive', ... */
  readonly container: string;
  readonly parts: ScannedPart[];
  readonly verdict: ScanVerdict;
  /** Why it is unsafe (empty unless unsafe). */
  readonly reasons: string[];
  /** What could not be inspected, and why (reported whatever the verdict). */
  readonly unverified: string[];
  readonly notes: string[];
}

export interface ScanFileOptions {
  /** The limits torchLoad would be given (same names, same defaults). */
  readonly limits?: TorchLoadLimits;
}

/** Containers inside containers (a zip in a zip) are opened this deep; deeper ones cannot be verified. */
const MAX_NESTING = 4;

function message(e: unknown): string {
  if (e instanceof TesseraError) return e.message;
  throw e;
}

/** Collects parts, reasons, unverifiable parts and notes as the scan walks the file. */
class Findings {
  readonly parts: ScannedPart[] = [];
  readonly reasons: string[] = [];
  readonly unverified: string[] = [];
  readonly notes: string[] = [];

  constructor(readonly budget: Budget) {}

  /** Records a part's pickles: their refusals make the file unsafe; their embedded pickles are listed. */
  addPart(name: string, what: string, pickles: PickleScan[], prefix: string): void {
    this.parts.push({ name, what, pickles });
    for (const p of pickles) {
      const rs: string[] = [];
      unsafeReasons(p, rs);
      this.reasons.push(...rs.map((r) => prefix + r));
      for (const e of p.embedded) this.embedded(p, e.offset, e.bytes, prefix);
    }
  }

  /** A pickle inside a bytes value is data to the pickle holding it: scanned, reported, never counted. */
  private embedded(p: PickleScan, offset: number, bytes: Uint8Array, prefix: string): void {
    const s = scanOnePickle(bytes, 0, `${p.part}: bytes at offset ${offset}`, false, new Budget(this.budget.limits), 'placeholder');
    const names = [...new Set(s.globals.map((g) => `${g.module}.${g.name}${g.allowed ? '' : ' (not allowed)'}`))];
    const refused = s.refusals.length ? `; ${s.refusals.length} refused operation(s)` : '';
    this.notes.push(`${prefix}${p.part}: the bytes value at offset ${offset} holds a nested pickle` +
      ` (globals: ${names.length ? names.join(', ') : 'none'}${refused}${s.error !== undefined ? '; malformed' : ''}). ` +
      'It is data to this file\'s loader, never unpickled by it, so it does not count in the verdict; ' +
      'code that unpickles that value later would run it');
  }
}

/** Scans any file; never throws for bad input (only for a bug in tessera). */
export function scanFile(bytes: Uint8Array, options: ScanFileOptions = {}): FileScan {
  const f = new Findings(new Budget(options.limits));
  let container: string;
  try {
    f.budget.chargeBytes(bytes.length, 'input');
    container = scanBytes(bytes, '', f, 0, false);
  } catch (e) {
    f.unverified.push(message(e));
    container = 'unread';
  }
  const verdict: ScanVerdict = f.reasons.length ? 'unsafe' : f.unverified.length ? 'cannot-verify' : 'safe';
  return { container, parts: f.parts, verdict, reasons: f.reasons, unverified: f.unverified, notes: f.notes };
}

/**
 * Scans `bytes` (the file, or a member named `name`) and returns what container it is.
 * `sniffed`: the member has no role that says it is a pickle, so bytes that are not a pickle are
 * plain data rather than a failure.
 */
function scanBytes(bytes: Uint8Array, name: string, f: Findings, depth: number, sniffed: boolean): string {
  const prefix = name ? `${name}: ` : '';
  const kind = sniffContainer(bytes);
  const cannot = UNOPENABLE[kind];
  if (cannot !== undefined) {
    f.unverified.push(prefix + cannot);
    return cannot.split(':')[0]!;
  }
  if (depth > MAX_NESTING && kind !== 'pickle' && kind !== 'npy') {
    f.unverified.push(`${prefix}a ${kind} nested more than ${MAX_NESTING} containers deep is not opened`);
    return kind;
  }
  switch (kind) {
    case 'npy': return scanNpy(bytes, name, f);
    case 'zip': return scanZipFile(bytes, name, f, depth);
    case 'tar': return scanTar(bytes, name, f, depth);
    default: return scanRawPickle(bytes, name, f, sniffed);
  }
}

const FORMAT_NAMES = { zip: 'torch.save zip archive', legacy: 'legacy torch.save file', pickle: 'plain pickle', 'not-pickle': 'not a pickle' };

function scanRawPickle(bytes: Uint8Array, name: string, f: Findings, sniffed: boolean): string {
  const prefix = name ? `${name}: ` : '';
  const r = scanPickleIn(bytes, f.budget);
  // A member with no role that says it is a pickle, not starting with PROTO, and failing to parse
  // without naming a global or a refused operation, is taken as data (an image whose first bytes
  // happen to be opcodes): without a global nothing in it could run.
  if (sniffed && r.verdict === 'malformed' && bytes[0] !== 0x80) {
    f.parts.push({ name, what: 'data (not a pickle, npy, zip or tar; no loader unpickles it)', pickles: [] });
    f.notes.push(`${prefix}read as data: as a pickle it fails (${r.malformed}) without naming a refused global`);
    return FORMAT_NAMES['not-pickle'];
  }
  if (r.verdict === 'not-pickle') {
    if (sniffed) {
      f.parts.push({ name, what: 'data (not a pickle, npy, zip or tar; no loader unpickles it)', pickles: [] });
    } else {
      f.unverified.push(`${prefix}not a pickle, nor a container tessera knows (npy, npz, zip, tar): ${r.reasons[0] ?? 'no pickle found'}`);
    }
    return FORMAT_NAMES['not-pickle'];
  }
  const what = r.format === 'legacy' ? 'legacy torch.save file: four pickles then raw storages; torch.load unpickles all four' : 'pickle: pickle.load and torch.load unpickle it';
  f.addPart(name || 'file', what, r.pickles, prefix);
  if (r.malformed !== undefined) f.unverified.push(prefix + r.malformed);
  for (const n of r.notes) f.notes.push(prefix + n);
  return FORMAT_NAMES[r.format];
}

function scanNpy(bytes: Uint8Array, name: string, f: Findings): string {
  const part = name || '.npy file';
  const prefix = name ? `${name}: ` : '';
  let h;
  try {
    h = readNpyHeader(bytes, part);
  } catch (e) {
    f.unverified.push(message(e));
    return 'numpy .npy file';
  }
  const shape = `[${h.dims.join(', ')}]`;
  if (!h.objects) {
    f.parts.push({ name: part, what: `numpy array ${h.descr.slice(0, 80)} ${shape}: raw numbers, never unpickled`, pickles: [] });
    return 'numpy .npy file';
  }
  const s = scanOnePickle(bytes, h.dataStart, `${part} (object array pickle)`, false, f.budget);
  f.addPart(part, `numpy object array ${h.descr.slice(0, 80)} ${shape}: numpy.load(allow_pickle=True) unpickles its data at offset ${h.dataStart}`, [s], '');
  if (s.error !== undefined) f.unverified.push(s.error);
  else if (s.end < bytes.length) {
    f.notes.push(`${prefix}${bytes.length - s.end} byte(s) after the object array's pickle, which numpy never reads`);
    const after = scanAfterStop(bytes, s.end, `${part} (object array) pickle`, f.budget);
    if (after.length) f.addPart(part, 'pickles after the object array\'s STOP: a reader that loads pickles one after another runs them', after, '');
  }
  return 'numpy .npy file (object array)';
}

function scanZipFile(bytes: Uint8Array, name: string, f: Findings, depth: number): string {
  const prefix = name ? `${name}: ` : '';
  let zip: ZipArchive;
  try {
    zip = new ZipArchive(bytes, name || 'zip', { listEncrypted: true });
  } catch (e) {
    f.unverified.push(prefix + message(e));
    return 'zip archive';
  }
  const z = scanZipPickles(zip, f.budget, { afterStop: true });
  const roles = z.roles;
  const all = [...roles.values()];
  const torch = all.includes('torch-pickle');
  const npz = !torch && all.length > 0 && all.every((r) => r === 'npy');
  const container = torch ? (z.torchScript ? 'TorchScript zip archive' : 'torch.save zip archive') : npz ? 'npz archive (numpy.savez)' : 'zip archive';
  for (const p of z.pickles) {
    const what = !p.loaded && !roles.has(p.part) ? 'a pickle after STOP: a reader that loads pickles one after another runs it'
      : roles.get(p.part) === 'torch-pickle' ? 'torch pickle: torch.load unpickles it' : 'pickle member: a loader that reads this member unpickles it';
    f.addPart(p.part, what, [p], prefix);
  }
  if (torch && z.malformed !== undefined) f.unverified.push(prefix + z.malformed);
  for (const e of z.unreadErrors) f.unverified.push(prefix + e);
  if (z.torchScript) f.notes.push(prefix + TORCHSCRIPT_NOTE);
  const quiet = new Map<string, number>();
  for (const [member, role] of roles) {
    if (zip.isEncrypted(member)) {
      f.unverified.push(`${prefix}${member}: encrypted zip member; tessera cannot inspect it`);
      continue;
    }
    if (role === 'torch-pickle' || role === 'pickle') continue;
    if (role === 'storage' || role === 'metadata' || role === 'code') {
      quiet.set(role, (quiet.get(role) ?? 0) + 1);
      continue;
    }
    let data: Uint8Array;
    try {
      data = zip.read(member, f.budget);
    } catch (e) {
      f.unverified.push(prefix + message(e));
      continue;
    }
    // numpy reads an .npy member by its magic and hands back any other member as bytes, so a member
    // whose bytes are neither a container nor a pickle is data.
    scanBytes(data, prefix + member, f, depth + 1, true);
  }
  const said: Record<string, string> = { storage: 'raw storage', metadata: 'metadata', code: 'TorchScript source' };
  if (quiet.size) {
    f.notes.push(`${prefix}${[...quiet].map(([r, n]) => `${n} ${said[r]} member(s)`).join(', ')}: read as bytes or text, never unpickled`);
  }
  return container;
}

/** torch.save's legacy tar: sys_info and pickle are pickles; storages and tensors interleave pickles with raw data. */
const LEGACY_TAR_MEMBERS = new Set(['sys_info', 'pickle', 'storages', 'tensors']);

function scanTar(bytes: Uint8Array, name: string, f: Findings, depth: number): string {
  const prefix = name ? `${name}: ` : '';
  let members: TarMember[];
  try {
    members = tarMembers(bytes, name || 'tar');
  } catch (e) {
    f.unverified.push(prefix + message(e));
    return 'tar archive';
  }
  const legacy = members.some((m) => m.name === 'pickle') && members.every((m) => LEGACY_TAR_MEMBERS.has(m.name));
  for (const m of members) {
    const label = `${prefix}${m.name}`;
    if (!legacy) {
      scanBytes(m.data, label, f, depth + 1, true);
    } else if (m.name === 'storages' || m.name === 'tensors') {
      walkLegacyTarMember(m, label, f);
    } else {
      const s = scanOnePickle(m.data, 0, label, false, f.budget, 'placeholder');
      f.addPart(label, 'pickle: torch.load of the tar format unpickles it', [s], '');
      if (s.error !== undefined) f.unverified.push(s.error);
      else if (s.end !== m.data.length) {
        f.unverified.push(`${label}: ${m.data.length - s.end} byte(s) after STOP at offset ${s.end - 1}`);
        const after = scanAfterStop(m.data, s.end, `${label}: pickle`, f.budget);
        if (after.length) f.addPart(label, 'pickles after STOP: a reader that loads pickles one after another runs them', after, '');
      }
    }
  }
  return legacy ? 'legacy torch.save tar archive (torchLoad refuses this format; scanned anyway)' : 'tar archive';
}

/**
 * Walks 'storages' (a count; per storage a (key, location, storage type) pickle, an int64 element
 * count and the raw bytes; then a storage-views pickle) or 'tensors' (a count; per tensor a
 * (key, storage id, type) pickle, then ndim, sizes, strides and offset as binary), scanning each
 * pickle as torch's legacy_load reads them.
 */
function walkLegacyTarMember(m: TarMember, label: string, f: Findings): void {
  const d = m.data;
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const pickles: PickleScan[] = [];
  let at = 0;
  const next = (what: string): PickleScan => {
    const s = scanOnePickle(d, at, `${label} ${what}`, false, f.budget, 'placeholder');
    pickles.push(s);
    if (s.error !== undefined) throw new Stop(s.error);
    at = s.end;
    return s;
  };
  const need = (n: number, what: string): void => {
    if (n > d.length - at) throw new Stop(`${label}: ${what} at offset ${at} needs ${n} byte(s), ${d.length - at} remain`);
  };
  try {
    const count = next('count').literal;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0 || count > d.length) {
      throw new Stop(`${label}: the count pickle holds ${typeof count === 'number' ? count : `a ${typeof count}`}, not a small count`);
    }
    for (let i = 0; i < count; i++) {
      const rec = next(`record ${i}`).literal;
      if (m.name === 'storages') {
        const dtype = Array.isArray(rec) ? storageClassDtype(rec[2]) : undefined;
        if (!dtype) throw new Stop(`${label}: record ${i} is not (key, location, storage type)`);
        need(8, 'storage size');
        const numel = dv.getBigInt64(at, true);
        const nbytes = numel * BigInt(dtype.size);
        if (numel < 0n || nbytes > BigInt(d.length - at - 8)) throw new Stop(`${label}: storage ${i} claims ${numel} element(s) at offset ${at}`);
        at += 8 + Number(nbytes);
      } else {
        need(8, 'tensor header');
        const ndim = dv.getInt32(at, true);
        if (ndim < 0 || ndim > 64) throw new Stop(`${label}: tensor ${i} has ndim ${ndim} at offset ${at}`);
        need(8 + 16 * ndim + 8, 'tensor geometry');
        at += 8 + 16 * ndim + 8;
      }
    }
    if (m.name === 'storages') next('storage views');
    if (at !== d.length) throw new Stop(`${label}: ${d.length - at} byte(s) after the last record at offset ${at}`);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    f.unverified.push(e.message);
  }
  f.addPart(label, 'pickles interleaved with raw storage data: torch.load of the tar format unpickles each', pickles, '');
}

/** Ends a walk of a legacy tar member at the first thing that does not fit its layout. */
class Stop extends Error {}
