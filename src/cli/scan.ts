// `tessera scan FILE`: finds the container (npy, npz, torch zip, any zip, tar, legacy torch file,
// raw pickle; says which it cannot open: 7z, compressed streams, encrypted members), lists every
// pickle inside with its globals and opcode classes, and gives one of three verdicts. Never executes
// or constructs anything; pickles run through the same parser and VM checks as torchLoad.
// Exit code: 0 safe, 1 unsafe, 3 cannot verify; 2 stays the CLI's usage / unreadable-path code.

import { opcodeClasses, scanFile, type FileScan, type PickleScan } from '../formats/pickle/index.js';
import { type Io, jsonDocument } from './io.js';
import { readRegularFile } from '../node.js';

export const SCAN_EXIT = Object.freeze({ safe: 0, unsafe: 1, 'cannot-verify': 3 } as const);

function pickleLines(p: PickleScan, indent: string): string[] {
  const lines: string[] = [];
  const total = [...p.opcodes.values()].reduce((a, b) => a + b, 0);
  lines.push(`${indent}${p.part}: protocol ${p.protocol}, ${p.end - p.start} byte(s), ${total} opcode(s)${p.error !== undefined ? ' (stopped early)' : ''}`);
  const seen = new Map<string, { first: number; count: number; allowed: boolean; opcode: string }>();
  for (const g of p.globals) {
    const k = `${g.module === '?' ? '<not a literal>' : `${g.module}.${g.name}`}\t${g.opcode}`;
    const s = seen.get(k);
    if (s) s.count++;
    else seen.set(k, { first: g.offset, count: 1, allowed: g.allowed, opcode: g.opcode });
  }
  lines.push(`${indent}  globals (${seen.size}):${seen.size ? '' : ' none'}`);
  for (const [k, s] of seen) {
    const name = k.split('\t')[0]!;
    const where = `${s.opcode} @${s.first}${s.count > 1 ? ` (x${s.count})` : ''}`;
    lines.push(`${indent}    ${name.padEnd(44)} ${where.padEnd(26)} ${s.allowed ? 'allowed' : 'NOT ALLOWED'}`);
  }
  lines.push(`${indent}  opcodes:`);
  for (const [cls, ops] of opcodeClasses(p.opcodes)) {
    lines.push(`${indent}    ${cls.padEnd(11)} ${ops.map(([n, c]) => `${n}x${c}`).join(' ')}`);
  }
  return lines;
}

/** The report as lines (exported for tests). */
export function formatScan(path: string, r: FileScan): string[] {
  const lines = [`${path}: ${r.container}`];
  for (const part of r.parts) {
    lines.push(`part ${part.name}: ${part.what}`);
    for (const p of part.pickles) lines.push(...pickleLines(p, '  '));
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  for (const u of r.unverified) lines.push(`cannot verify: ${u}`);
  const count = (n: number): string => `${n} reason${n === 1 ? '' : 's'}`;
  if (r.verdict === 'safe') {
    const n = r.parts.reduce((a, p) => a + p.pickles.length, 0);
    lines.push(n ? `verdict: SAFE (${n} pickle(s), every global allow-listed; nothing can execute)` : 'verdict: SAFE (no pickle inside; nothing can execute)');
  } else if (r.verdict === 'unsafe') {
    lines.push(`verdict: UNSAFE (${count(r.reasons.length)})`);
    for (const reason of r.reasons) lines.push(`  - ${reason}`);
  } else {
    lines.push(`verdict: CANNOT VERIFY (${count(r.unverified.length)}; nothing unsafe seen in what could be read)`);
    for (const u of r.unverified) lines.push(`  - ${u}`);
  }
  return lines;
}

/** The report as the document `scan --json` prints (a pickle's STOP value left out: it is any object). */
export function scanDocument(path: string, r: FileScan): object {
  return {
    file: path, container: r.container, verdict: r.verdict, exitCode: SCAN_EXIT[r.verdict],
    reasons: r.reasons, unverified: r.unverified, notes: r.notes,
    parts: r.parts.map((part) => ({
      ...part,
      pickles: part.pickles.map(({ literal: _literal, ...p }) => ({ ...p, opcodeClasses: Object.fromEntries([...opcodeClasses(p.opcodes)].map(([c, ops]) => [c, Object.fromEntries(ops)])) })),
    })),
  };
}

export async function scanCommand(path: string, io: Io, json = false): Promise<number> {
  const bytes = await readRegularFile(path);
  const report = scanFile(bytes);
  if (json) io.out(jsonDocument(scanDocument(path, report)));
  else for (const line of formatScan(path, report)) io.out(line);
  return SCAN_EXIT[report.verdict];
}
