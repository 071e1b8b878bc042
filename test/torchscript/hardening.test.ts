// Hostile TorchScript archives (issue 9): every loop, nesting and allocation a file can cause is
// bounded by ResourceLimits and refused with a typed error naming the source line; names from the
// file never reach JavaScript prototype members; runs can be cancelled or time out.
// Each archive's source is written out here; buildArchive zips it at test time.

import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { AtenOp } from '../../ops/aten/aten-op.js';
import { atenOps } from '../../ops/aten/index.js';
import {
  InvalidArgumentError, ResourceLimitError, RunCancelledError, TesseraError, TorchScriptError,
} from '../../src/errors.js';
import type { ResourceLimits } from '../../src/limits.js';
import { loadTorchScript } from '../../src/runtime/torchscript/module.js';
import { createTorchScriptSession } from '../../src/runtime/torchscript/session.js';
import { Tensor } from '../../src/tensor.js';
import { buildArchive } from './archive-builder.js';

/** forward's body starts on line 7 of __torch__.py; body line k is file line 6 + k. */
const source = (body: string, params = 'x: Tensor', ret = 'Tensor', extra = ''): string =>
  `class M(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n  def forward(self: __torch__.M,\n    ${params}) -> ${ret}:\n`
  + `${body.split('\n').map((l) => `    ${l}`).join('\n')}\n${extra}`;

const archive = (body: string, params?: string, ret?: string, extra?: string): Uint8Array =>
  buildArchive({ '__torch__.py': source(body, params, ret, extra) });

const load = (body: string, params?: string, ret?: string, limits?: Partial<ResourceLimits>, extra?: string) =>
  loadTorchScript(archive(body, params, ret, extra), { limits });

const ones = (...dims: number[]): Tensor => new Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(1), dims);

/** Runs `f`, which must throw a ResourceLimitError for `limit` whose message matches `where`, within `ms`. */
function expectLimit(f: () => unknown, limit: keyof ResourceLimits, where: RegExp, ms = 1000): ResourceLimitError {
  const t0 = performance.now();
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  const elapsed = performance.now() - t0;
  expect(err, 'expected a ResourceLimitError').toBeInstanceOf(ResourceLimitError);
  const r = err as ResourceLimitError;
  expect(r.code).toBe('RESOURCE_LIMIT');
  expect(r.limit).toBe(limit);
  expect(r.message).toMatch(where);
  expect(elapsed).toBeLessThan(ms);
  return r;
}

