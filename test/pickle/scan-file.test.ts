// `tessera scan` on every container (npy, npz, torch zip, any zip, tar, legacy torch, raw pickle,
// 7z, compressed, encrypted members) and every bypass family, with fixtures written opcode by
// opcode (pickle-writer.ts); and no false positive on plain files numpy and PyTorch wrote
// (scan-corpus/real, made by make-real.py). Verdicts follow the public scanner corpora in spirit:
// a malicious file of any known family is unsafe, a plain numpy/torch file is safe, and a file
// whose pickles cannot all be read (7z, encrypted, malformed) is cannot-verify, never safe.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SCAN_EXIT, scanCommand } from '../../src/cli/scan.js';
import { main } from '../../src/cli/main.js';
import { ModelFormatError } from '../../src/errors.js';
import { parseNpy } from '../../src/formats/npy/npy.js';
import { type FileScan, scanFile, sniffContainer, torchLoad, zipMemberRoles } from '../../src/formats/pickle/index.js';
import { ZipArchive } from '../../src/formats/pickle/zip.js';
import { stateDictPickle, torchZip } from './hostile/corpus.js';
import { floats, P, type PickleWriter, writeNpyRaw, writeTar, writeZip } from './hostile/pickle-writer.js';

const latin1 = (s: string): Uint8Array => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};

/** `module.name(arg)` at protocol 2: GLOBAL, SHORT_BINUNICODE, TUPLE1, REDUCE. */
const call = (module: string, name: string, arg = 'id'): Uint8Array =>
  P().proto(2).global(module, name).str(arg).tuple(1).reduce().stop().done();
/** A harmless pickle: {'a': [1, 'x']} at protocol 2. */
const plain = (): Uint8Array => P().proto(2).emptyDict().str('a').emptyList().mark().int(1).str('x').op('e').setitem().stop().done();

function expectVerdict(r: FileScan, verdict: FileScan['verdict'], ...mentions: RegExp[]): void {
  const all = [...r.reasons, ...r.unverified, ...r.notes].join('\n');
  expect(r.verdict, `${r.container}\n${all}`).toBe(verdict);
  for (const m of mentions) expect(all).toMatch(m);
}

// --- Bypass families: every one unsafe, naming what it imports or asks for ---------------------

