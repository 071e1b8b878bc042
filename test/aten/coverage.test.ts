// The aten/prim ops real models call (spec-models/aten/coverage.json, spec-models/aten_coverage.py:
// torchvision under PyTorch 1.13, torchvision, timm and transformers under torch 2.13) are all in tessera's
// registry. npx tsx test/helpers/aten-coverage.ts prints the table.

import { describe, expect, it } from 'vitest';
import { coverageRows, formatCoverage, loadCoverage } from '../helpers/aten-coverage.js';

describe('aten op coverage of real models', () => {
  const rows = coverageRows(loadCoverage());

  it('every op a traced or scripted torchvision / timm model calls is implemented', () => {
    const built = rows.filter((r) => r.error === undefined);
    expect(built.filter((r) => r.version.startsWith('torch 1.')).length).toBeGreaterThanOrEqual(20);
    expect(built.filter((r) => r.archive.startsWith('timm/')).length).toBeGreaterThanOrEqual(5);
    expect(built.map((r) => [r.version, r.archive, r.missing])).toEqual(built.map((r) => [r.version, r.archive, []]));
  });

  it('the table names what is missing', () => {
    const table = formatCoverage(coverageRows({ 'torch x': { m: ['aten::conv2d', 'aten::no_such_op', 'prim::Constant'] } }));
    expect(table).toContain('| torch x | m | 2 | 1 | aten::no_such_op |');
    expect(table).toContain('Missing ops (archives calling them): aten::no_such_op (1)');
  });
});
