// The parser and interpreter on hand-written serialized TorchScript: archive layout variants,
// parse errors naming file/line/column, Python number semantics, errors a user would see.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TsTuple } from '../../ops/aten/aten-op.js';
import { Tensor } from '../../src/tensor.js';
import { TorchScriptError, UnsupportedOpError } from '../../src/errors.js';
import { loadTorchScript } from '../../src/runtime/torchscript/module.js';
import { parseCodeModule } from '../../src/formats/torchscript/parser.js';
import { floatRepr } from '../../ops/aten/py-values.js';
import { buildArchive } from './archive-builder.js';

const module = (body: string, params = 'a: int, b: int', ret = 'int', attrs?: Record<string, boolean | string | number | bigint | null>) =>
  loadTorchScript(buildArchive({
    '__torch__.py': `class M(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n  scale : float\n  def forward(self: __torch__.M,\n    ${params}) -> ${ret}:\n${body.split('\n').map((l) => `    ${l}`).join('\n')}\n`,
  }, attrs));

describe('archive layout', () => {
  it('accepts any top folder and .data/version', () => {
    const bytes = buildArchive({ '__torch__.py': 'class M(Module):\n  training : bool\n  def forward(self: __torch__.M) -> int:\n    return 41 + 1\n' }, { training: true }, '__torch__.M', 'whatever_name', '.data/version');
    const m = loadTorchScript(bytes);
    expect(m.forward()).toBe(42n);
    expect(m.root.attributes.get('training')).toBe(true);
  });
  it('types attributes by their annotations (a pickled 2.0 declared float stays a float)', () => {
    const m = module('return self.scale', '', 'float', { training: false, scale: 2 });
    expect(m.forward()).toBe(2);
    expect(typeof m.forward()).toBe('number');
  });
  it('refuses a class that code/ does not define', () => {
    const bytes = buildArchive({ '__torch__.py': 'class Other(Module):\n  pass\n' });
    expect(() => loadTorchScript(bytes)).toThrow(/__torch__\.M is not defined under code\//);
  });
});

describe('parse errors name file, line and column', () => {
  const cases: [string, RegExp][] = [
    ['def f(x: int) -> int:\n  return x +\n', /a\.py:2:13: expected an expression/],
    ['def f(x: int) -> int:\n  y = "abc\n', /a\.py:2:7: unterminated string literal/],
    ['def f(x: int) -> int:\n    y = 1\n  return y\n', /a\.py:3:3: inconsistent indentation/],
    ['def f(x: int) -> int:\n  return x $ 1\n', /a\.py:2:12: unexpected character "\$"/],
    ['class A:\n  def g(self) -> int\n    return 1\n', /a\.py:2:21: expected ':'/],
    ['def f(*args: int) -> int:\n  return 1\n', /a\.py:1:8: \*args parameters are not supported/],
  ];
  for (const [src, re] of cases) it(re.source, () => expect(() => parseCodeModule(src, 'a.py', '__torch__')).toThrow(re));
  it('surfaces at load with the archive member name', () => {
    const bytes = buildArchive({ '__torch__.py': 'class M(Module):\n  def forward(self) -> int:\n    return (1\n' });
    expect(() => loadTorchScript(bytes)).toThrow(/archive\/code\/__torch__\.py:\d+:\d+: /);
  });
});

describe('binary operator precedence with plain names as operands (the parser\'s fast path)', () => {
  // Python's precedence, written out by hand: | < ^ < & < shifts < + - < * // % ; all left-associative.
  const cases: [string, string, (a: bigint, b: bigint, c: bigint, d: bigint) => bigint | boolean][] = [
    ['a - b - c - d', 'int', (a, b, c, d) => ((a - b) - c) - d],
    ['a + b * c - d', 'int', (a, b, c, d) => a + b * c - d],
    ['a - b * c * d + a', 'int', (a, b, c, d) => a - b * c * d + a],
    ['a | b ^ c & d', 'int', (a, b, c, d) => a | (b ^ (c & d))],
    ['a & b | c ^ d', 'int', (a, b, c, d) => (a & b) | (c ^ d)],
    ['a + b << c - d + b', 'int', (a, b, c, d) => (a + b) << (c - d + b)],
    ['a * b + c * d', 'int', (a, b, c, d) => a * b + c * d],
    ['a + b == c + d', 'bool', (a, b, c, d) => a + b === c + d],
    ['a - b < c - d', 'bool', (a, b, c, d) => a - b < c - d],
  ];
  for (const [src, ret, want] of cases) {
    it(src, () => {
      const m = module(`return ${src}`, 'a: int, b: int, c: int, d: int', ret);
      fc.assert(fc.property(fc.bigInt(-50n, 50n), fc.bigInt(0n, 6n), fc.bigInt(3n, 9n), fc.bigInt(0n, 3n), (a, b, c, d) => {
        expect(m.forward(a, b, c, d)).toBe(want(a, b, c, d));
      }), { numRuns: 100 });
    });
  }
});

describe('Python int semantics', () => {
  const m = module('return (torch.floordiv(a, b), torch.remainder(a, b), torch.div(a, b), a // b, a % b)', 'a: int, b: int', 'Tuple[int, int, float, int, int]');
  it('floor division and modulo round toward -inf; / is true division', () => {
    fc.assert(fc.property(fc.bigInt(-(2n ** 62n), 2n ** 62n), fc.bigInt(-1000n, 1000n).filter((x) => x !== 0n), (a, b) => {
      const r = m.forward(a, b) as TsTuple;
      const [q, rem, div, q2, rem2] = r.items as [bigint, bigint, number, bigint, bigint];
      // reference: floor(a / b) from exact rational comparison
      let fq = a / b;
      if (fq * b > a !== b < 0n && fq * b !== a) fq -= 1n;
      expect(q).toBe(fq);
      expect(q2).toBe(fq);
      expect(rem).toBe(a - b * fq);
      expect(rem2).toBe(a - b * fq);
      expect(rem === 0n || (rem < 0n) === (b < 0n)).toBe(true);
      expect(div).toBeCloseTo(Number(a) / Number(b), 6);
    }), { numRuns: 200 });
  });
  it('int / 0 raises ZeroDivisionError', () => {
    expect(() => m.forward(1n, 0n)).toThrow(TorchScriptError);
    expect(() => m.forward(1n, 0n)).toThrow(/ZeroDivisionError/);
  });
  it('float modulo follows the divisor sign', () => {
    const f = module('return (torch.remainder(a, b), torch.floordiv(a, b))', 'a: float, b: float', 'Tuple[float, float]');
    fc.assert(fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: -1e3, max: 1e3, noNaN: true }).filter((x) => Math.abs(x) > 1e-3), (a, b) => {
      const [r, q] = (f.forward(a, b) as TsTuple).items as [number, number];
      expect(r === 0 || (r < 0) === (b < 0)).toBe(true);
      expect(Math.abs(r)).toBeLessThan(Math.abs(b) + 1e-9);
      expect(q).toBe(Math.floor(a / b));
    }), { numRuns: 200 });
  });
  it('int and float promote to float; ints stay exact beyond 2^53', () => {
    const p = module('return (torch.add(a, 1.5), torch.mul(b, 3))', 'a: int, b: int', 'Tuple[float, int]');
    const [x, y] = (p.forward(2n, 2n ** 60n + 1n) as TsTuple).items;
    expect(x).toBe(3.5);
    expect(y).toBe((2n ** 60n + 1n) * 3n);
  });
});

