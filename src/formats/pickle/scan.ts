// scanPickle: lists every global a file references and every opcode it uses, and gives a verdict,
// without constructing anything. It runs the SafeUnpickler's own VM (vm.ts) with a scanning host:
// the same decoder and the same stack, memo, container and limit checks torchLoad makes, and the
// same zip/legacy layout and storage checks (torch-load.ts). Globals are recorded instead of
// resolved, allowed calls push placeholders of the kind they would return instead of building
// objects, and refusals are recorded rather than thrown so that every global is listed.
// So a file torchLoad refuses for its format is malformed here too, never SAFE.
//
// What a SAFE verdict does not cover: scan never runs an allow-listed constructor, so the checks
// those make on their own arguments (a tensor view inside its storage, a numpy dtype code, an
// OrderedDict's pairs) can still make torchLoad refuse a SAFE file with a ModelFormatError.

import { ModelFormatError, TesseraError } from '../../errors.js';
import type { AllowOptions } from './allow-list.js';
import { isTorchScriptClass } from './allow-list.js';
import { BUILDERS, type CallContext, type GlobalEntry } from './globals-api.js';
import { decodeOp, OPCODES, type OpClass } from './opcodes.js';
import { type MemberRole, notATorchFile, sniffContainer, zipMemberRoles } from './container.js';
import {
  LEGACY_MAGIC, legacyLayout, legacyPersistentLoad, type TorchZipLayout, torchZipLayout, zipPersistentLoad,
} from './torch-load.js';
import { Budget, makeFrozenSet, makeTuple, type TorchLoadLimits } from './values.js';
import { unpickle, type UnpickleHost } from './vm.js';
import { ZipArchive } from './zip.js';

export interface GlobalRef {
  readonly module: string;
  readonly name: string;
  readonly opcode: string;
  readonly offset: number;
  readonly allowed: boolean;
}

export interface PickleScan {
  /** Which part of the file (e.g. 'archive/data.pkl', 'pickle 1'). */
  readonly part: string;
  readonly start: number;
  /** Offset just past STOP, or past the last opcode decoded when the pickle is malformed. */
  readonly end: number;
  readonly protocol: number;
  readonly globals: GlobalRef[];
  /** Opcode name -> count. */
  readonly opcodes: Map<string, number>;
  /** The format or limit error that stopped this pickle: the message torchLoad gives for it. */
  readonly error?: string;
  /** Operations the VM refused other than globals (calling data, BUILD on data, EXT1, ...). */
  readonly refusals: string[];
  /** The value STOP yields (used to recognise the legacy magic number). */
  readonly literal?: unknown;
  /**
   * False for a pickle torchLoad never unpickles (one after STOP, a zip member other than
   * <folder>/data.pkl): its refusals still make the file unsafe, its format errors do not make it
   * malformed.
   */
  readonly loaded: boolean;
  /** bytes/bytearray values that start like a pickle (PROTO 2-5): data here, listed for a nested scan. */
  readonly embedded: ReadonlyArray<{ readonly offset: number; readonly bytes: Uint8Array }>;
}

export interface ScanReport {
  readonly format: 'zip' | 'legacy' | 'pickle' | 'not-pickle';
  readonly pickles: PickleScan[];
  /** Why the file is unsafe (for 'not-pickle': why it is not one); empty otherwise. */
  readonly reasons: string[];
  /** The first format or limit error, as torchLoad reports it (opcode and offset); absent when the file parses. */
  readonly malformed?: string;
  readonly notes: string[];
  /** 'unsafe' wins over 'malformed': a loader that runs opcodes as it reads would reach the refused ones first. */
  readonly verdict: 'safe' | 'unsafe' | 'malformed' | 'not-pickle';
}

export interface ScanOptions {
  /** The limits torchLoad would be given (same names, same defaults). */
  readonly limits?: TorchLoadLimits;
}

/** What a scan pushes for the result of an allowed call: only its kind is known. */
class Constructed {
  constructor(readonly qualname: string) {
    Object.freeze(this);
  }
}

