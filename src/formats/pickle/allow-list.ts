// The allow-list: the only globals a pickle may name. Each maps to a TypeScript entry; nothing
// is ever imported or looked up by name in a live module system. Anything else is refused.

import { argCount, asNumber, bad, BUILDERS, type GlobalEntry } from './globals-api.js';
import { codecsEncode, NUMPY_GLOBALS } from './numpy-globals.js';
import { TORCH_GLOBALS } from './torch-globals.js';
import { makeFrozenSet, PY_ATTRIBUTES, PyComplex, PyRecord, PySlice } from './values.js';

function iterableItems(x: unknown): unknown[] | undefined {
  if (Array.isArray(x)) return x;
  if (x instanceof Set) return [...x];
  return undefined;
}

const ORDERED_DICT: GlobalEntry = {
  returns: 'dict',
  builds: 'many',
  call: (a, ctx) => {
    argCount(ctx, 'OrderedDict', a, 0, 1);
    const m = new Map<unknown, unknown>();
    if (a.length === 1 && a[0] !== null) {
      const items = a[0] instanceof Map ? [...a[0]] : iterableItems(a[0]);
      if (!items) bad(ctx, 'OrderedDict', 'argument must be a list of pairs');
      for (const kv of items) {
        if (!Array.isArray(kv) || kv.length !== 2) bad(ctx, 'OrderedDict', 'items must be (key, value) pairs');
        m.set(kv[0], kv[1]);
      }
    }
    BUILDERS.set(m, (state) => { PY_ATTRIBUTES.set(m, state); return undefined; });
    return m;
  },
};

const SET = (frozen: boolean): GlobalEntry => ({
  returns: frozen ? 'frozenset' : 'set',
  call: (a, ctx) => {
    argCount(ctx, frozen ? 'frozenset' : 'set', a, 0, 1);
    const items = a.length ? iterableItems(a[0]) : [];
    if (!items) bad(ctx, frozen ? 'frozenset' : 'set', 'argument must be a list, tuple or set');
    const s = new Set(items);
    return frozen ? makeFrozenSet(s) : s;
  },
});

const BYTES: GlobalEntry = {
  returns: 'bytes',
  call: (a, ctx) => {
    argCount(ctx, 'bytes', a, 0, 2);
    if (a.length === 0) return new Uint8Array(0);
    if (a[0] instanceof Uint8Array) return a[0].slice();
    if (a.length === 1 && Array.isArray(a[0])) {
      const out = new Uint8Array(a[0].length);
      a[0].forEach((v, i) => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) bad(ctx, 'bytes', 'items must be ints in [0, 256)');
        out[i] = v;
      });
      return out;
    }
    return codecsEncode(a, ctx);
  },
};

const BUILTINS = new Map<string, GlobalEntry>([
  ['bytes', BYTES],
  ['set', SET(false)],
  ['frozenset', SET(true)],
  ['slice', {
    returns: 'object',
    call: (a, ctx) => { argCount(ctx, 'slice', a, 1, 3); return a.length === 1 ? new PySlice(null, a[0], null) : new PySlice(a[0], a[1], a[2] ?? null); },
  }],
  ['complex', {
    returns: 'object',
    call: (a, ctx) => {
      argCount(ctx, 'complex', a, 0, 2);
      return new PyComplex(a.length > 0 ? asNumber(ctx, 'complex', a[0], 'real') : 0, a.length > 1 ? asNumber(ctx, 'complex', a[1], 'imag') : 0);
    },
  }],
  ['bytearray', {
    returns: 'bytes',
    call: (a, ctx) => {
      argCount(ctx, 'bytearray', a, 0, 2);
      return BYTES.call!(a, ctx);
    },
  }],
]);

const ENTRIES = new Map<string, GlobalEntry>([
  ...TORCH_GLOBALS, ...NUMPY_GLOBALS,
  ['collections.OrderedDict', ORDERED_DICT],
  ['_codecs.encode', { returns: 'bytes', call: codecsEncode }],
]);
for (const [name, e] of BUILTINS) {
  ENTRIES.set(`builtins.${name}`, e);
  ENTRIES.set(`__builtin__.${name}`, e); // Python 2 spelling (protocol 0-2 with fix_imports)
}

/** Every allow-listed global's qualified name, sorted. */
export const ALLOWED_GLOBALS: readonly string[] = Object.freeze([...ENTRIES.keys()].sort());

export interface AllowOptions {
  /** Accept `__torch__.*` classes (TorchScript archives) as data-only records. */
  readonly torchScriptRecords?: boolean;
  /**
   * Extra classes (qualified names such as 'argparse.Namespace') to load as data-only PyRecords:
   * their arguments and BUILD state are kept as data, no constructor of theirs ever runs.
   */
  readonly recordClasses?: readonly string[];
}

const RECORD: GlobalEntry = {
  acceptsKeywords: true,
  returns: 'object',
  builds: 'many',
  call: (a, ctx, kwargs) => {
    const rec = new PyRecord(ctx.callee!, a, kwargs);
    BUILDERS.set(rec, (state) => { rec.state = state; return undefined; });
    return rec;
  },
};

/** A `__torch__` class: a RECORD, or an Enum member pickled as REDUCE(class, value). */
const TORCHSCRIPT_RECORD: GlobalEntry = { ...RECORD, acceptsBareScalar: true };

/** The entry for `module.name`, or undefined when the global is not allowed. */
export function lookupGlobal(module: string, name: string, opts: AllowOptions = {}): GlobalEntry | undefined {
  const e = ENTRIES.get(`${module}.${name}`);
  if (e) return e;
  if (opts.torchScriptRecords && isTorchScriptClass(module)) return TORCHSCRIPT_RECORD;
  if (opts.recordClasses?.includes(`${module}.${name}`)) return RECORD;
  return undefined;
}

export function isTorchScriptClass(module: string): boolean {
  return module === '__torch__' || module.startsWith('__torch__.');
}

export function isAllowedGlobal(module: string, name: string, opts: AllowOptions = {}): boolean {
  return lookupGlobal(module, name, opts) !== undefined;
}