const STACK_GLOBAL = '\x93';
const FAMILIES: Array<[string, () => Uint8Array, RegExp]> = [
  ['GLOBAL os.system', () => call('os', 'system'), /os\.system \(GLOBAL at offset 2\)/],
  ['GLOBAL posix.system', () => call('posix', 'system'), /posix\.system/],
  ['GLOBAL nt.system', () => call('nt', 'system'), /nt\.system/],
  ['STACK_GLOBAL subprocess.Popen', () => P().proto(4).str('subprocess').str('Popen').op(STACK_GLOBAL).str('id').tuple(1).reduce().stop().done(), /subprocess\.Popen \(STACK_GLOBAL/],
  ['STACK_GLOBAL subprocess.check_output', () => P().proto(4).str('subprocess').str('check_output').op(STACK_GLOBAL).str('id').tuple(1).reduce().stop().done(), /subprocess\.check_output/],
  ['builtins.eval', () => call('builtins', 'eval', '__import__("os").system("id")'), /builtins\.eval/],
  ['builtins.exec', () => call('builtins', 'exec', 'import os'), /builtins\.exec/],
  ['__builtin__.eval (Python 2 name)', () => call('__builtin__', 'eval', '1'), /__builtin__\.eval/],
  ['builtins.__import__', () => call('builtins', '__import__', 'os'), /builtins\.__import__/],
  ['builtins.getattr on an allowed class', () => P().proto(2).global('builtins', 'getattr').global('collections', 'OrderedDict').str('__class__').tuple(2).reduce().stop().done(), /builtins\.getattr/],
  ['getattr(__import__("os"), "system")("id")', () => P().proto(2)
    .global('builtins', 'getattr').global('builtins', '__import__').str('os').tuple(1).reduce().str('system').tuple(2).reduce()
    .str('id').tuple(1).reduce().stop().done(), /builtins\.getattr[\s\S]*builtins\.__import__/],
  ['INST os.system (protocol 0)', () => latin1("(S'id'\nios\nsystem\n."), /os\.system \(INST at offset \d+\)/],
  ['OBJ os.system (protocol 1)', () => latin1("(cos\nsystem\nS'id'\no."), /os\.system/],
  ['NEWOBJ subprocess.Popen', () => P().proto(2).global('subprocess', 'Popen').str('id').tuple(1).op('\x81').stop().done(), /subprocess\.Popen/],
  ['NEWOBJ_EX subprocess.run with kwargs', () => P().proto(4).global('subprocess', 'run').str('id').tuple(1).emptyDict().str('shell').op('\x88').setitem().op('\x92').stop().done(), /subprocess\.run/],
  ['REDUCE shutil.rmtree', () => call('shutil', 'rmtree', '/'), /shutil\.rmtree/],
  ['REDUCE webbrowser.open', () => call('webbrowser', 'open', 'http://x'), /webbrowser\.open/],
  ['REDUCE runpy._run_code', () => call('runpy', '_run_code', 'import os'), /runpy\._run_code/],
  ['REDUCE pickle.loads (a second stage)', () => call('pickle', 'loads', 'x'), /pickle\.loads/],
  ['REDUCE numpy.load', () => call('numpy', 'load', 'x.npy'), /numpy\.load/],
  ['REDUCE torch.hub.load', () => call('torch.hub', 'load', 'x'), /torch\.hub\.load/],
  ['REDUCE on an allowed data-only global (torch.float32)', () => P().proto(2).global('torch', 'float32').tuple(0).reduce().stop().done(), /torch\.float32 is not callable/],
  ['EXT1', () => P().proto(2).raw([0x82, 1]).tuple(0).reduce().stop().done(), /EXT1 at offset 2/],
  ['EXT2', () => P().proto(2).raw([0x83, 0x34, 0x12]).stop().done(), /EXT2 at offset 2/],
  ['EXT4', () => P().proto(2).raw([0x84, 1, 0, 0, 0]).stop().done(), /EXT4 at offset 2/],
  ['STACK_GLOBAL from BINGET of MEMOIZEd strings', () => P().proto(4).str('os').op('\x94').str('system').op('\x94')
    .binget(0).binget(1).op(STACK_GLOBAL).str('id').tuple(1).reduce().stop().done(), /os\.system \(STACK_GLOBAL/],
  ['STACK_GLOBAL from LONG_BINGET of BINPUT strings', () => P().proto(4).str('os').binput(7).str('system').binput(9)
    .op('j').u32(7).op('j').u32(9).op(STACK_GLOBAL).stop().done(), /os\.system \(STACK_GLOBAL/],
  ['STACK_GLOBAL from text PUT/GET', () => P().proto(4).str('os').op('p1\n').str('system').op('p2\n').op('g1\ng2\n').op(STACK_GLOBAL).stop().done(), /os\.system/],
  ['unicode lookalike of os (Cyrillic о)', () => P().proto(4).str('\u043es').str('system').op(STACK_GLOBAL).stop().done(), /\u043es\.system .*U\+043E/],
  ['unicode lookalike of an allowed name (OrderedDіct, Ukrainian і)', () => P().proto(4).str('collections').str('OrderedD\u0456ct').op(STACK_GLOBAL).tuple(0).reduce().stop().done(), /OrderedD\u0456ct .*U\+0456/],
  ['payload after a valid STOP', () => cat(plain(), call('os', 'system')), /pickle 2 \(after STOP\): os\.system/],
  ['payload truncated (no STOP)', () => call('os', 'system').subarray(0, 20), /os\.system/],
  ['payload after STOP inside a torch zip\'s data.pkl', () => torchZip(cat(stateDictPickle(4, [4], [1]), call('os', 'system'))),
    /archive\/data\.pkl: pickle 2 \(after STOP\): os\.system/],
  ['payload after STOP in an object npy', () => writeNpyRaw("'|O'", [1], cat(plain(), call('os', 'system'))), /\(object array\) pickle 2 \(after STOP\): os\.system/],
];

describe('bypass families: unsafe, with the reason', () => {
  for (const [name, bytes, reason] of FAMILIES) {
    it(name, () => {
      const b = bytes();
      expectVerdict(scanFile(b), 'unsafe', reason);
      // torchLoad refuses every one of them too (never loads a payload)
      expect(() => torchLoad(b)).toThrow();
    });
  }
});

describe('protocols 0-5: the same payload is unsafe and the same plain data is safe at each', () => {
  const frame = (body: PickleWriter): Uint8Array => {
    const inner = body.done();
    return cat(P().proto(4).op('\x95').u64(BigInt(inner.length)).done(), inner);
  };
  const PAYLOADS: Array<[string, Uint8Array]> = [
    ['0', latin1("cos\nsystem\n(S'id'\ntR.")],
    ['1', latin1('cos\nsystem\n(U\x02idtR.')],
    ['2', P().proto(2).global('os', 'system').op('X').u32(2).raw([0x69, 0x64]).tuple(1).reduce().stop().done()],
    ['3', P().proto(3).global('os', 'system').str('id').tuple(1).reduce().stop().done()],
    ['4 (framed)', frame(P().str('os').op('\x94').str('system').op('\x94').op(STACK_GLOBAL).str('id').tuple(1).reduce().stop())],
    ['5', P().proto(5).str('os').str('system').op(STACK_GLOBAL).op('\x8e').u64(2n).raw([0x69, 0x64]).tuple(1).reduce().stop().done()],
  ];
  const PLAIN: Array<[string, Uint8Array]> = [
    ['0', latin1("(dp0\nVa\np1\n(lp2\nI1\naF2.5\naS'x'\np3\nas.")],
    ['1', latin1('}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00U\x01xq\x03eu.')],
    ['2', plain()],
    ['3', P().proto(3).emptyDict().str('a').bytes([1, 2]).setitem().stop().done()],
    ['4 (framed)', frame(P().emptyDict().op('\x94').str('a').global('collections', 'OrderedDict').tuple(0).reduce().setitem().stop())],
    ['5', P().proto(5).emptyList().op('\x96').u64(1n).raw([7]).op('a').stop().done()],
  ];
  for (const [proto, bytes] of PAYLOADS) it(`protocol ${proto}: payload`, () => expectVerdict(scanFile(bytes), 'unsafe', /os\.system/));
  for (const [proto, bytes] of PLAIN) it(`protocol ${proto}: plain`, () => expectVerdict(scanFile(bytes), 'safe'));
});

describe('what a scan cannot verify', () => {
  it('PERSID with a non-torch id in a plain pickle: cannot verify (a loader decides what the id means)', () => {
    expectVerdict(scanFile(latin1('Pabc\n.')), 'cannot-verify', /persistent id outside a torch container/);
  });
  it('BINPERSID with a non-storage id inside a torch zip: cannot verify', () => {
    const pkl = P().proto(2).str('module').str('os.system').tuple(2).op('Q').stop().done();
    expectVerdict(scanFile(torchZip(pkl)), 'cannot-verify', /archive\/data\.pkl: persistent id at offset \d+: persistent id must be \('storage'/);
  });
  it('a persistent id beside a payload: unsafe', () => {
    const pkl = P().proto(2).global('os', 'system').str('x').op('Q').tuple(1).reduce().stop().done();
    expectVerdict(scanFile(pkl), 'unsafe', /os\.system/);
  });
  it('garbage after STOP: cannot verify', () => {
    expectVerdict(scanFile(cat(plain(), latin1('\xff\xfe garbage'))), 'cannot-verify', /byte\(s\) after STOP/);
  });
  it('7z archive (magic 37 7A BC AF 27 1C)', () => {
    const r = scanFile(Uint8Array.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4, ...call('os', 'system')]));
    expectVerdict(r, 'cannot-verify', /7z archive: tessera cannot open 7z/);
    expect(r.container).toBe('7z archive');
  });
  it('gzip, bzip2, xz and zstd streams', () => {
    expectVerdict(scanFile(Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0])), 'cannot-verify', /gzip stream/);
    expectVerdict(scanFile(latin1('BZh91AY&SY')), 'cannot-verify', /bzip2 stream/);
    expectVerdict(scanFile(Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 0])), 'cannot-verify', /xz stream/);
    expectVerdict(scanFile(Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])), 'cannot-verify', /zstd stream/);
  });
  it('an encrypted zip member: cannot inspect, not unsafe', () => {
    const zip = writeZip([{ name: 'a.npy', data: writeNpyRaw("'<f4'", [2], floats([1, 2])) }, { name: 'b.npy', data: Uint8Array.from([1, 2, 3]), encrypted: true }]);
    const r = scanFile(zip);
    expectVerdict(r, 'cannot-verify', /b\.npy: encrypted zip member; tessera cannot inspect it/);
    expect(r.reasons).toEqual([]);
  });
  it('an encrypted data.pkl in a torch zip', () => {
    const zip = writeZip([{ name: 'archive/data.pkl', data: plain(), encrypted: true }, { name: 'archive/version', data: latin1('3\n') }]);
    expectVerdict(scanFile(zip), 'cannot-verify', /archive\/data\.pkl.*encrypted/);
  });
  it('an encrypted member beside a payload: unsafe', () => {
    const zip = writeZip([{ name: 'x.pkl', data: call('os', 'system') }, { name: 'y.bin', data: plain(), encrypted: true }]);
    expectVerdict(scanFile(zip), 'unsafe', /x\.pkl: os\.system/, /y\.bin: encrypted/);
  });
  it('text that is no pickle and no container', () => {
    expectVerdict(scanFile(latin1('just some text\n')), 'cannot-verify', /not a pickle, nor a container tessera knows/);
    expectVerdict(scanFile(new Uint8Array(0)), 'cannot-verify');
  });
  it('a malformed npy header and a truncated object array', () => {
    expectVerdict(scanFile(latin1('\x93NUMPY\x01\x00\x10\x00{nonsense}     \n')), 'cannot-verify', /malformed header/);
    const npy = writeNpyRaw("'|O'", [1], plain().subarray(0, 6));
    expectVerdict(scanFile(npy), 'cannot-verify', /object array pickle.*truncated/);
  });
});