/** A placeholder of the kind `entry` returns, accepting BUILD as the real result would. */
function placeholder(entry: GlobalEntry, args: readonly unknown[], ctx: CallContext): unknown {
  const q = ctx.callee?.qualname ?? '?';
  let v: unknown;
  switch (entry.returns) {
    case 'arg0': return args.length ? args[0] : new Constructed(q);
    case 'str': return '';
    case 'dict': v = new Map(); break;
    case 'tuple': v = makeTuple([]); break;
    case 'set': v = new Set(); break;
    case 'frozenset': v = makeFrozenSet(new Set()); break;
    case 'bytes': v = new Uint8Array(0); break;
    default: v = new Constructed(q);
  }
  const obj = v as object;
  if (entry.builds === 'many') BUILDERS.set(obj, () => undefined);
  else if (entry.builds === 'once') BUILDERS.set(obj, () => { BUILDERS.delete(obj); return new Constructed(q); });
  return v;
}

/** At most this many embedded pickles are listed per pickle. */
const MAX_EMBEDDED = 8;

/** Records one pickle's opcodes, globals and refusals while the VM runs it. */
class ScanRecorder {
  readonly globals: GlobalRef[] = [];
  readonly opcodes = new Map<string, number>();
  readonly refusals: string[] = [];
  readonly embedded: Array<{ offset: number; bytes: Uint8Array }> = [];
  protocol = 0;
  start = -1;
  end = -1;
  decoded = 0;
  readonly host: UnpickleHost;

  constructor(readonly part: string) {
    this.host = {
      onOpcode: (op) => {
        if (this.start < 0) this.start = op.pos;
        this.end = op.end;
        this.decoded++;
        this.opcodes.set(op.op.name, (this.opcodes.get(op.op.name) ?? 0) + 1);
        if (op.op.name === 'PROTO') this.protocol = op.arg as number;
        const a = op.arg;
        if (a instanceof Uint8Array && op.op.cls === 'string' && a.length > 2 && a[0] === 0x80 && a[1]! >= 2 && a[1]! <= 5 &&
          this.embedded.length < MAX_EMBEDDED) this.embedded.push({ offset: op.pos, bytes: a });
      },
      onGlobal: (module, name, allowed, opcode, offset) => {
        this.globals.push(typeof module === 'string' && typeof name === 'string'
          ? { module, name, opcode, offset, allowed }
          : { module: '?', name: '?', opcode, offset, allowed: false });
      },
      construct: (entry, args, ctx) => placeholder(entry, args, ctx),
      build: (builder, state, ctx) => builder(state, ctx),
      refuse: (e, kind) => {
        if (kind === 'operation') this.refusals.push(e.message);
      },
    };
  }

  result(start: number, error?: string, literal?: unknown, loaded = true): PickleScan {
    const s = this.start < 0 ? start : this.start;
    return {
      part: this.part, start: s, end: Math.max(this.end, s), protocol: this.protocol, globals: this.globals,
      opcodes: this.opcodes, refusals: this.refusals, ...(error !== undefined ? { error } : {}),
      ...(error === undefined ? { literal } : {}), loaded, embedded: this.embedded,
    };
  }
}

/** The message of a typed error; anything else is a bug in tessera and propagates. */
function typedMessage(e: unknown): string {
  if (e instanceof TesseraError) return e.message;
  throw e;
}

function scanWith(
  bytes: Uint8Array, start: number, part: string, budget: Budget, allow: AllowOptions,
  persistentLoad?: (pid: unknown, pos: number) => unknown, loaded = true,
): { scan: PickleScan; rec: ScanRecorder; failure?: TesseraError } {
  const rec = new ScanRecorder(part);
  try {
    const r = unpickle(bytes, start, { ...allow, part, budget, persistentLoad, host: rec.host });
    return { scan: rec.result(start, undefined, r.value, loaded), rec };
  } catch (e) {
    return { scan: rec.result(start, typedMessage(e), undefined, loaded), rec, failure: e as TesseraError };
  }
}

