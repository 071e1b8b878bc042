// The hostile corpus: each entry is written opcode by opcode and must be refused with a typed
// error, in bounded time and memory, by torchLoad; `scan` is what scanPickle must conclude.

import { deflateSync } from 'fflate';
import { ModelFormatError, ResourceLimitError, type TesseraError, UnsafePickleError } from '../../../src/errors.js';
import type { PickleLimits } from '../../../src/formats/pickle/index.js';
import { floats, P, tensorRef, writeZip } from './pickle-writer.js';

export interface Hostile {
  readonly name: string;
  readonly bytes: () => Uint8Array;
  readonly error: new (...a: never[]) => TesseraError;
  readonly match: RegExp;
  readonly limits?: Partial<PickleLimits>;
  /**
   * What scanPickle concludes: 'unsafe' exactly when torchLoad throws UnsafePickleError, 'malformed'
   * when it throws a format or limit error, except (a) 'safe' when only an allow-listed
   * constructor's own argument check refuses (scan never runs constructors), and (b) 'unsafe' for a
   * refused global in a pickle after STOP (torchLoad stops at STOP; a reader of several pickles would not).
   */
  readonly scan: 'unsafe' | 'safe' | 'malformed' | 'not-pickle';
}

const call = (m: string, n: string, arg: string) => P().proto(2).global(m, n).str(arg).tuple(1).reduce().stop().done();

/** A torch zip around `pkl`, with one real float storage '0' of `n` floats. */
export function torchZip(pkl: Uint8Array, n = 4, extra: { name: string; data: Uint8Array }[] = []): Uint8Array {
  return writeZip([
    { name: 'archive/data.pkl', data: pkl },
    { name: 'archive/data/0', data: floats(Array.from({ length: n }, (_, i) => i + 0.5)) },
    { name: 'archive/version', data: new TextEncoder().encode('3\n') },
    ...extra,
  ]);
}

/** A state dict {'w': tensor} whose single tensor views storage '0'. */
export function stateDictPickle(numel: number, size: number[], stride: number[], offset = 0): Uint8Array {
  const w = P().proto(2).global('collections', 'OrderedDict').tuple(0).reduce().binput(0).str('w');
  return tensorRef(w, '0', numel, offset, size, stride).setitem().stop().done();
}