// --- Containers ----------------------------------------------------------------------------------

/** numpy's own object-array pickle shape: _reconstruct(ndarray, (0,), b'b') + BUILD state with a list. */
const objectArrayPickle = (item: (w: PickleWriter) => PickleWriter): Uint8Array => {
  const w = P().proto(3).global('numpy.core.multiarray', '_reconstruct').global('numpy', 'ndarray').int(0).tuple(1)
    .op('C\x01b').tuple(3).reduce();
  w.mark().int(1).int(1).tuple(1).global('numpy', 'dtype').str('O8').op('\x89\x88').tuple(3).reduce()
    .mark().int(3).str('|').none().none().none().int(-1 & 0xff).int(-1 & 0xff).int(63).op('t').build();
  w.op('\x89').emptyList();
  item(w).op('a').op('t').build();
  return w.stop().done();
};

describe('npy and npz', () => {
  it('a plain npy is safe and its data is never read as a pickle, whatever its bytes', () => {
    const r = scanFile(writeNpyRaw("'<f4'", [2], floats([1, 2])));
    expectVerdict(r, 'safe');
    expect(r.container).toBe('numpy .npy file');
    // An npy whose raw data happens to be a payload: numpy never unpickles a non-object array.
    expectVerdict(scanFile(writeNpyRaw("'|u1'", [call('os', 'system').length], call('os', 'system'))), 'safe');
  });
  it('an object npy with a payload: unsafe for its real import, not for the magic byte 0x93', () => {
    const r = scanFile(writeNpyRaw("'|O'", [1], call('os', 'system')));
    expectVerdict(r, 'unsafe', /\.npy file \(object array pickle\): os\.system \(GLOBAL at offset \d+\)/);
    expect(r.reasons.join('\n')).not.toMatch(/STACK_GLOBAL|not a literal/);
    expect(r.container).toBe('numpy .npy file (object array)');
  });
  it('an object npy written the way numpy writes one is safe; one with os.system inside the list is not', () => {
    expectVerdict(scanFile(writeNpyRaw("'|O'", [1], objectArrayPickle((w) => w.str('hello')))), 'safe');
    expectVerdict(scanFile(writeNpyRaw("'|O'", [1], objectArrayPickle((w) => w.global('os', 'system').str('id').tuple(1).reduce()))), 'unsafe', /os\.system/);
  });
  it('a structured dtype with an object field carries a pickle; a field named O does not', () => {
    expectVerdict(scanFile(writeNpyRaw("[('a', '<f8'), ('b', '|O')]", [1], call('os', 'system'))), 'unsafe', /os\.system/);
    expectVerdict(scanFile(writeNpyRaw("[('O', '<f4')]", [1], floats([1]))), 'safe');
  });
  it('parseNpy says plainly that an object array is a pickle', () => {
    expect(() => parseNpy(writeNpyRaw("'|O'", [1], plain()))).toThrow(ModelFormatError);
    expect(() => parseNpy(writeNpyRaw("'|O'", [1], plain()))).toThrow(/an object array \(dtype \|O\): its data is a pickle/);
    expect(parseNpy(writeNpyRaw("'<f4'", [2], floats([1, 2]))).data).toEqual(Float32Array.from([1, 2]));
  });
  it('npz: plain arrays are safe; an object array with a payload is unsafe, naming the member', () => {
    const good = writeZip([{ name: 'a.npy', data: writeNpyRaw("'<f4'", [2], floats([1, 2])) }, { name: 'b.npy', data: writeNpyRaw("'<i8'", [1], new Uint8Array(8)), deflate: true }]);
    const r = scanFile(good);
    expectVerdict(r, 'safe');
    expect(r.container).toBe('npz archive (numpy.savez)');
    const bad = writeZip([{ name: 'a.npy', data: writeNpyRaw("'<f4'", [2], floats([1, 2])) }, { name: 'o.npy', data: writeNpyRaw("'|O'", [1], call('os', 'system')), deflate: true }]);
    expectVerdict(scanFile(bad), 'unsafe', /^o\.npy \(object array pickle\): os\.system/m);
  });
});

