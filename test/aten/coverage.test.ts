// The aten/prim ops torchvision's models call under PyTorch 1.13 (spec-models/aten/coverage.json,
// spec-models/aten_coverage.py) are all in tessera's registry; the torch 2.x archives are reported
// (npx tsx test/helpers/aten-coverage.ts prints the whole table), not required.

import { describe, expect, it } from 'vitest';
import { coverageRows, formatCoverage, loadCoverage } from '../helpers/aten-coverage.js';

describe('aten op coverage of real models', () => {
  const rows = coverageRows(loadCoverage());

  it('every op a torchvision model calls under PyTorch 1.13 (traced and scripted) is implemented', () => {
    const tv = rows.filter((r) => r.version.startsWith('torch 1.') && r.archive.startsWith('torchvision/'));
    expect(tv.length).toBeGreaterThanOrEqual(20);
    expect(tv.filter((r) => r.error === undefined).map((r) => [r.archive, r.missing])).toEqual(
      tv.filter((r) => r.error === undefined).map((r) => [r.archive, []]));
  });

  it('the table names what is missing', () => {
    const table = formatCoverage(coverageRows({ 'torch x': { m: ['aten::conv2d', 'aten::no_such_op', 'prim::Constant'] } }));
    expect(table).toContain('| torch x | m | 2 | 1 | aten::no_such_op |');
    expect(table).toContain('Missing ops (archives calling them): aten::no_such_op (1)');
  });
});