/**
 * Scans one pickle starting at `start`. Never throws for malformed input: the error is reported.
 * `persistentIds: 'placeholder'` accepts every persistent id as data (a loader other than
 * torchLoad resolves them); by default a persistent id is an error, as in a plain pickle.
 */
export function scanOnePickle(
  bytes: Uint8Array, start: number, part: string, torchScript = false, budget = new Budget(),
  persistentIds: 'error' | 'placeholder' = 'error',
): PickleScan {
  const pl = persistentIds === 'placeholder' ? () => new Constructed('persistent id') : undefined;
  return scanWith(bytes, start, part, budget, { torchScriptRecords: torchScript }, pl).scan;
}

/** Non-ASCII letters in a global's name: a lookalike of an allowed name (a Cyrillic 'о' in 'os'). */
function lookalike(s: string): string {
  const odd = [...s].filter((c) => c.charCodeAt(0) > 0x7e || c.charCodeAt(0) < 0x20);
  if (!odd.length) return '';
  const codes = [...new Set(odd)].slice(0, 4).map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
  return ` (its name has non-ASCII characters ${codes.join(' ')}: a lookalike?)`;
}

/** Why a pickle is unsafe: every global off the allow-list and every refused operation. */
export function unsafeReasons(s: PickleScan, reasons: string[]): void {
  for (const g of s.globals) {
    if (g.allowed) continue;
    if (g.module === '?') reasons.push(`${s.part}: STACK_GLOBAL at offset ${g.offset} names a global that is not a literal string`);
    else reasons.push(`${s.part}: ${g.module}.${g.name} (${g.opcode} at offset ${g.offset}) is not on the allow-list${lookalike(g.module + g.name)}`);
  }
  reasons.push(...s.refusals);
}

function report(
  format: ScanReport['format'], pickles: PickleScan[], notes: string[], malformed: string | undefined,
): ScanReport {
  const reasons: string[] = [];
  for (const p of pickles) unsafeReasons(p, reasons);
  const verdict = reasons.length ? 'unsafe' : malformed !== undefined ? 'malformed' : 'safe';
  return { format, pickles, reasons, notes, verdict, ...(malformed !== undefined ? { malformed } : {}) };
}

function notPickle(reason: string, pickles: PickleScan[] = []): ScanReport {
  return { format: 'not-pickle', pickles, reasons: [reason], notes: [], verdict: 'not-pickle' };
}

/**
 * True when the first opcode at `start` could not be decoded, or could not run for want of a stack
 * value, a MARK or a memo entry: the bytes never were a pickle
 * (text, images, ...) rather than a pickle gone bad. A protocol 2+ header makes it a pickle, and
 * so does a first opcode that only breaks a limit (a LONG of 100k digits).
 */
function failedAtFirstOpcode(bytes: Uint8Array, s: PickleScan, rec: ScanRecorder, failure?: TesseraError): boolean {
  if (!(failure instanceof ModelFormatError) || bytes[s.start] === 0x80) return false;
  if (s.refusals.length || s.globals.some((g) => !g.allowed)) return false; // refused before failing: unsafe
  if (rec.decoded === 0) return true;
  // A first opcode may fail for a reason of its own (a persistent id outside a torch container, a
  // missing out-of-band buffer, a frame longer than the file): that is a malformed pickle.
  if (rec.decoded > 1 || s.opcodes.has('PERSID') || s.opcodes.has('NEXT_BUFFER') || s.opcodes.has('FRAME')) return false;
  try {
    decodeOp(bytes, rec.end, s.part); // the second opcode decodes, so running the first one failed
    return true;
  } catch {
    return false;
  }
}

/**
 * The pickles after a STOP at `at` (at most 15). torchLoad stops at the first STOP, but a reader
 * that loads pickles one after another would run the next ones: their refused globals make the
 * file unsafe. Their own format errors do not matter (the bytes may be no pickle at all).
 */