describe('values print as TorchScript prints them', () => {
  it('floats', () => {
    expect(floatRepr(1)).toBe('1.');
    expect(floatRepr(-0)).toBe('-0.');
    expect(floatRepr(2.5)).toBe('2.5');
    expect(floatRepr(0.1)).toBe('0.10000000000000001');
    expect(floatRepr(1e-5)).toBe('1.0000000000000001e-05');
    expect(floatRepr(Infinity)).toBe('inf');
  });
  it('format and str of lists', () => {
    const m = module('return torch.format("{} and {}", [a, b], str(torch.div(a, b)))', 'a: int, b: int', 'str');
    expect(m.forward(1n, 2n)).toBe('[1, 2] and 0.5');
  });
});

describe('errors a user sees', () => {
  it('an unimplemented op names itself and every other missing op of the archive', () => {
    const m = module('if torch.gt(a, 100):\n  return torch.not_a_real_op(a)\nreturn torch.another_missing(b)', 'a: int, b: int', 'int');
    expect(m.missingOps).toEqual(['aten::another_missing', 'aten::not_a_real_op']);
    try {
      m.forward(1n, 2n);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnsupportedOpError);
      expect((e as Error).message).toMatch(/^aten op not implemented: aten::another_missing, called at archive\/code\/__torch__\.py:\d+:\d+ \(the code also names unimplemented aten::not_a_real_op\)/);
      expect((e as Error).message).toMatch(/archive\/code\/__torch__\.py:\d+:\d+ in __torch__\.M\.forward/);
      expect((e as UnsupportedOpError).ops).toEqual(['aten::another_missing', 'aten::not_a_real_op']);
    }
  });
  it('an op without a matching overload lists the implemented schemas', () => {
    const m = module('return torch.len(a)', 'a: int, b: int', 'int');
    expect(() => m.forward(1n, 2n)).toThrow(/aten::len: no overload accepts \(int\); implemented: aten::len\(t\[\] a\)/);
  });
  it('RaiseException carries the Python class', () => {
    const m = module('ops.prim.RaiseException("bad value", "builtins.ValueError")\nreturn a', 'a: int, b: int', 'int');
    try { m.forward(1n, 2n); expect.unreachable(); } catch (e) {
      expect(e).toBeInstanceOf(TorchScriptError);
      expect((e as TorchScriptError).pythonClass).toBe('builtins.ValueError');
      expect((e as Error).message).toMatch(/^builtins\.ValueError: bad value/);
    }
  });
});