describe('zip archives', () => {
  it('a torch zip is scanned through the member torchLoad reads', () => {
    const r = scanFile(torchZip(stateDictPickle(4, [4], [1])));
    expectVerdict(r, 'safe');
    expect(r.container).toBe('torch.save zip archive');
    expect(r.parts.map((p) => p.name)).toEqual(['archive/data.pkl']);
  });
  it("a torch zip whose data.pkl is named differently: the payload is found by sniffing", () => {
    for (const name of ['archive/model', 'archive/data.pickle', 'weights/x.bin']) {
      const zip = writeZip([{ name, data: call('os', 'system') }, { name: 'archive/data/0', data: floats([1]) }, { name: 'archive/version', data: latin1('3\n') }]);
      expectVerdict(scanFile(zip), 'unsafe', new RegExp(`${name.replace(/\./g, '\\.')}: .*os\\.system`));
    }
    // a plain state dict renamed: its persistent ids belong to no torch layout, so it cannot be verified
    const renamed = writeZip([{ name: 'archive/model', data: stateDictPickle(4, [4], [1]) }, { name: 'archive/data/0', data: floats([1, 2, 3, 4]) }]);
    expectVerdict(scanFile(renamed), 'cannot-verify', /persistent id/);
  });
  it('several pickles in one zip: each is scanned', () => {
    const zip = torchZip(stateDictPickle(4, [4], [1]), 4, [{ name: 'archive/extra/hook.pkl', data: call('builtins', 'exec') }, { name: 'notes/readme.bin', data: call('os', 'system') }]);
    const r = scanFile(zip);
    expectVerdict(r, 'unsafe', /archive\/extra\/hook\.pkl: builtins\.exec/, /notes\/readme\.bin: .*os\.system/);
    // torchLoad reads only data.pkl, which is plain: it loads
    expect(torchLoad(zip)).toBeInstanceOf(Map);
  });
  it('a zip inside a zip', () => {
    const inner = torchZip(call('os', 'system'));
    expectVerdict(scanFile(writeZip([{ name: 'bundle/model.pt', data: inner }])), 'unsafe', /bundle\/model\.pt: archive\/data\.pkl: os\.system/);
  });
  it('members that are not pickles are data', () => {
    const zip = writeZip([{ name: 'img.png', data: Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0]) }, { name: 'readme.txt', data: latin1('hello\n') }]);
    expectVerdict(scanFile(zip), 'safe');
  });
  it('containers nest at most 4 deep', () => {
    let b = writeZip([{ name: 'evil.pkl', data: call('os', 'system') }]);
    for (let i = 0; i < 4; i++) b = writeZip([{ name: `level${i}.zip`, data: b }]);
    expectVerdict(scanFile(b), 'unsafe', /level3\.zip: level2\.zip: level1\.zip: level0\.zip: evil\.pkl: os\.system/);
    b = writeZip([{ name: 'level4.zip', data: b }]);
    expectVerdict(scanFile(b), 'cannot-verify', /nested more than 4 containers deep/);
  });
  it('a zip member name torchLoad refuses makes the file cannot-verify', () => {
    expectVerdict(scanFile(torchZip(plain(), 4, [{ name: '../x', data: plain() }])), 'cannot-verify', /refused \('\.\.' path segment\)/);
  });
});