export function scanAfterStop(bytes: Uint8Array, at: number, label: string, budget: Budget): PickleScan[] {
  const out: PickleScan[] = [];
  for (let k = 2; at < bytes.length && k <= 16; k++) {
    if (!OPCODES[bytes[at]!]) break;
    const s = scanWith(bytes, at, `${label} ${k} (after STOP)`, new Budget(budget.limits), {}, undefined, false).scan;
    out.push(s);
    if (s.error !== undefined) break;
    at = s.end;
  }
  return out;
}

/** Scans a torch.save zip, a legacy torch file or a plain pickle, as torchLoad would read it. */
export function scanPickle(bytes: Uint8Array, options: ScanOptions = {}): ScanReport {
  const budget = new Budget(options.limits);
  try {
    budget.chargeBytes(bytes.length, 'input');
  } catch (e) {
    return report('not-pickle', [], [], typedMessage(e));
  }
  return scanPickleIn(bytes, budget);
}

/** scanPickle within a budget already charged for `bytes` (a member of a container scanFile opened). */
export function scanPickleIn(bytes: Uint8Array, budget: Budget): ScanReport {
  const kind = sniffContainer(bytes);
  if (kind === 'zip') return scanZip(bytes, budget);
  const refusal = notATorchFile(kind);
  if (refusal !== undefined) return notPickle(refusal);
  const { scan: first, rec, failure } = scanWith(bytes, 0, 'pickle 1', budget, {});
  if (failedAtFirstOpcode(bytes, first, rec, failure)) return notPickle(first.error!, [first]);
  if (first.error === undefined && first.literal === LEGACY_MAGIC) return scanLegacy(bytes, first, budget);
  const pickles = [first];
  let malformed = first.error;
  let at = first.end;
  if (malformed === undefined && at < bytes.length) {
    malformed = `pickle: ${bytes.length - at} byte(s) after STOP at offset ${at - 1}`;
    pickles.push(...scanAfterStop(bytes, at, 'pickle', budget));
  }
  return report('pickle', pickles, [], malformed);
}

function scanLegacy(bytes: Uint8Array, first: PickleScan, budget: Budget): ScanReport {
  const recs: ScanRecorder[] = [];
  const hostFor = (part: string): UnpickleHost => {
    const r = new ScanRecorder(part);
    recs.push(r);
    return r.host;
  };
  let malformed: string | undefined;
  let tail = bytes.length;
  try {
    const layout = legacyLayout(bytes, first.end, budget, {}, hostFor);
    tail = layout.mainEnd;
    // Pass 2 as torchLoad runs it: every storage and view must exist (its globals are already listed).
    const part = 'legacy pickle';
    const r = unpickle(bytes, layout.mainStart, { part, budget, persistentLoad: legacyPersistentLoad(layout.roots, part), host: new ScanRecorder(part).host });
    if (r.end !== layout.mainEnd) throw new ModelFormatError(`${part}: the two passes disagree`);
  } catch (e) {
    malformed = typedMessage(e);
  }
  const pickles = [first, ...recs.map((r) => r.result(r.start))];
  const notes = malformed === undefined ? [`legacy format: the raw storage data after offset ${tail} is never executed`] : [];
  return report('legacy', pickles, notes, malformed);
}

/** The pickles of a zip, scanned as the loaders that read them would see them. */
export interface ZipPickles {
  readonly pickles: PickleScan[];
  /** torchLoad's refusal of the archive or of <folder>/data.pkl; absent when torchLoad reads it. */
  readonly malformed?: string;
  /** Format errors in pickles torchLoad never reads (TorchScript constants, other *.pkl members). */
  readonly unreadErrors: string[];
  readonly roles: ReadonlyMap<string, MemberRole>;
  readonly torchScript: boolean;
}

/**
 * Scans every member a loader unpickles: <folder>/data.pkl with torchLoad's storage checks (the
 * members chosen by zipMemberRoles, the function torchLoad's torchZipLayout uses too), and every
 * other pickle member with persistent ids taken as data.
 */