describe('source-level Python forms (older serializers and hand-written code)', () => {
  const src = [
    'op_version_set = 1',
    'import __torch__.torch.nn.modules.linear',
    'class M(Module):',
    '  __parameters__ = []',
    '  training : bool',
    '  def forward(self: __torch__.M, xs: List[int], d: Dict[str, int]) -> Tuple[List[int], Dict[str, int], int, bool, str, List[Tuple[int, str]]]:',
    '    squares = [x * x for x in xs if x % 2 == 1]',
    '    inv = {k + "!": -v for k, v in d.items()}',
    '    total = 0',
    '    i = 0',
    '    while True:',
    '      i += 1',
    '      if i > len(xs):',
    '        break',
    '      if xs[i - 1] < 0:',
    '        continue',
    '      total += xs[i - 1]',
    '    for j, x in enumerate(xs):',
    '      total = total + j * x if 0 <= x < 10 else total - 1',
    '    ok = 3 in xs and "a" in d and not ("zz" in d) and xs[-1] is not None',
    '    assert total > -2, "too small"',
    '    pairs = [p for p in zip(xs, ["a", "b", "c"])]',
    '    return squares, inv, total, ok, "{}-{}".format(len(xs), xs[1:3]), pairs',
  ].join('\n');
  it('runs comprehensions, while/break/continue, chained comparisons, in, is not, zip, enumerate', () => {
    const m = loadTorchScript(buildArchive({ '__torch__.py': src }));
    const d = new Map([['a', 1n], ['b', 2n]]);
    const r = m.forward([1n, 3n, -2n, 5n], d) as TsTuple;
    const [squares, inv, total, ok, s, pairs] = r.items;
    expect(squares).toEqual([1n, 9n, 25n]);
    expect(inv).toEqual(new Map([['a!', -1n], ['b!', -2n]]));
    // loop: 1 + 3 + 5 = 9; enumerate: +0*1, +1*3, -1 (x=-2), +3*5 -> 9 + 0 + 3 - 1 + 15
    expect(total).toBe(26n);
    expect(ok).toBe(true);
    expect(s).toBe('4-[3, -2]');
    expect((pairs as TsTuple[]).map((p) => p.items)).toEqual([[1n, 'a'], [3n, 'b'], [-2n, 'c']]);
  });
  it('an assert failure raises AssertionError with its message', () => {
    const m = loadTorchScript(buildArchive({ '__torch__.py': src }));
    expect(() => m.forward([-1n, -1n, -1n], new Map())).toThrow(/AssertionError: too small/);
  });
});

describe('a call site keeps the overload it resolved to only for arguments of the same kinds', () => {
  // One site, torch.add(x, y), sees a Tensor, an int, a float, a bool and a 0-d tensor in turn,
  // and the same site `a + b` on ints and on strs: each call must bind its own overload.
  const src = [
    'class M(Module):',
    '  __parameters__ = []',
    '  training : bool',
    '  def forward(self: __torch__.M, x: Tensor, ys: List[Any], ab: List[Any]) -> Tuple[List[Tensor], List[Any]]:',
    '    out = annotate(List[Tensor], [])',
    '    for y in ys:',
    '      out.append(torch.add(x, y))',
    '    cat = annotate(List[Any], [])',
    '    for i in range(2):',
    '      cat.append(torch.add(ab[2 * i], ab[2 * i + 1]))',
    '    return out, cat',
  ].join('\n');
  it('adds each kind of operand as its own overload does', () => {
    const m = loadTorchScript(buildArchive({ '__torch__.py': src }));
    const x = new Tensor('float32', Float32Array.of(1, 2), [2]);
    const zero = new Tensor('int64', BigInt64Array.of(5n), []);
    const r = m.forward(x, [x, 2n, 0.5, true, zero, x, 3n], [1n, 2n, 'a', 'b']) as TsTuple;
    const [out, cat] = r.items as [Tensor[], unknown[]];
    expect(out.map((t) => [t.type, ...t.toNumbers()])).toEqual([
      ['float32', 2, 4], ['float32', 3, 4], ['float32', 1.5, 2.5], ['float32', 2, 3], ['float32', 6, 7], ['float32', 2, 4], ['float32', 4, 5],
    ]);
    expect(cat).toEqual([3n, 'ab']);
  });
});