describe('finding 4: loops are bounded; runs can be cancelled or time out', () => {
  it('while True: refused at maxLoopIterations, naming the loop\'s line', () => {
    const m = load('while True:\n  pass\nreturn x', 'x: Tensor', 'Tensor', { maxLoopIterations: 1000 });
    const e = expectLimit(() => m.forward(ones(1)), 'maxLoopIterations', /__torch__\.py:7\b/);
    expect(e.max).toBe(1000);
  });

  it('for i in range(1000000000000): refused at maxLoopIterations, never building a list', () => {
    const m = load('s = 0\nfor i in range(1000000000000):\n  s = s + 1\nreturn s', '', 'int', { maxLoopIterations: 10_000 });
    expectLimit(() => m.forward(), 'maxLoopIterations', /__torch__\.py:8\b/);
    // Laziness: the first iteration runs at once.
    const first = load('for i in range(7, 1000000000000):\n  return i\nreturn -1', '', 'int');
    expect(first.forward()).toBe(7n);
  });

  it('range() outside a for statement (comprehension, list(), enumerate) is refused before it is built', () => {
    for (const body of ['return [i for i in range(1000000000000)]', 'return list(range(1000000000000))', 'for i, v in enumerate(range(1000000000000)):\n  return [i]\nreturn [0]']) {
      const m = load(body, '', 'List[int]');
      const t0 = performance.now();
      expect(() => m.forward()).toThrow(ResourceLimitError);
      expect(performance.now() - t0).toBeLessThan(1000);
    }
  });

  it('nested loops cannot multiply past maxLoopIterations: the run counts them together', () => {
    const body = 's = 0\nfor i in range(200):\n  for j in range(200):\n    s = s + 1\nreturn s';
    const strict = load(body, '', 'int', { maxLoopIterations: 10_000 });
    const e = expectLimit(() => strict.forward(), 'maxLoopIterations', /__torch__\.py:9\b.*10001 iterations in all/, 5000);
    expect(e.max).toBe(10_000);
    const ok = load(body, '', 'int', { maxLoopIterations: 40_200 });
    expect(ok.forward()).toBe(40_000n);
    expect(ok.forward()).toBe(40_000n); // the count starts again with each call
  });

  it('comprehensions count their iterations', () => {
    const m = load('return [i for i in range(5000)]', '', 'List[int]', { maxLoopIterations: 1000 });
    expectLimit(() => m.forward(), 'maxLoopIterations', /__torch__\.py:7\b/);
    expect((load('return [i * i for i in range(4)]', '', 'List[int]').forward())).toEqual([0n, 1n, 4n, 9n]);
  });

  const spinner = (extraOps: AtenOp[] = []) => createTorchScriptSession(archive(
    'if n > 0:\n  while True:\n    torch.tick()\nreturn x + 1', 'x: Tensor, n: int',
  ), { ops: [...atenOps, ...extraOps], limits: { maxLoopIterations: 1e12 } });
  const feeds = (n: bigint) => ({ x: new Tensor('float32', [1, 2], [2]), n: new Tensor('int64', [n], []) });

  it('an AbortSignal fired during the run cancels it (RunCancelledError); the session stays usable', async () => {
    const ctrl = new AbortController();
    let ticks = 0;
    const tick: AtenOp = { name: 'aten::tick', schema: '()', run: () => { if (++ticks === 50) ctrl.abort(); return null; } };
    const s = spinner([tick]);
    const err = await s.run(feeds(1n), { signal: ctrl.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunCancelledError);
    expect((err as RunCancelledError).code).toBe('CANCELLED');
    expect((err as Error).message).toMatch(/__torch__\.py:\d+/);
    expect(ticks).toBeGreaterThanOrEqual(50);
    expect(ticks).toBeLessThan(60);
    const out = await s.run(feeds(0n));
    expect(Array.from(out.out!.data as Float32Array)).toEqual([2, 3]);
  });

  it('an already aborted signal cancels before anything runs', async () => {
    let ticks = 0;
    const s = spinner([{ name: 'aten::tick', schema: '()', run: () => { ticks++; return null; } }]);
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(s.run(feeds(1n), { signal: ctrl.signal })).rejects.toBeInstanceOf(RunCancelledError);
    expect(ticks).toBe(0);
  });

  it('timeoutMs: a run over its time is a ResourceLimitError (timeoutMs); the next run works', async () => {
    const s = spinner([{ name: 'aten::tick', schema: '()', run: () => null }]);
    const t0 = performance.now();
    const err = await s.run(feeds(1n), { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceLimitError);
    expect((err as ResourceLimitError).limit).toBe('timeoutMs');
    expect((err as Error).message).toMatch(/__torch__\.py:\d+/);
    expect(performance.now() - t0).toBeLessThan(2000);
    const out = await s.run(feeds(0n));
    expect(Array.from(out.out!.data as Float32Array)).toEqual([2, 3]);
  });

  it('limits.timeoutMs given at load applies to every run', async () => {
    const s = createTorchScriptSession(archive('while True:\n  pass\nreturn x'), { limits: { timeoutMs: 30, maxLoopIterations: 1e12 } });
    const err = await s.run({ x: ones(1) }).catch((e: unknown) => e);
    expect((err as ResourceLimitError).limit).toBe('timeoutMs');
  });

  it('direct module calls use the module\'s limits', () => {
    const m = load('while True:\n  pass\nreturn x', 'x: Tensor', 'Tensor', { maxLoopIterations: 10 });
    expectLimit(() => m.call('forward', [ones(1)]), 'maxLoopIterations', /__torch__\.py:7\b/);
  });

  it('an unknown limit name is an InvalidArgumentError', () => {
    const bytes = archive('return x');
    const bad = { limits: { maxLoops: 3 } as unknown as Partial<ResourceLimits> };
    expect(() => loadTorchScript(bytes, bad)).toThrow(InvalidArgumentError);
    expect(() => createTorchScriptSession(bytes, bad)).toThrow(/unknown limit 'maxLoops'/);
  });
});

describe('finding 5: nesting is bounded in the parser and the evaluator', () => {
  const nested = (open: string, inner: string, close: string, n: number) => open.repeat(n) + inner + close.repeat(n);
  const deepExpressions: [string, string, string, string][] = [
    ['parentheses', 'x', 'Tensor', `return ${nested('(', 'x', ')', 5000)}`],
    ['list displays', 'x: int', 'Any', `return ${nested('[', 'x', ']', 5000)}`],
    ['call arguments', 'x: int', 'int', `return ${nested('int(', 'x', ')', 5000)}`],
    ['not', 'x: bool', 'bool', `return ${'not '.repeat(5000)}x`],
    ['unary minus', 'x: int', 'int', `return ${'- '.repeat(5000)}x`],
    ['** (right-associative)', 'x: int', 'int', `return x${' ** x'.repeat(5000)}`],
    ['conditional expressions', 'x: int', 'int', `return ${'x if x else '.repeat(5000)}x`],
    ['attribute chains', 'x: Tensor', 'Tensor', `return x${'.T'.repeat(5000)}`],
    ['subscript chains', 'x: List[int]', 'int', `return x${'[0]'.repeat(5000)}`],
    ['call chains', 'x: int', 'int', `return x${'()'.repeat(5000)}`],
    ['type annotations', 'x: int', 'int', `y : ${nested('List[', 'int', ']', 5000)} = []\nreturn x`],
  ];
  for (const [what, params, ret, body] of deepExpressions) {
    it(`${what} nested 5000 deep: ResourceLimitError at load naming file:line:col`, () => {
      const bytes = archive(body, params.includes(':') ? params : `x: ${params}`, ret);
      expectLimit(() => loadTorchScript(bytes), 'maxRecursionDepth', /archive\/code\/__torch__\.py:7:\d+/);
    });
  }

  it('a parameter type nested 5000 deep', () => {
    const bytes = archive('return 1', `x: ${nested('Optional[', 'int', ']', 5000)}`, 'int');
    expectLimit(() => loadTorchScript(bytes), 'maxRecursionDepth', /__torch__\.py:6:\d+/);
  });

  it('if statements nested 3000 deep', () => {
    let body = '';
    for (let i = 0; i < 3000; i++) body += `${' '.repeat(i)}if x:\n`;
    body += `${' '.repeat(3000)}return 1\nreturn 0`;
    expectLimit(() => load(body, 'x: bool', 'int'), 'maxRecursionDepth', /__torch__\.py:\d+:\d+/);
  });

  it('an elif chain 3000 long', () => {
    let body = 'if x == 0:\n  return 0\n';
    for (let i = 1; i < 3000; i++) body += `elif x == ${i}:\n  return ${i}\n`;
    body += 'return -1';
    expectLimit(() => load(body, 'x: int', 'int'), 'maxRecursionDepth', /__torch__\.py:\d+:\d+/);
  });

  it('the limit is limits.maxRecursionDepth', () => {
    expectLimit(() => load(`return ${nested('(', 'x', ')', 30)}`, 'x: int', 'int', { maxRecursionDepth: 20 }), 'maxRecursionDepth', /__torch__\.py:7:/);
    expect(load(`return ${nested('(', 'x', ')', 10)}`, 'x: int', 'int', { maxRecursionDepth: 20 }).forward(3n)).toBe(3n);
  });

  it('nesting just under the default limit parses and runs (the limit sits below the JS stack)', () => {
    expect(load(`return ${nested('(', 'x', ')', 490)}`, 'x: int', 'int').forward(4n)).toBe(4n);
    expect(load(`return ${nested('int(', 'x', ')', 490)}`, 'x: int', 'int').forward(4n)).toBe(4n);
    expect(load(`return ${'- '.repeat(490)}x`, 'x: int', 'int').forward(4n)).toBe(4n);
    const deep = load(`return ${nested('[', 'x', ']', 490)}`, 'x: int', 'Any').forward(4n);
    let v: unknown = deep, depth = 0;
    while (Array.isArray(v)) { v = v[0]; depth++; }
    expect([depth, v]).toEqual([490, 4n]);
  });

  it('a 200,000-term sum runs (parsed and evaluated without recursion per term)', () => {
    const n = 200_000;
    const m = load(`return x${' + x'.repeat(n - 1)}`, 'x: int', 'int');
    expect(m.forward(3n)).toBe(3n * BigInt(n));
    // left-associative: x - x - x - ... = x - (n - 1) x
    const d = load(`return x${' - x'.repeat(n - 1)}`, 'x: int', 'int');
    expect(d.forward(5n)).toBe(5n - 5n * BigInt(n - 1));
    // mixed precedence: each term a product
    const p = load(`return x * 2${' + x * 2'.repeat(n - 1)}`, 'x: int', 'int');
    expect(p.forward(7n)).toBe(14n * BigInt(n));
  });

  it('a 200,000-term tensor sum', () => {
    const m = load(`return x${' + x'.repeat(199_999)}`);
    const y = m.forward(new Tensor('float32', [1, 0.5], [2])) as Tensor;
    expect(Array.from(y.data as Float32Array)).toEqual([200_000, 100_000]);
  });

  it('unbounded recursion at run time: ResourceLimitError naming the function', () => {
    const extra = 'def f(n: int) -> int:\n  if n > 0:\n    return __torch__.f(n - 1) + 1\n  return 0\n';
    const m = load('return __torch__.f(x)', 'x: int', 'int', undefined, extra);
    expect(m.forward(50n)).toBe(50n);
    const e = expectLimit(() => m.forward(100_000n), 'maxRecursionDepth', /__torch__\.f/);
    expect(e.message).not.toMatch(/Maximum call stack/);
    expect(m.forward(20n)).toBe(20n); // still usable
  });

  it('calls and expression nesting count together (no JS stack overflow)', () => {
    // 300 functions, each nesting its call to the next 300 deep: 90,000 levels in all.
    const fns: string[] = [];
    for (let i = 0; i < 300; i++) {
      const next = i === 299 ? 'x' : `__torch__.f${i + 1}(x)`;
      fns.push(`def f${i}(x: int) -> int:\n  return ${nested('int(', next, ')', 300)}\n`);
    }
    const m = load('return __torch__.f0(x)', 'x: int', 'int', undefined, fns.join(''));
    expectLimit(() => m.forward(1n), 'maxRecursionDepth', /__torch__\.py:\d+/);
  });
});

describe('finding 6: sizes are checked before anything is allocated', () => {
  // Doubling loops run under a lower maxSequenceLength: building a legal 2**24-item list takes seconds.
  const small = { maxSequenceLength: 100_000 };
  const cases: [string, string, string, keyof ResourceLimits, Partial<ResourceLimits>?][] = [
    ['[0] * 10000000000', 'return [0] * 10000000000', 'List[int]', 'maxSequenceLength'],
    ['"a" * 10000000000', 'return "a" * 10000000000', 'str', 'maxSequenceLength'],
    ['str doubling', 's = "ab"\nfor i in range(64):\n  s = s + s\nreturn s', 'str', 'maxSequenceLength'],
    ['list doubling', 'l = [1, 2]\nfor i in range(64):\n  l = l + l\nreturn l', 'List[int]', 'maxSequenceLength', small],
    ['list extend doubling', 'l = [1, 2]\nfor i in range(64):\n  l.extend(l)\nreturn l', 'List[int]', 'maxSequenceLength', small],
    ['list append', 'l = [1]\nfor i in range(1000000):\n  l.append(i)\nreturn l', 'List[int]', 'maxSequenceLength', small],
    ['str.join', 'l = ["a"] * 1000\nreturn ",".join(l)', 'str', 'maxSequenceLength', { maxSequenceLength: 1500 }],
    ['str.replace', 's = "a" * 1000\nreturn s.replace("a", "aaa")', 'str', 'maxSequenceLength', { maxSequenceLength: 2000 }],
    ['str.zfill', 'return "1".zfill(10000000000)', 'str', 'maxSequenceLength'],
    ['torch.zeros', 'return torch.zeros([100000, 100000])', 'Tensor', 'maxTensorElements'],
    ['torch.ones', 'return torch.ones([100000, 100000])', 'Tensor', 'maxTensorElements'],
    ['torch.empty', 'return torch.empty([100000, 100000])', 'Tensor', 'maxTensorElements'],
    ['torch.full', 'return torch.full([100000, 100000], 2.)', 'Tensor', 'maxTensorElements'],
    ['new_zeros', 'return torch.new_zeros(torch.ones([1]), [100000, 100000])', 'Tensor', 'maxTensorElements'],
    ['expand', 'return torch.expand(torch.ones([1]), [100000, 100000])', 'Tensor', 'maxTensorElements'],
    ['repeat', 'return torch.repeat(torch.ones([1]), [100000, 100000])', 'Tensor', 'maxTensorElements'],
    ['arange', 'return torch.arange(1000000000000)', 'Tensor', 'maxTensorElements'],
    ['broadcasting', 'a = torch.ones([100000])\nreturn torch.mul(a.view([-1, 1]), a.view([1, -1]))', 'Tensor', 'maxTensorElements'],
    ['constant_pad_nd', 'return torch.constant_pad_nd(torch.ones([1, 1]), [100000, 100000, 100000, 100000])', 'Tensor', 'maxTensorElements'],
  ];
  for (const [what, body, ret, limit, limits] of cases) {
    it(`${what}: ${limit}, refused at once`, () => {
      const m = load(body, '', ret, limits);
      expectLimit(() => m.forward(), limit, /__torch__\.py:\d+/);
    });
  }

  it('lower limits are honoured, and sizes under them still work', () => {
    const m = load('return torch.zeros([n, 10])', 'n: int', 'Tensor', { maxTensorElements: 100 });
    expect((m.forward(10n) as Tensor).dims).toEqual([10, 10]);
    expectLimit(() => m.forward(11n), 'maxTensorElements', /__torch__\.py:7\b/);
    const l = load('return [0] * n', 'n: int', 'List[int]', { maxSequenceLength: 100 });
    expect((l.forward(100n) as unknown[]).length).toBe(100);
    expectLimit(() => l.forward(101n), 'maxSequenceLength', /__torch__\.py:7\b/);
  });
});

describe('finding 7: names from the file see only own keys, never JS prototype members', () => {
  const cases: [string, string, string, string][] = [
    ['x.constructor', 'return x.constructor', 'x: Tensor', 'constructor'],
    ['x.toString', 'return x.toString', 'x: Tensor', 'toString'],
    ['__proto__(x)', 'return __proto__(x)', 'x: Tensor', '__proto__'],
    ['constructor(x)', 'return constructor(x)', 'x: Tensor', 'constructor'],
    ['n.constructor', 'return n.constructor', 'n: int', 'constructor'],
    ['self.constructor', 'return self.constructor', 'x: Tensor', 'constructor'],
    ['math.constructor', 'return math.constructor', 'x: Tensor', 'constructor'],
    ['torch.constructor', 'return torch.constructor', 'x: Tensor', 'constructor'],
    ['torch.hasOwnProperty', 'return torch.hasOwnProperty', 'x: Tensor', 'hasOwnProperty'],
  ];
  for (const [what, body, params, name] of cases) {
    it(`${what}: a typed error naming '${name}' and the line`, () => {
      let err: unknown;
      try {
        const m = load(body, params, 'Any');
        m.forward(params.startsWith('n') ? 1n : ones(1));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TesseraError);
      const msg = (err as Error).message;
      expect(msg).toContain(name);
      expect(msg).toMatch(/__torch__\.py:7:\d+/);
      expect(msg).not.toMatch(/native code|\[object |function \w*\(/);
    });
  }

  it('float("constructor") is a ValueError, not a JS function', () => {
    const m = load('return float(s)', 's: str', 'float');
    expect(() => m.forward('constructor')).toThrow(/could not convert string to float: 'constructor'/);
    expect(m.forward('inf')).toBe(Infinity);
  });

  it('an input named like an Object.prototype member is still required', async () => {
    const s = createTorchScriptSession(archive('return constructor', 'constructor: Tensor'));
    await expect(s.run({})).rejects.toThrow(/missing input 'constructor'/);
    const out = await s.run({ constructor: ones(2) });
    expect(out.out!.dims).toEqual([2]);
  });
});

describe('finding 8: session metadata uses dtypes, not TorchScript type names', () => {
  it('tensor inputs: isTensor true, no dtype (annotations carry none); others isTensor false', () => {
    const s = createTorchScriptSession(archive('return x', 'x: Tensor, n: int, b: Optional[Tensor]=None'));
    const [x, n, b] = s.inputMetadata;
    expect(x).toMatchObject({ name: 'x', isTensor: true, torchScriptType: 'Tensor', optional: false });
    expect(x!.type).toBeUndefined();
    // an int is fed (and returned) as a 0-d tensor: its type says which dtype carries it
    expect(n).toMatchObject({ name: 'n', isTensor: false, type: 'int64', torchScriptType: 'int' });
    expect(b).toMatchObject({ name: 'b', isTensor: true, torchScriptType: 'Optional[Tensor]', optional: true });
    expect(b!.type).toBeUndefined();
  });
  it('outputs: tensors have no dtype; int/float/bool outputs are returned as int64/float64/bool tensors', () => {
    const s = createTorchScriptSession(archive('return (x, 1, 2., True)', 'x: Tensor', 'Tuple[Tensor, int, float, bool]'));
    expect(s.outputMetadata.map((o) => [o.name, o.isTensor, o.type])).toEqual([
      ['out.0', true, undefined], ['out.1', false, 'int64'], ['out.2', false, 'float64'], ['out.3', false, 'bool'],
    ]);
  });
});

describe('audit: other recursion and growth a file controls', () => {
  it('values a program nests a million times deep: repr, == and session outputs refuse by depth', async () => {
    const nest = 'l = [0]\nfor i in range(100000):\n  l = [l]\n';
    expectLimit(() => load(`${nest}return str(l)`, '', 'str').forward(), 'maxRecursionDepth', /__torch__\.py:10\b/);
    expectLimit(() => load(`${nest}return l == [l]`, '', 'bool').forward(), 'maxRecursionDepth', /__torch__\.py:10\b/);
    const s = createTorchScriptSession(archive(`${nest}return l`, '', 'List[Any]'));
    const err = await s.run({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceLimitError);
    expect((err as ResourceLimitError).limit).toBe('maxRecursionDepth');
  });

  it('ints are int64: repeated squaring wraps instead of growing a huge bigint', () => {
    const m = load('for i in range(200):\n  x = x * x + 1\nreturn x', 'x: int', 'int');
    let want = 3n;
    for (let i = 0; i < 200; i++) want = BigInt.asIntN(64, BigInt.asIntN(64, want * want) + 1n);
    expect(m.forward(3n)).toBe(want);
    expect(load('return (1 << 100000000000, -8 >> 100000000000, 1 << 62)', '', 'Tuple[int, int, int]').forward())
      .toEqual(expect.objectContaining({ items: [0n, -1n, 2n ** 62n] }));
    expect(() => load('return math.factorial(10000000)', '', 'int').forward()).toThrow(/OverflowError/);
  });

  it('lists that alias each other: torch.tensor and == refuse by total size, not per list', () => {
    const alias = 'l = [0] * 64\nm = [l] * 64\nn = [m] * 64\no = [n] * 64\n'; // 64**4 = 2**24 numbers
    expectLimit(() => load(`${alias}return torch.tensor(o)`, '', 'Tensor', { maxTensorElements: 2 ** 20 }).forward(), 'maxTensorElements', /__torch__\.py:11\b/);
    const eq = load(`${alias}p = [[[[0] * 64] * 64] * 64] * 64\nreturn o == p`, '', 'bool', { maxTensorElements: 2 ** 20 });
    expectLimit(() => eq.forward(), 'maxTensorElements', /__torch__\.py:12\b/);
    expect(load(`${alias}return o == [[[[0] * 64] * 64] * 64] * 64`, '', 'bool').forward()).toBe(true);
  });

  it('an int literal outside int64 is a parse error naming file:line:col', () => {
    expect(() => load(`return ${'9'.repeat(30)}`, '', 'int')).toThrow(/__torch__\.py:7:12: integer literal out of the int64 range/);
  });

  it('str.format cannot double a string past maxSequenceLength', () => {
    const m = load('s = "ab"\nfor i in range(64):\n  s = "{}{}".format(s, s)\nreturn s', '', 'str', { maxSequenceLength: 100_000 });
    expectLimit(() => m.forward(), 'maxSequenceLength', /__torch__\.py:9\b/);
  });

  it('repr of a tensor larger than maxSequenceLength is refused before it is built', () => {
    const m = load('return str(torch.zeros([n]))', 'n: int', 'str', { maxSequenceLength: 1000 });
    expect(m.forward(3n)).toBe('tensor([0., 0., 0.])');
    expectLimit(() => m.forward(2000n), 'maxSequenceLength', /__torch__\.py:7\b/);
  });

  it('a NamedTuple naming itself as a field type: session creation refuses by depth', () => {
    const bytes = buildArchive({
      '__torch__.py': `${source('return x', 'x: Tensor', '__torch__.Loop')}class Loop(NamedTuple):\n  a : __torch__.Loop\n`,
    });
    expect(() => createTorchScriptSession(bytes)).toThrow(ResourceLimitError);
  });

  it('data.pkl nesting lists 100,000 deep is a typed error at load (the pickle VM\'s own depth limit, now fed maxRecursionDepth)', () => {
    // PROTO 2, GLOBAL __torch__ M, EMPTY_TUPLE NEWOBJ EMPTY_DICT MARK 'training' False 'deep' [[[...]]] SETITEMS BUILD STOP
    const enc = new TextEncoder();
    const str = (s: string) => { const b = enc.encode(s); return [0x58, b.length, 0, 0, 0, ...b]; };
    const n = 100_000;
    const bytes: number[] = [0x80, 2, 0x63, ...enc.encode('__torch__\nM\n'), 0x29, 0x81, 0x7d, 0x28, ...str('training'), 0x89, ...str('deep')];
    for (let i = 0; i < n; i++) bytes.push(0x5d); // EMPTY_LIST
    for (let i = 1; i < n; i++) bytes.push(0x61); // APPEND
    bytes.push(0x75, 0x62, 0x2e);
    const zip = buildArchive({ '__torch__.py': source('return x') });
    const files = unzipSync(zip);
    files['archive/data.pkl'] = new Uint8Array(bytes);
    let err: unknown;
    try {
      loadTorchScript(zipSync(files, { level: 0 }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TesseraError);
    expect((err as Error).message).toMatch(/data\.pkl/);
  });
});

describe('errors a fuzzer found in ops, typed as PyTorch raises them', () => {
  it('the truth value of a many-element tensor is a RuntimeError, not a plain Error', () => {
    const m = load('if not x:\n  return x\nreturn x + 1', 'x: Tensor');
    let err: unknown;
    try { m.forward(ones(128)); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(TorchScriptError);
    expect((err as TorchScriptError).pythonClass).toBe('builtins.RuntimeError');
    expect((err as Error).message).toMatch(/Boolean value of Tensor with 128 values is ambiguous/);
  });
  it('a list op given None (a helper returning None where it declares a list) is a TypeError', () => {
    const m = load('return list(__torch__.none_list())', '', 'List[int]', undefined,
      'def none_list() -> List[int]:\n  return None\n');
    let err: unknown;
    try { m.forward(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(TorchScriptError);
    expect((err as TorchScriptError).pythonClass).toBe('builtins.TypeError');
  });
});
