// `tessera scan FILE`: every global a pickle references, every opcode class it uses, and a verdict.
// Never executes or constructs anything; runs the same parser and VM checks as torchLoad, so a file
// torchLoad refuses for its format is reported malformed, never SAFE.
// Exit code: 0 safe, 1 unsafe, 2 not a pickle or malformed.

import { opcodeClasses, scanPickle, type ScanReport } from '../formats/pickle/index.js';
import type { Io } from './io.js';
import { readRegularFile } from '../node.js';

const FORMATS: Record<ScanReport['format'], string> = {
  zip: 'torch.save zip archive', legacy: 'legacy torch.save file', pickle: 'plain pickle', 'not-pickle': 'not a pickle',
};

/** The report as lines (exported for tests). */
export function formatScan(path: string, r: ScanReport): string[] {
  const lines = [`${path}: ${FORMATS[r.format]}`];
  for (const p of r.pickles) {
    const total = [...p.opcodes.values()].reduce((a, b) => a + b, 0);
    lines.push(`${p.part}: protocol ${p.protocol}, ${p.end - p.start} byte(s), ${total} opcode(s)${p.error !== undefined ? ' (stopped early)' : ''}`);
    const seen = new Map<string, { first: number; count: number; allowed: boolean; opcode: string }>();
    for (const g of p.globals) {
      const k = `${g.module === '?' ? '<not a literal>' : `${g.module}.${g.name}`}\t${g.opcode}`;
      const s = seen.get(k);
      if (s) s.count++;
      else seen.set(k, { first: g.offset, count: 1, allowed: g.allowed, opcode: g.opcode });
    }
    lines.push(`  globals (${seen.size}):${seen.size ? '' : ' none'}`);
    for (const [k, s] of seen) {
      const name = k.split('\t')[0]!;
      const where = `${s.opcode} @${s.first}${s.count > 1 ? ` (x${s.count})` : ''}`;
      lines.push(`    ${name.padEnd(44)} ${where.padEnd(26)} ${s.allowed ? 'allowed' : 'NOT ALLOWED'}`);
    }
    lines.push('  opcodes:');
    for (const [cls, ops] of opcodeClasses(p.opcodes)) {
      lines.push(`    ${cls.padEnd(11)} ${ops.map(([n, c]) => `${n}x${c}`).join(' ')}`);
    }
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  if (r.malformed !== undefined) lines.push(`malformed: ${r.malformed}`);
  if (r.verdict === 'safe') lines.push('verdict: SAFE (every global is on the allow-list; nothing can execute)');
  else if (r.verdict === 'not-pickle') lines.push(`verdict: NOT A PICKLE${r.reasons.length ? ` (${r.reasons[0]})` : ''}`);
  else if (r.verdict === 'malformed') lines.push('verdict: MALFORMED (torchLoad refuses it; every global it names before the error is allowed)');
  else {
    lines.push(`verdict: UNSAFE (${r.reasons.length} reason${r.reasons.length === 1 ? '' : 's'})`);
    for (const reason of r.reasons) lines.push(`  - ${reason}`);
  }
  return lines;
}

export async function scanCommand(path: string, io: Io): Promise<number> {
  const bytes = await readRegularFile(path);
  const report = scanPickle(bytes);
  for (const line of formatScan(path, report)) io.out(line);
  return report.verdict === 'safe' ? 0 : report.verdict === 'unsafe' ? 1 : 2;
}