/** The legacy (pre-0.4) tar layout, written member by member as torch's legacy_load reads it. */
function legacyTar(mainPickle: Uint8Array, record = (w: PickleWriter) => w.str('0').str('cpu').global('torch', 'FloatStorage').tuple(3)): Uint8Array {
  const storages = cat(
    P().proto(2).int(1).stop().done(),
    record(P().proto(2)).stop().done(),
    Uint8Array.from([2, 0, 0, 0, 0, 0, 0, 0]), floats([1, 2]),
    P().proto(2).emptyList().stop().done(),
  );
  const tensors = cat(
    P().proto(2).int(1).stop().done(),
    P().proto(2).str('t0').str('0').global('torch', 'FloatTensor').tuple(3).stop().done(),
    Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0]), new Uint8Array(8), new Uint8Array(8), new Uint8Array(8),
  );
  return writeTar([
    { name: 'sys_info', data: P().proto(2).emptyDict().str('little_endian').op('\x88').setitem().stop().done() },
    { name: 'pickle', data: mainPickle },
    { name: 'storages', data: storages },
    { name: 'tensors', data: tensors },
  ]);
}

describe('tar and legacy torch files', () => {
  it('legacy torch tar: plain is safe (torchLoad refuses the format, scan reads it)', () => {
    const tar = legacyTar(P().proto(2).emptyDict().str('w').op('P').raw(latin1('t0\n')).setitem().stop().done());
    expect(sniffContainer(tar)).toBe('tar');
    const r = scanFile(tar);
    expectVerdict(r, 'safe');
    expect(r.container).toMatch(/^legacy torch\.save tar archive/);
    expect(r.parts.map((p) => p.name)).toEqual(['sys_info', 'pickle', 'storages', 'tensors']);
    expect(() => torchLoad(tar)).toThrow(/pre-0\.4 tar format is not supported/);
  });
  it('legacy torch tar: a payload in the main pickle or in a storage record is unsafe', () => {
    expectVerdict(scanFile(legacyTar(call('os', 'system'))), 'unsafe', /^pickle: os\.system/m);
    const evil = legacyTar(plain(), (w) => w.str('0').str('cpu').global('torch', 'FloatStorage').tuple(3).op('0').global('os', 'system').str('id').tuple(1).reduce().op('0'));
    expectVerdict(scanFile(evil), 'unsafe', /storages record 0: os\.system/);
  });
  it('a tar of other files: each member is sniffed', () => {
    expectVerdict(scanFile(writeTar([{ name: 'a.pkl', data: call('os', 'system') }, { name: 'b.txt', data: latin1('hi') }])), 'unsafe', /a\.pkl: .*os\.system/);
    expectVerdict(scanFile(writeTar([{ name: 'a.pkl', data: plain() }])), 'safe');
  });
  it('legacy torch.save (magic number, four pickles, raw storages) is scanned as torchLoad reads it', () => {
    const r = scanFile(new Uint8Array(readFileSync(join(import.meta.dirname, '../../spec-models/pickle/views_legacy.pt'))));
    expectVerdict(r, 'safe');
    expect(r.container).toBe('legacy torch.save file');
  });
});