export const HOSTILE: Hostile[] = [
  { name: 'GLOBAL+REDUCE os.system', bytes: () => call('os', 'system', 'echo pwned'), error: UnsafePickleError, match: /os\.system is not an allowed global \(GLOBAL at offset 2\)/, scan: 'unsafe' },
  { name: 'GLOBAL+REDUCE posix.system', bytes: () => call('posix', 'system', 'id'), error: UnsafePickleError, match: /posix\.system/, scan: 'unsafe' },
  { name: 'GLOBAL+REDUCE builtins.eval', bytes: () => call('builtins', 'eval', '__import__("os").system("id")'), error: UnsafePickleError, match: /builtins\.eval .*GLOBAL at offset 2/, scan: 'unsafe' },
  { name: 'GLOBAL+REDUCE builtins.exec', bytes: () => call('builtins', 'exec', 'import os'), error: UnsafePickleError, match: /builtins\.exec/, scan: 'unsafe' },
  { name: 'GLOBAL __builtin__.eval (protocol 0)', bytes: () => P().global('__builtin__', 'eval').mark().textString('1').op('t').reduce().stop().done(), error: UnsafePickleError, match: /__builtin__\.eval .*offset 0/, scan: 'unsafe' },
  {
    name: 'STACK_GLOBAL subprocess.Popen', scan: 'unsafe', error: UnsafePickleError, match: /subprocess\.Popen .*STACK_GLOBAL at offset 21\)/,
    bytes: () => P().proto(4).str('subprocess').str('Popen').op('\x93').str('ls').tuple(1).reduce().stop().done(),
  },
  {
    name: 'STACK_GLOBAL from memoised strings', scan: 'unsafe', error: UnsafePickleError, match: /os\.system .*STACK_GLOBAL/,
    bytes: () => P().proto(4).str('os').binput(1).str('system').binput(2).op('0').op('0').binget(1).binget(2).op('\x93').str('id').tuple(1).reduce().stop().done(),
  },
  {
    name: 'STACK_GLOBAL with a non-string module', scan: 'unsafe', error: UnsafePickleError, match: /must be strings/,
    bytes: () => P().proto(4).emptyList().str('system').op('\x93').stop().done(),
  },
  {
    name: 'INST os.system (protocol 0)', scan: 'unsafe', error: UnsafePickleError, match: /os\.system is not an allowed global \(INST at offset 7\)/,
    bytes: () => P().mark().textString('id').op('i').raw(new TextEncoder().encode('os\nsystem\n')).stop().done(),
  },
  {
    name: 'OBJ builtins.exec', scan: 'unsafe', error: UnsafePickleError, match: /builtins\.exec .*GLOBAL at offset 3/,
    bytes: () => P().proto(2).mark().global('builtins', 'exec').str('import os').op('o').stop().done(),
  },
  {
    name: 'NEWOBJ subprocess.Popen', scan: 'unsafe', error: UnsafePickleError, match: /subprocess\.Popen/,
    bytes: () => P().proto(2).global('subprocess', 'Popen').str('ls').tuple(1).op('\x81').stop().done(),
  },
  {
    name: 'NEWOBJ_EX with kwargs', scan: 'unsafe', error: UnsafePickleError, match: /subprocess\.run/,
    bytes: () => P().proto(4).str('subprocess').str('run').op('\x93').str('id').tuple(1).emptyDict().str('shell').op('\x88').setitem().op('\x92').stop().done(),
  },
  {
    name: 'BUILD __setstate__ on a global class', scan: 'unsafe', error: UnsafePickleError, match: /BUILD at offset \d+: refusing .*global collections\.OrderedDict/,
    bytes: () => P().proto(2).global('collections', 'OrderedDict').emptyDict().str('__setstate__').global('collections', 'OrderedDict').setitem().build().stop().done(),
  },
  {
    name: 'BUILD on a plain dict', scan: 'unsafe', error: UnsafePickleError, match: /BUILD at offset \d+: refusing to set the state of a dict/,
    bytes: () => P().proto(2).emptyDict().emptyDict().build().stop().done(),
  },
  {
    name: 'NEWOBJ on a data-only global', scan: 'unsafe', error: UnsafePickleError, match: /torch\.FloatStorage is not callable \(NEWOBJ/,
    bytes: () => P().proto(2).global('torch', 'FloatStorage').tuple(0).op('\x81').stop().done(),
  },
  { name: 'getattr chain', bytes: () => P().proto(2).global('builtins', 'getattr').global('builtins', 'object').str('__subclasses__').tuple(2).reduce().stop().done(), error: UnsafePickleError, match: /builtins\.getattr/, scan: 'unsafe' },
  { name: 'importlib.import_module', bytes: () => call('importlib', 'import_module', 'os'), error: UnsafePickleError, match: /importlib\.import_module/, scan: 'unsafe' },
  { name: 'torch._utils._import_dotted_name', bytes: () => call('torch._utils', '_import_dotted_name', 'os.system'), error: UnsafePickleError, match: /_import_dotted_name/, scan: 'unsafe' },
  { name: 'torch.storage._load_from_bytes (pickle.dumps of a tensor)', bytes: () => call('torch.storage', '_load_from_bytes', 'x'), error: UnsafePickleError, match: /_load_from_bytes/, scan: 'unsafe' },
  { name: 'copyreg._reconstructor', bytes: () => call('copyreg', '_reconstructor', 'x'), error: UnsafePickleError, match: /copyreg\._reconstructor/, scan: 'unsafe' },
  { name: 'EXT1 extension registry', bytes: () => P().proto(2).raw([0x82, 1]).stop().done(), error: UnsafePickleError, match: /EXT1 at offset 2/, scan: 'unsafe' },
  { name: 'APPEND onto a global', bytes: () => P().proto(2).global('collections', 'OrderedDict').none().op('a').stop().done(), error: UnsafePickleError, match: /APPEND at offset \d+: target is a global/, scan: 'unsafe' },
  { name: 'SETITEM onto a list', bytes: () => P().proto(2).emptyList().none().none().setitem().stop().done(), error: UnsafePickleError, match: /SETITEM .*not a dict/, scan: 'unsafe' },
  {
    name: 'payload inside a torch zip beside real tensors', scan: 'unsafe', error: UnsafePickleError, match: /archive\/data\.pkl: os\.system is not an allowed global/,
    bytes: () => {
      const w = P().proto(2).emptyDict().binput(0).str('w');
      tensorRef(w, '0', 4, 0, [4], [1]).setitem().str('x').global('os', 'system').str('id').tuple(1).reduce().setitem().stop();
      return torchZip(w.done());
    },
  },
  {
    name: 'payload in a legacy torch file', scan: 'unsafe', error: UnsafePickleError, match: /legacy pickle: os\.system/,
    bytes: () => {
      const magic = P().proto(2).raw([0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]).stop();
      const version = P().proto(2).op('M').raw([0xe9, 0x03]).stop();
      const sys = P().proto(2).emptyDict().stop();
      const evil = P().proto(2).global('os', 'system').str('id').tuple(1).reduce().stop();
      return Uint8Array.from([...magic.done(), ...version.done(), ...sys.done(), ...evil.done()]);
    },
  },
  {
    name: 'data after STOP', scan: 'unsafe', error: ModelFormatError, match: /byte\(s\) after STOP/,
    bytes: () => Uint8Array.from([...P().proto(2).none().stop().done(), ...call('os', 'system', 'id')]),
  },
  {
    name: 'data after STOP inside data.pkl', scan: 'malformed', error: ModelFormatError, match: /data\.pkl: \d+ byte\(s\) after STOP/,
    bytes: () => torchZip(Uint8Array.from([...stateDictPickle(4, [4], [1]), ...call('os', 'system', 'id')])),
  },
  {
    name: 'zip member with a path traversal name', scan: 'malformed', error: ModelFormatError, match: /"\.\.\/\.\.\/\.bashrc" refused/,
    bytes: () => torchZip(stateDictPickle(4, [4], [1]), 4, [{ name: '../../.bashrc', data: new Uint8Array([0x41]) }]),
  },
  {
    name: 'zip member with an absolute name', scan: 'malformed', error: ModelFormatError, match: /absolute path/,
    bytes: () => torchZip(stateDictPickle(4, [4], [1]), 4, [{ name: '/etc/passwd', data: new Uint8Array([0x41]) }]),
  },
  {
    name: 'zip bomb (24 MiB of zeros in 24 KiB, as a storage)', scan: 'malformed', error: ResourceLimitError, match: /past the byte limit/, limits: { maxBytes: 4 << 20 },
    bytes: () => writeZip([
      { name: 'archive/data.pkl', data: stateDictPickle(16 << 20, [4], [1]) },
      { name: 'archive/data/0', data: new Uint8Array(24 << 20), deflate: true },
    ]),
  },
  {
    name: 'zip member that inflates past its declared size', scan: 'malformed', error: ModelFormatError, match: /inflates past its declared size 64/,
    bytes: () => writeZip([
      { name: 'archive/data.pkl', data: stateDictPickle(4, [4], [1]) },
      { name: 'archive/data/0', data: new Uint8Array(1 << 20), deflate: true, declaredSize: 64 },
    ]),
  },
  {
    name: 'zip member claiming 4 GiB of compressed data', scan: 'malformed', error: ModelFormatError, match: /member "archive\/data\/0": claims 4294967280 bytes/,
    bytes: () => writeZip([
      { name: 'archive/data.pkl', data: stateDictPickle(4, [4], [1]) },
      { name: 'archive/data/0', data: floats([1, 2, 3, 4]), compressedSizeClaim: 0xfffffff0 },
    ]),
  },
  { name: '100k nested MARKs', bytes: () => P().op('('.repeat(100_000)).stop().done(), error: ResourceLimitError, match: /maxDepth=1000/, scan: 'malformed' },
  { name: '100k nested tuples', bytes: () => P().proto(2).none().op('\x85'.repeat(100_000)).stop().done(), error: ResourceLimitError, match: /nesting deeper than maxDepth=1000/, scan: 'malformed' },
  { name: '100k nested lists by APPEND', bytes: () => P().proto(2).op(']'.repeat(100_000)).op('a'.repeat(99_999)).stop().done(), error: ResourceLimitError, match: /nesting deeper/, scan: 'malformed' },
  { name: '100k nested dicts', bytes: () => P().proto(2).op('}').op('K\x01}'.repeat(100_000)).op('s'.repeat(100_000)).stop().done(), error: ResourceLimitError, match: /SETITEM at offset \d+: nesting deeper than maxDepth=1000/, scan: 'malformed' },
  { name: 'SETITEM onto None', bytes: () => P().proto(2).op('}N'.repeat(3)).op('s').stop().done(), error: UnsafePickleError, match: /SETITEM at offset 8: target is a None, not a dict/, scan: 'unsafe' },
  { name: 'BINUNICODE8 claiming 1 TiB', bytes: () => P().proto(4).op('\x8d').u64(1n << 40n).stop().done(), error: ModelFormatError, match: /BINUNICODE8 at offset 2: length 1099511627776 exceeds/, scan: 'malformed' },
  { name: 'BINBYTES claiming 4 GiB', bytes: () => P().proto(3).op('B').u32(0xffffffff).stop().done(), error: ModelFormatError, match: /BINBYTES at offset 2: needs 4294967295 byte\(s\), 1 remain/, scan: 'malformed' },
  { name: 'BYTEARRAY8 claiming 16 EiB', bytes: () => P().proto(5).op('\x96').u64((1n << 64n) - 1n).stop().done(), error: ModelFormatError, match: /BYTEARRAY8 .*exceeds/, scan: 'malformed' },
  { name: 'LONG4 claiming 2 GiB', bytes: () => P().proto(2).op('\x8b').u32(0x7fffffff).stop().done(), error: ModelFormatError, match: /LONG4 at offset 2: needs/, scan: 'malformed' },
  { name: 'BINSTRING with a negative length', bytes: () => P().proto(1).op('T').u32(0xfffffff0).stop().done(), error: ModelFormatError, match: /negative length/, scan: 'malformed' },
  { name: 'FRAME claiming 1 PiB', bytes: () => P().proto(4).op('\x95').u64(1n << 50n).none().stop().done(), error: ModelFormatError, match: /frame of/, scan: 'malformed' },
  { name: 'LONG with 100k digits', bytes: () => P().op('L').op('9'.repeat(100_000)).op('L\n').stop().done(), error: ResourceLimitError, match: /more than maxIntegerDigits = 4300/, scan: 'malformed' },
  {
    name: 'storage smaller than its tensor claims', scan: 'safe', error: ModelFormatError, match: /reaches element 99 but the storage holds 4/,
    bytes: () => torchZip(stateDictPickle(4, [100], [1])),
  },
  {
    name: 'storage size claim larger than the member', scan: 'malformed', error: ModelFormatError, match: /claims 1000 float32 element\(s\) but holds 16 byte/,
    bytes: () => torchZip(stateDictPickle(1000, [4], [1])),
  },
  {
    name: 'storage offset past the end', scan: 'safe', error: ModelFormatError, match: /reaches element/,
    bytes: () => torchZip(stateDictPickle(4, [2], [1], 3)),
  },
  {
    name: 'stride-0 expansion to 2^40 elements', scan: 'safe', error: ResourceLimitError, match: /maxBytes/,
    bytes: () => torchZip(stateDictPickle(4, [1 << 20, 1 << 20], [0, 0])),
  },
  {
    name: 'storage key with a path', scan: 'malformed', error: ModelFormatError, match: /storage key "\.\.\/x" is not a plain name/,
    bytes: () => {
      const w = P().proto(2).global('torch._utils', '_rebuild_tensor_v2').mark().mark().str('storage').global('torch', 'FloatStorage').str('../x').str('cpu').int(1).op('t').op('Q');
      return torchZip(w.int(0).tuple(0).tuple(0).op('\x89').none().op('t').reduce().stop().done());
    },
  },
  { name: 'persistent id in a plain pickle', bytes: () => P().proto(2).str('x').op('Q').stop().done(), error: ModelFormatError, match: /persistent id outside a torch container/, scan: 'malformed' },
  { name: 'NEXT_BUFFER without buffers', bytes: () => P().proto(5).op('\x97').stop().done(), error: ModelFormatError, match: /no out-of-band buffer/, scan: 'malformed' },
  { name: 'memo key never stored', bytes: () => P().proto(2).binget(7).stop().done(), error: ModelFormatError, match: /memo key 7 was never stored/, scan: 'malformed' },
  { name: 'stack underflow', bytes: () => P().proto(2).reduce().stop().done(), error: ModelFormatError, match: /stack underflow/, scan: 'malformed' },
  { name: 'unknown opcode', bytes: () => P().proto(2).raw([0xff]).stop().done(), error: ModelFormatError, match: /unknown opcode 0xff at offset 2/, scan: 'malformed' },
  { name: 'no STOP', bytes: () => P().proto(2).none().done(), error: ModelFormatError, match: /truncated at offset 3/, scan: 'malformed' },
  { name: 'protocol 6', bytes: () => P().proto(6).none().stop().done(), error: ModelFormatError, match: /unsupported protocol 6/, scan: 'malformed' },
  { name: 'allowed global with bad arguments', bytes: () => P().proto(2).global('collections', 'OrderedDict').str('x').tuple(1).reduce().stop().done(), error: ModelFormatError, match: /OrderedDict: argument must be a list of pairs/, scan: 'safe' },
  { name: '_rebuild_tensor_v2 without a storage', bytes: () => P().proto(2).global('torch._utils', '_rebuild_tensor_v2').mark().bytes([1, 2, 3, 4]).int(0).tuple(0).tuple(0).op('\x89').none().op('t').reduce().stop().done(), error: ModelFormatError, match: /storage must come from the file's storages/, scan: 'safe' },
  {
    name: 'numpy object array', scan: 'safe', error: ModelFormatError, match: /object arrays/,
    bytes: () => P().proto(2).global('numpy.core.multiarray', '_reconstruct').global('numpy', 'ndarray').int(0).tuple(1).bytes([0x62]).tuple(3).reduce()
      .mark().int(1).int(1).tuple(1).global('numpy', 'dtype').str('O8').op('\x89\x88').tuple(3).reduce().mark().int(3).str('|').none().none().none().int(-1).int(-1).int(63).op('t').build()
      .op('\x89').emptyList().none().op('a').op('t').build().stop().done(),
  },
  { name: 'memo bomb', bytes: () => { const w = P().proto(4).none(); for (let i = 0; i < 2000; i++) w.op('\x94'); return w.stop().done(); }, error: ResourceLimitError, match: /maxMemo=1000/, limits: { maxMemo: 1000 }, scan: 'malformed' },
  {
    name: 'a numpy placeholder built twice', scan: 'unsafe', error: UnsafePickleError, match: /BUILD at offset \d+: refusing to set the state of a PendingNdarray/,
    bytes: () => {
      const state = (w: ReturnType<typeof P>): ReturnType<typeof P> => w.mark().int(1).int(1).tuple(1).binget(9).op('\x89').bytes([1]).op('t');
      const w = P().proto(2).global('numpy', 'dtype').str('u1').op('\x89\x88').tuple(3).reduce().binput(9)
        .global('numpy.core.multiarray', '_reconstruct').global('numpy', 'ndarray').int(0).tuple(1).bytes([0x62]).tuple(3).reduce().op('2');
      return state(state(w).build().op('0')).build().stop().done();
    },
  },
  { name: 'object bomb', bytes: () => P().proto(2).mark().op('N'.repeat(20_000)).op('l').stop().done(), error: ResourceLimitError, match: /maxObjects=10000/, limits: { maxObjects: 10_000 }, scan: 'malformed' },
];

/** A zip bomb as a standalone deflate stream, for the inflate cap test. */
export function bombStream(n: number): Uint8Array {
  return deflateSync(new Uint8Array(n), { level: 9 });
}
