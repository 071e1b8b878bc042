// Zip-aware mutations for TorchScript archives and torch.save files: one member is changed and the
// archive is re-zipped with fflate, so CRCs and sizes stay valid and the change reaches the pickle
// VM, the TorchScript parser or the interpreter. TorchScript source (code/*.py) gets token- and
// line-level edits; data.pkl / constants.pkl get opcode-level edits.

import { unzipSync, zipSync } from 'fflate';
import { mutateBytes, type Mutated } from './mutate-bytes.js';
import { mutatePickle } from './mutate-pickle.js';
import type { Rng } from './rng.js';

const TOKEN = /[ \t]+|\n|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\*\*|==|!=|<=|>=|->|\/\/|<<|>>|./g;
const HUGE_NUMBERS = [
  '9223372036854775807', '9223372036854775808', '-9223372036854775808', '18446744073709551616', '1e308', '1e309', '2147483647',
  '4294967296', '100000000', '1000000000000', '0', '-1', '-2', '0.0', '99999999999999999999999999999999',
];
const INSERT_TOKENS = [
  '(', ')', '[', ']', '{', '}', ':', ',', '=', '.', '*', '**', '+', '-', '/', '//', '%', '<', '==', 'not ', ' if ', ' else ',
  'for ', ' in ', 'while ', 'return ', 'break', 'continue', 'pass', 'None', 'True', 'torch.', 'ops.aten.', 'ops.prim.', 'self.',
  'annotate(List[int], [])', 'range(', 'len(', 'int(', 'float(', 'str(', '"', "'", '\n', '\n  ', '\\', '#', 'lambda', '@', '...',
];

function tokens(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** One edit of TorchScript source text. */
export function mutateScript(text: string, rng: Rng): { text: string; what: string } {
  const lines = text.split('\n');
  const kind = rng.weighted<string>([
    [4, 'number'], [3, 'token-delete'], [2, 'token-dup'], [3, 'token-insert'], [3, 'ident'], [2, 'line-dup'], [1, 'line-delete'],
    [1, 'line-swap'], [1, 'indent'], [1, 'nest'],
  ]);
  if (kind.startsWith('line') || kind === 'indent') {
    const i = rng.int(lines.length);
    if (kind === 'line-dup') { lines.splice(i, 0, ...Array.from({ length: rng.chance(0.9) ? 1 : rng.range(2, 500) }, () => lines[i]!)); return { text: lines.join('\n'), what: `line ${i + 1} duplicated` }; }
    if (kind === 'line-delete') { lines.splice(i, 1); return { text: lines.join('\n'), what: `line ${i + 1} deleted` }; }
    if (kind === 'line-swap') { const j = rng.int(lines.length); [lines[i], lines[j]] = [lines[j]!, lines[i]!]; return { text: lines.join('\n'), what: `lines ${i + 1} and ${j + 1} swapped` }; }
    lines[i] = rng.chance(0.5) ? `  ${lines[i]}` : lines[i]!.replace(/^ {1,2}/, '');
    return { text: lines.join('\n'), what: `line ${i + 1} re-indented` };
  }
  const toks = tokens(text);
  if (!toks.length) return { text: rng.pick(INSERT_TOKENS), what: 'empty source replaced' };
  const solid = toks.map((t, i) => [t, i] as const).filter(([t]) => !/^\s+$/.test(t));
  const pickIndex = (pred: (t: string) => boolean): number | undefined => {
    const c = solid.filter(([t]) => pred(t));
    return c.length ? rng.pick(c)[1] : undefined;
  };
  const at = solid.length ? rng.pick(solid)[1] : rng.int(toks.length);
  switch (kind) {
    case 'number': {
      const i = pickIndex((t) => /^\d/.test(t));
      if (i === undefined) break;
      const old = toks[i];
      toks[i] = rng.pick(HUGE_NUMBERS);
      return { text: toks.join(''), what: `number ${old} -> ${toks[i]} (token ${i})` };
    }
    case 'token-delete': { const [gone] = toks.splice(at, 1); return { text: toks.join(''), what: `token '${gone}' deleted (token ${at})` }; }
    case 'token-dup': { toks.splice(at, 0, toks[at]!); return { text: toks.join(''), what: `token '${toks[at]}' duplicated (token ${at})` }; }
    case 'token-insert': { const t = rng.pick(INSERT_TOKENS); toks.splice(at, 0, t); return { text: toks.join(''), what: `token ${JSON.stringify(t)} inserted (token ${at})` }; }
    case 'ident': {
      const idents = solid.filter(([t]) => /^[A-Za-z_]/.test(t));
      if (idents.length < 2) break;
      const [, i] = rng.pick(idents);
      const old = toks[i];
      toks[i] = rng.pick(idents)[0];
      return { text: toks.join(''), what: `identifier ${old} -> ${toks[i]} (token ${i})` };
    }
    case 'nest': {
      const n = rng.pick([50, 200, 1000, 5000]);
      const open = rng.pick(['(', '[', '-', 'not ']);
      const close = open === '(' ? ')' : open === '[' ? ']' : '';
      toks.splice(at, 0, open.repeat(n) + '1' + close.repeat(n));
      return { text: toks.join(''), what: `${n}-deep ${JSON.stringify(open)} nesting inserted (token ${at})` };
    }
  }
  const t = rng.pick(INSERT_TOKENS);
  toks.splice(at, 0, t);
  return { text: toks.join(''), what: `token ${JSON.stringify(t)} inserted (token ${at})` };
}

type Role = 'code' | 'pickle' | 'data' | 'debug' | 'other';

function roleOf(name: string): Role {
  if (/\/code\/.*\.py$/.test(name)) return 'code';
  if (name.endsWith('.debug_pkl')) return 'debug';
  if (name.endsWith('.pkl')) return 'pickle';
  if (/\/data\/[^/]+$/.test(name)) return 'data';
  return 'other';
}

/** Largest member (and total) the harness unzips; torch archives here are under 1 MB. */
const MAX_MEMBER = 16 << 20;
const text = new TextDecoder();
const utf8 = new TextEncoder();

/**
 * The entry count fflate's unzipSync will loop over, read the way it reads it (the end record, or
 * the zip64 end record its locator points to). A corrupted zip64 record can claim 2^32 entries.
 */
function declaredEntries(b: Uint8Array): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u32 = (p: number): number => (p >= 0 && p + 4 <= b.length ? dv.getUint32(p, true) : 0);
  let e = b.length - 22;
  while (e > 0 && b.length - e <= 65558 && u32(e) !== 0x06054b50) e--;
  if (u32(e) !== 0x06054b50) return 0;
  let count = dv.getUint16(e + 8, true);
  if (u32(e - 20) === 0x07064b50) {
    const ze = u32(e - 12);
    if (u32(ze) === 0x06064b50) count = u32(ze + 32);
  }
  return count;
}