describe('nested pickles', () => {
  it('a pickle inside a bytes value is data: reported, not counted', () => {
    const inner = call('os', 'system');
    const outer = P().proto(3).emptyDict().str('blob').bytes(inner).setitem().stop().done();
    const r = scanFile(outer);
    expectVerdict(r, 'safe', /bytes value at offset \d+ holds a nested pickle \(globals: os\.system \(not allowed\)\)/, /does not count in the verdict/);
  });
});

// --- Never a crash on damaged containers -----------------------------------------------------------

describe('property: damaged containers give a verdict, never an untyped error', () => {
  const BASES: Array<[string, Uint8Array]> = [
    ['npz', writeZip([{ name: 'a.npy', data: writeNpyRaw("'<f4'", [2], floats([1, 2])) }, { name: 'o.npy', data: writeNpyRaw("'|O'", [1], plain()), deflate: true }])],
    ['npy', writeNpyRaw("'|O'", [1], call('os', 'system'))],
    ['tar', legacyTar(plain())],
    ['zip', writeZip([{ name: 'a/b', data: plain() }, { name: 'x.pkl', data: call('os', 'system'), deflate: true }])],
  ];
  for (const [name, base] of BASES) {
    it(name, () => {
      fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(255), fc.boolean()), { minLength: 1, maxLength: 4 }), (edits) => {
        const b = Array.from(base);
        for (const [at, v, cut] of edits) { if (cut) b.length = Math.max(1, at); else if (at < b.length) b[at] = v; }
        const r = scanFile(Uint8Array.from(b));
        expect(['safe', 'unsafe', 'cannot-verify']).toContain(r.verdict);
        if (r.verdict === 'unsafe') expect(r.reasons.length).toBeGreaterThan(0);
        if (r.verdict === 'cannot-verify') expect(r.unverified.length).toBeGreaterThan(0);
      }), { numRuns: 300 });
    });
  }
});

