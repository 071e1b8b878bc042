// Which of the aten/prim ops real models call (spec-models/aten/coverage.json, written by
// spec-models/aten_coverage.py) tessera implements. Print the table with
//
//   npx tsx test/helpers/aten-coverage.ts
//
// prim:: kinds that are TorchScript syntax (constants, attribute access, list/tuple/dict
// literals, control flow, calls) are the interpreter's own and are not looked up in the registry.

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { atenOps } from '../../ops/aten/index.js';

export const COVERAGE_PATH = new URL('../../spec-models/aten/coverage.json', import.meta.url).pathname;

/** Graph node kinds written as syntax in TorchScript code, which the interpreter evaluates itself. */
const SYNTAX = new Set([
  'prim::Constant', 'prim::GetAttr', 'prim::SetAttr', 'prim::ListConstruct', 'prim::ListUnpack', 'prim::TupleConstruct',
  'prim::TupleUnpack', 'prim::DictConstruct', 'prim::If', 'prim::Loop', 'prim::CallMethod', 'prim::CallFunction',
  'prim::Uninitialized', 'prim::unchecked_cast', 'prim::RaiseException', 'prim::isinstance', 'prim::TupleIndex',
  'prim::Enter', 'prim::Exit', 'prim::CreateObject', 'prim::NumToTensor', 'prim::Return', 'prim::Param',
  'prim::ModuleContainerIndex', 'prim::EnumName', 'prim::EnumValue', 'prim::TypeCheck', 'prim::Guard',
]);

export type Coverage = Record<string, Record<string, string[] | { error: string }>>;

export interface CoverageRow {
  readonly version: string;
  readonly archive: string;
  readonly called: number;
  readonly implemented: number;
  readonly missing: readonly string[];
  readonly error?: string;
}

export function loadCoverage(path = COVERAGE_PATH): Coverage {
  return JSON.parse(readFileSync(path, 'utf8')) as Coverage;
}

export function coverageRows(coverage: Coverage, registry: ReadonlySet<string> = new Set(atenOps.map((o) => o.name))): CoverageRow[] {
  const rows: CoverageRow[] = [];
  for (const [version, archives] of Object.entries(coverage)) {
    for (const [archive, ops] of Object.entries(archives)) {
      if (!Array.isArray(ops)) {
        rows.push({ version, archive, called: 0, implemented: 0, missing: [], error: ops.error });
        continue;
      }
      const looked = ops.filter((k) => !SYNTAX.has(k));
      const missing = looked.filter((k) => !registry.has(k));
      rows.push({ version, archive, called: looked.length, implemented: looked.length - missing.length, missing });
    }
  }
  return rows;
}

export function formatCoverage(rows: readonly CoverageRow[]): string {
  const lines = ['| torch | archive | ops called | implemented | missing |', '|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(r.error !== undefined
      ? `| ${r.version} | ${r.archive} | - | - | not built: ${r.error.split('\n')[0]} |`
      : `| ${r.version} | ${r.archive} | ${r.called} | ${r.implemented} | ${r.missing.join(' ')} |`);
  }
  const missing = new Map<string, number>();
  for (const r of rows) for (const m of r.missing) missing.set(m, (missing.get(m) ?? 0) + 1);
  const byUse = [...missing].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  lines.push('', `Missing ops (archives calling them): ${byUse.map(([k, n]) => `${k} (${n})`).join(', ') || 'none'}`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(formatCoverage(coverageRows(loadCoverage())));
}