export function scanZipPickles(zip: ZipArchive, budget: Budget, options: { afterStop?: boolean } = {}): ZipPickles {
  const names = zip.names();
  const { roles, torchPrefix } = zipMemberRoles(names);
  let malformed: string | undefined;
  let layout: TorchZipLayout | undefined;
  try {
    layout = torchZipLayout(zip, budget);
  } catch (e) {
    malformed = typedMessage(e);
  }
  const torchScript = layout?.torchScript ?? names.some((n) => /^[^/]+\/constants\.pkl$/.test(n));
  const pickles: PickleScan[] = [];
  const unreadErrors: string[] = [];
  for (const [name, role] of roles) {
    if (role !== 'torch-pickle' && role !== 'pickle') continue;
    const main = name === layout?.part;
    const fail = (m: string): void => {
      if (main) malformed ??= m;
      else unreadErrors.push(m);
    };
    let data: Uint8Array;
    try {
      data = zip.read(name, budget);
    } catch (e) {
      fail(typedMessage(e));
      continue;
    }
    // data.pkl's persistent ids are torchLoad's storages; those of other members of a torch zip
    // (TorchScript constants) belong to the TorchScript loader and are only recorded; outside a
    // torch zip's folder no loader is known to resolve them, so they are an error, as in a plain pickle.
    const persistentLoad = main ? zipPersistentLoad(zip, layout!, budget)
      : torchPrefix !== undefined && name.startsWith(torchPrefix) ? () => new Constructed('persistent id') : undefined;
    const s = scanWith(data, 0, name, budget, { torchScriptRecords: torchScript }, persistentLoad, main).scan;
    pickles.push(s);
    if (s.error !== undefined) fail(s.error);
    else if (s.end !== data.length) {
      fail(`${name}: ${data.length - s.end} byte(s) after STOP at offset ${s.end - 1}`);
      if (options.afterStop) pickles.push(...scanAfterStop(data, s.end, `${name}: pickle`, budget));
    }
  }
  return { pickles, ...(malformed !== undefined ? { malformed } : {}), unreadErrors, roles, torchScript };
}

export const TORCHSCRIPT_NOTE = 'TorchScript archive: tessera loads __torch__ classes as data-only records and never runs code/; ' +
  "PyTorch's torch.jit.load compiles and runs code/ (e.g. __setstate__ methods), which this scan does not vet";

function scanZip(bytes: Uint8Array, budget: Budget): ScanReport {
  let zip: ZipArchive;
  try {
    zip = new ZipArchive(bytes, 'zip');
  } catch (e) {
    return report('zip', [], [], typedMessage(e));
  }
  const z = scanZipPickles(zip, budget);
  const notes: string[] = [];
  if (z.torchScript) notes.push(TORCHSCRIPT_NOTE);
  for (const e of z.unreadErrors) notes.push(`${e} (a member torchLoad never unpickles)`);
  const others = [...z.roles.values()].filter((r) => r !== 'torch-pickle' && r !== 'pickle').length;
  notes.push(`${others} non-pickle member(s) (raw storages and metadata) are never executed`);
  return report('zip', z.pickles, notes, z.malformed);
}

/** Opcode classes with the opcodes of each that a scan saw, for display. */
const CLASS_ORDER: readonly OpClass[] = [
  'global', 'call', 'persistent', 'extension', 'buffer', 'container', 'memo', 'string', 'scalar', 'stack', 'framing',
];

export function opcodeClasses(counts: Map<string, number>): Map<OpClass, Array<[string, number]>> {
  const out = new Map<OpClass, Array<[string, number]>>(CLASS_ORDER.map((c) => [c, []]));
  for (const op of OPCODES) {
    if (!op || !counts.has(op.name)) continue;
    out.get(op.cls)!.push([op.name, counts.get(op.name)!]);
  }
  for (const [c, l] of out) if (!l.length) out.delete(c);
  return out;
}

export { isTorchScriptClass };