// --- No false positives on files numpy and PyTorch wrote themselves ------------------------------

describe('plain files written by numpy and PyTorch: safe', () => {
  const REAL = join(import.meta.dirname, 'scan-corpus/real');
  const SPEC = join(import.meta.dirname, '../../spec-models/pickle');
  const files = [
    ...readdirSync(REAL).map((f) => join(REAL, f)),
    ...readdirSync(SPEC).filter((f) => !f.includes('.expected')).map((f) => join(SPEC, f)),
  ];
  it('the corpus is all there', () => expect(files.length).toBeGreaterThanOrEqual(30));
  for (const f of files) {
    it(f.split('/').slice(-2).join('/'), () => {
      const r = scanFile(new Uint8Array(readFileSync(f)));
      expectVerdict(r, 'safe');
      expect(r.unverified).toEqual([]);
    });
  }
  it('containers are named', () => {
    const c = (f: string): string => scanFile(new Uint8Array(readFileSync(join(REAL, f)))).container;
    expect(c('arrays.npz')).toBe('npz archive (numpy.savez)');
    expect(c('arrays_compressed.npz')).toBe('npz archive (numpy.savez)');
    expect(c('object_plain.npy')).toBe('numpy .npy file (object array)');
    expect(c('state_dict.pt')).toBe('torch.save zip archive');
    expect(c('linear_script.pt')).toBe('TorchScript zip archive');
    expect(c('checkpoint_legacy.pt')).toBe('legacy torch.save file');
  });
});