/** One member-level mutation of a zip archive, re-zipped (stored, like torch) so every CRC matches. */
export function mutateZip(bytes: Uint8Array, rng: Rng): Mutated | undefined {
  if (declaredEntries(bytes) > 10_000) return undefined;
  let members: Record<string, Uint8Array>;
  try {
    // A mutated header can claim gigabytes; the harness must not inflate what tessera would refuse.
    members = unzipSync(bytes, { filter: (f) => f.originalSize <= MAX_MEMBER && (f.compression === 0 || f.compression === 8) });
  } catch {
    return undefined;
  }
  if (Object.values(members).reduce((n, m) => n + m.length, 0) > MAX_MEMBER) return undefined;
  const names = Object.keys(members);
  if (!names.length) return undefined;
  const byRole = (r: Role): string[] => names.filter((n) => roleOf(n) === r);
  const role = rng.weighted<Role | 'members'>([
    [byRole('code').length ? 6 : 0, 'code'], [byRole('pickle').length ? 5 : 0, 'pickle'], [byRole('data').length ? 1 : 0, 'data'],
    [byRole('other').length ? 1 : 0, 'other'], [byRole('debug').length ? 0.3 : 0, 'debug'], [1, 'members'],
  ].map(([w, r]) => [Math.round((w as number) * 10), r as Role | 'members'] as const));
  let what: string;
  if (role === 'members') {
    const name = rng.pick(names);
    const op = rng.int(3);
    if (op === 0) { delete members[name]; what = `member ${name} deleted`; }
    else if (op === 1) {
      const other = rng.pick(names);
      members[other] = members[name]!;
      what = `member ${other} replaced by ${name}`;
    } else {
      const renamed = name.replace(/[^/]+$/, rng.pick(['x', '..', 'data.pkl', '99', '__proto__', 'constants.pkl']));
      members[renamed] = members[name]!;
      if (renamed !== name) delete members[name];
      what = `member ${name} renamed ${renamed}`;
    }
  } else {
    const name = rng.pick(byRole(role));
    const data = members[name]!;
    if (role === 'code') {
      const m = mutateScript(text.decode(data), rng);
      members[name] = utf8.encode(m.text);
      what = `${name}: ${m.what}`;
    } else if (role === 'pickle' || role === 'debug') {
      const m = mutatePickle(data, rng);
      members[name] = m.bytes;
      what = `${name}: ${m.what}`;
    } else if (role === 'other' && /\/version$/.test(name) && rng.chance(0.5)) {
      members[name] = utf8.encode(rng.pick(['0\n', '99\n', '-1\n', '', 'x', '18446744073709551616\n']));
      what = `${name} = ${JSON.stringify(text.decode(members[name]))}`;
    } else {
      const m = mutateBytes(data, rng);
      members[name] = m.bytes;
      what = `${name}: ${m.what}`;
    }
  }
  return { bytes: zipSync(members, { level: 0, mtime: new Date(1980, 0, 1) }), what: `zip: ${what}` };
}