// --- One member selection for torchLoad and scan -------------------------------------------------

describe('torchLoad and scan pick members with the same function', () => {
  it('zipMemberRoles names the torch pickle exactly when torchLoad finds one', () => {
    const names = ['archive/data.pkl', 'archive/data/0', 'archive/version', 'archive/constants.pkl', 'archive/code/m.py', 'archive/code/m.py.debug_pkl', 'x/y.npy', 'other'];
    expect([...zipMemberRoles(names).roles]).toEqual([
      ['archive/data.pkl', 'torch-pickle'], ['archive/data/0', 'storage'], ['archive/version', 'metadata'], ['archive/constants.pkl', 'pickle'],
      ['archive/code/m.py', 'code'], ['archive/code/m.py.debug_pkl', 'pickle'], ['x/y.npy', 'npy'], ['other', 'other'],
    ]);
    // Two data.pkl: no torch pickle, and torchLoad refuses
    expect([...zipMemberRoles(['a/data.pkl', 'b/data.pkl']).roles.values()]).toEqual(['pickle', 'pickle']);
  });
  it('a member renamed from archive/data.pkl to archive(data.pkl: torchLoad finds none; scan finds its payload in an unread member', () => {
    const zip = writeZip([{ name: 'archive(data.pkl', data: call('os', 'system') }, { name: 'archive/data/0', data: floats([1]) }]);
    expect(() => torchLoad(zip)).toThrow(/expected one <folder>\/data\.pkl, found none/);
    expectVerdict(scanFile(zip), 'unsafe', /archive\(data\.pkl: os\.system/);
    expect(new ZipArchive(zip).names()).toEqual(['archive(data.pkl', 'archive/data/0']);
  });
});

// --- The command ---------------------------------------------------------------------------------

describe('tessera scan exit codes', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tessera-scan-file-'));
  const run = async (bytes: Uint8Array, name: string): Promise<{ code: number; lines: string[] }> => {
    const p = join(tmp, name);
    writeFileSync(p, bytes);
    const lines: string[] = [];
    return { code: await scanCommand(p, { out: (l) => lines.push(l) }), lines };
  };
  it('0 safe, 1 unsafe, 3 cannot verify; 2 stays the usage code', async () => {
    expect(SCAN_EXIT).toEqual({ safe: 0, unsafe: 1, 'cannot-verify': 3 });
    const safe = await run(writeZip([{ name: 'a.npy', data: writeNpyRaw("'<f4'", [1], floats([1])) }]), 'a.npz');
    expect(safe.code).toBe(0);
    expect(safe.lines[0]).toMatch(/a\.npz: npz archive/);
    expect(safe.lines).toContain('part a.npy: numpy array <f4 [1]: raw numbers, never unpickled');
    const unsafe = await run(writeNpyRaw("'|O'", [1], call('os', 'system')), 'o.npy');
    expect(unsafe.code).toBe(1);
    expect(unsafe.lines.join('\n')).toMatch(/os\.system +GLOBAL @\d+ +NOT ALLOWED/);
    const cannot = await run(Uint8Array.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]), 'x.7z');
    expect(cannot.code).toBe(3);
    expect(cannot.lines.at(-2)).toMatch(/^verdict: CANNOT VERIFY/);
    expect(await main(['scan'], { out: () => undefined })).toBe(2);
    expect(await main(['scan', join(tmp, 'missing.pkl')], { out: () => undefined })).toBe(2);
  });
});
