// Conv + eval BatchNorm (+ activation) in traced TorchScript run as one conv with folded weights
// and the activation in its epilogue (src/runtime/torchscript/fuse-conv-bn.ts,
// ops/aten/fold-batchnorm.ts): on a shipped traced CNN (conv with bias, a grouped conv, each
// followed by BatchNorm2d, then ReLU or Hardswish) neither the norms nor the activations are called,
// and the outputs match PyTorch 2.13's within the manifest tolerance and the unfused run's within
// float32 roundings; a norm in training mode, graphOptimizationLevel 'disabled', and bodies where
// the conv's result is read twice are left as written.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AtenOp } from '../../ops/aten/aten-op.js';
import { TsObject } from '../../ops/aten/aten-op.js';
import { atenOps } from '../../ops/aten/index.js';
import { foldBatchNormIntoConv } from '../../ops/aten/fold-batchnorm.js';
import { parseCodeModule } from '../../src/formats/torchscript/parser.js';
import type { Expr, Stmt } from '../../src/ir/torchscript-ast.js';
import { batchNormForm, convForm, inlineConvIntoNorm } from '../../src/runtime/torchscript/fuse-conv-bn.js';
import { loadTorchScript } from '../../src/runtime/torchscript/module.js';
import { Tensor } from '../../src/tensor.js';
import { loadManifests, mismatch, SPEC2_DIR } from './manifest.js';

const [cnn] = loadManifests((n) => n === 'small_cnn_trace', SPEC2_DIR);
const [timmResnet] = loadManifests((n) => n === 'timm_resnet_trace', SPEC2_DIR);

/** atenOps with every call of the named ops counted. */
function counting(names: readonly string[]): { ops: AtenOp[]; calls: Map<string, number> } {
  const calls = new Map<string, number>(names.map((n) => [n, 0]));
  const ops = atenOps.map((o) => (calls.has(o.name) ? { ...o, run: (a: Parameters<AtenOp['run']>[0]) => { calls.set(o.name, calls.get(o.name)! + 1); return o.run(a); } } : o));
  return { ops, calls };
}

function output(level?: 'disabled') {
  const { ops, calls } = counting(['aten::batch_norm', 'aten::relu_', 'aten::hardswish']);
  const mod = loadTorchScript(new Uint8Array(readFileSync(cnn!.path)), { ops, ...(level ? { graphOptimizationLevel: level } : {}) });
  return { mod, calls, run: () => cnn!.cases.map((c) => mod.call(cnn!.method, c.inputs)) };
}

const data = (v: unknown) => (v as Tensor).data as Float32Array;

describe('conv + BatchNorm folding in traced TorchScript', () => {
  it('small_cnn_trace: no batch_norm call, PyTorch 2.13 outputs, within float32 roundings of the unfused run', () => {
    expect(cnn?.present).toBe(true);
    const fused = output();
    const outs = fused.run();
    // The ReLU and the Hardswish after the norms run in the convs' epilogues too: none of these ops is called.
    expect(fused.calls.get('aten::batch_norm')).toBe(0);
    expect(fused.calls.get('aten::relu_')).toBe(0);
    expect(fused.calls.get('aten::hardswish')).toBe(0);
    outs.forEach((o, i) => expect(mismatch(o, cnn!.cases[i]!.output!), `case ${i}`).toBeUndefined());
    const plain = output('disabled');
    const want = plain.run();
    expect(plain.calls.get('aten::batch_norm')).toBe(2 * cnn!.cases.length);
    expect(plain.calls.get('aten::relu_')).toBe(cnn!.cases.length);
    expect(plain.calls.get('aten::hardswish')).toBe(cnn!.cases.length);
    outs.forEach((o, i) => {
      const a = data(o), b = data(want[i]);
      const scale = Math.max(...Array.from(b, Math.abs));
      a.forEach((v, j) => expect(Math.abs(v - b[j]!)).toBeLessThanOrEqual(1e-5 * scale));
    });
  });

  it('timm_resnet_trace: the residual add and the ReLU after it run in the last conv\'s epilogue (its norm folded), PyTorch 2.13 outputs', () => {
    expect(timmResnet?.present).toBe(true);
    const run = (level?: 'disabled') => {
      const { ops, calls } = counting(['aten::batch_norm', 'aten::add_', 'aten::relu_']);
      const mod = loadTorchScript(new Uint8Array(readFileSync(timmResnet!.path)), { ops, ...(level ? { graphOptimizationLevel: level } : {}) });
      const outs = timmResnet!.cases.map((c) => mod.call(timmResnet!.method, c.inputs));
      outs.forEach((o, i) => expect(mismatch(o, timmResnet!.cases[i]!.output!), `${level ?? 'fused'} case ${i}`).toBeUndefined());
      return calls;
    };
    const plain = run('disabled');
    const fused = run();
    expect(plain.get('aten::add_')).toBeGreaterThan(0);
    expect(plain.get('aten::batch_norm')).toBeGreaterThan(0);
    expect(fused.get('aten::add_')).toBe(0);
    // The ReLUs after a conv or a residual add run in the epilogues (the deep stem's, and those a
    // drop_block call separates from their conv, are called).
    expect(fused.get('aten::relu_')).toBeLessThan(plain.get('aten::relu_')!);
    // One norm stays: the deep stem's, which follows a Sequential (conv, bn, act, conv, bn, act, conv), not a conv.
    expect(fused.get('aten::batch_norm')).toBe(timmResnet!.cases.length);
  });

  it('a norm in training mode is called as written (its activation then too)', () => {
    const t = output();
    const norms = [...(t.mod.root.attributes.get('features') as TsObject).attributes.values()]
      .filter((m): m is TsObject => m instanceof TsObject && m.className.includes('BatchNorm'));
    expect(norms.length).toBe(2);
    for (const n of norms) n.attributes.set('training', true);
    const outs = t.run();
    expect(t.calls.get('aten::batch_norm')).toBe(2 * cnn!.cases.length);
    expect(t.calls.get('aten::relu_')).toBe(cnn!.cases.length);
    outs.forEach((o, i) => expect(mismatch(o, cnn!.cases[i]!.output!), `case ${i}`).toBeUndefined());
  });

  const body = (src: string): readonly Stmt[] => parseCodeModule(src, 'test.py', 'test').functions.get('f')!.body;
  const text = (stmts: readonly Stmt[]) => stmts.map((s) => s.kind).join(',');

  it('brings a conv result into the next statement\'s norm call only when nothing else reads it', () => {
    const once = body('def f(self, x: Tensor) -> Tensor:\n  _1 = (conv2).forward((relu).forward(x, ), )\n  y = torch.add_((bn2).forward(_1, ), x)\n  return y\n');
    const r = inlineConvIntoNorm(once);
    // _1 into the norm's call, then y (read once, next) into the return.
    expect(text(r)).toBe('return');
    const call = (r[0] as Extract<Stmt, { kind: 'return' }>).value as Extract<Stmt, { kind: 'expr' }>['value'] & { kind: 'call' };
    const norm = call.args[0] as typeof call;
    expect(norm.fn.kind === 'attr' && norm.fn.obj.kind === 'name' && norm.fn.obj.id).toBe('bn2');
    const inner = norm.args[0] as typeof call;
    expect(inner.fn.kind === 'attr' && inner.fn.obj.kind === 'name' && inner.fn.obj.id).toBe('conv2');
    // A name read first as an op's first argument (timm's `torch.add_(_6, ...)`) is replaced too.
    const named = inlineConvIntoNorm(body('def f(self, x: Tensor) -> Tensor:\n  _6 = (bn3).forward((conv3).forward(x, ), )\n  y = torch.add_(_6, (down).forward(x, ))\n  return (relu).forward1(y, )\n'));
    // Both single-use values are written into their readers: one return statement is left.
    expect(text(named)).toBe('return');
    // Read twice, assigned twice, not the statement just before, or not what runs first: the
    // conv's result stays a statement of its own (later single-use values may still be inlined).
    for (const src of [
      'def f(self, x: Tensor) -> Tensor:\n  _1 = (conv2).forward(x, )\n  y = torch.add_((bn2).forward(_1, ), _1)\n  return y\n',
      'def f(self, x: Tensor) -> Tensor:\n  _1 = (conv2).forward(x, )\n  _1 = (conv2).forward(_1, )\n  y = (bn2).forward(_1, )\n  return torch.add(x, y)\n',
      'def f(self, x: Tensor) -> Tensor:\n  _1 = (conv2).forward(x, )\n  z = torch.relu(x)\n  y = (bn2).forward(_1, )\n  return torch.add(z, y)\n',
      'def f(self, x: Tensor) -> Tensor:\n  _1 = (conv2).forward(x, )\n  y = torch.add(torch.relu(x), (bn2).forward(_1, ))\n  return y\n',
    ]) {
      const r = inlineConvIntoNorm(body(src));
      expect(r.some((st) => st.kind === 'assign' && st.targets[0]!.kind === 'name' && st.targets[0]!.id === '_1'), src).toBe(true);
    }
  });

  it('recognises the traced conv and norm bodies; a transposed conv is not one (its weight is [Cin, Cout, ...])', () => {
    const fn = (src: string) => parseCodeModule(src, 'test.py', 'test').functions.get('forward')!;
    const conv = (transposed: string) => fn('def forward(self, argument_1: Tensor) -> Tensor:\n  weight = self.weight\n' +
      `  input = torch._convolution(argument_1, weight, None, [1, 1], [0, 0], [1, 1], ${transposed}, [0, 0], 1, False, False, True, True)\n  return input\n`);
    expect(convForm(conv('False'))).toMatchObject({ op: 'aten::_convolution', weight: 'weight', bias: null });
    expect(convForm(conv('True'))).toBeNull();
    expect(convForm(fn('def forward(self, argument_1: Tensor) -> Tensor:\n  weight = self.weight\n  input = torch.conv2d(argument_1, weight, None, [1, 1], [1, 1], [1, 1], 1)\n  return input\n'))).not.toBeNull();
    // Anything else in the body: not the traced form.
    expect(convForm(fn('def forward(self, argument_1: Tensor) -> Tensor:\n  weight = self.weight\n  x = torch.relu(argument_1)\n  input = torch.conv2d(x, weight, None, [1, 1], [1, 1], [1, 1], 1)\n  return input\n'))).toBeNull();
    const bn = (training: string) => fn('def forward(self, argument_1: Tensor) -> Tensor:\n  running_var = self.running_var\n  running_mean = self.running_mean\n  bias = self.bias\n  weight = self.weight\n' +
      `  input = torch.batch_norm(argument_1, weight, bias, running_mean, running_var, ${training}, 0.1, 1e-05, True)\n  return input\n`);
    expect(batchNormForm(bn('False'))).toMatchObject({ weight: 'weight', bias: 'bias', mean: 'running_mean', variance: 'running_var' });
    expect(batchNormForm(bn('True'))).toBeNull();
  });

  it('a long chain of single-use values is not folded into one expression as deep as the chain', () => {
    const lines = ['def f(self, x: Tensor) -> Tensor:', '  _0 = (m).forward(x, )'];
    for (let i = 1; i < 600; i++) lines.push(`  _${i} = (m).forward(_${i - 1}, )`);
    lines.push('  return _599\n');
    const r = inlineConvIntoNorm(body(lines.join('\n')));
    const depth = (e: Expr): number => (e.kind === 'call' && e.args.length > 0 ? 1 + depth(e.args[0]!) : 0);
    const deepest = Math.max(...r.map((st) => (st.kind === 'assign' || st.kind === 'return') && st.value ? depth(st.value) : 0));
    expect(deepest).toBeLessThanOrEqual(12);
    expect(r.length).toBeLessThan(601);
    expect(r.length).toBeGreaterThanOrEqual(600 / 12);
  });

  it('folds a = gamma / sqrt(var + eps) into the weight and (b - mean) a + beta into the bias, kept while the tensors are unchanged', () => {
    const w = new Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 1, 2, 2]);
    const v = (xs: number[]) => new Tensor('float32', Float32Array.from(xs), [2]);
    const [b, g, beta, mean, variance] = [v([0.5, -1]), v([2, 3]), v([0.25, 0.75]), v([1, -2]), v([3, 8])];
    const f = foldBatchNormIntoConv(w, b, g, beta, mean, variance, 1)!;
    const a = [2 / Math.sqrt(4), 3 / Math.sqrt(9)];
    expect(Array.from(data(f.weight))).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((x, i) => Math.fround(x * a[i >> 2]!)));
    expect(Array.from(data(f.bias))).toEqual([Math.fround((0.5 - 1) * a[0]! + 0.25), Math.fround((-1 + 2) * a[1]! + 0.75)]);
    expect(foldBatchNormIntoConv(w, b, g, beta, mean, variance, 1)!.weight).toBe(f.weight);
    expect(foldBatchNormIntoConv(w, b, g, beta, v([1, -2]), variance, 1)!.weight).not.toBe(f.weight);
    // Not float32, or a norm of another size: not folded.
    expect(foldBatchNormIntoConv(w, b, g, beta, mean, new Tensor('float32', Float32Array.from([1, 2, 3]), [3]), 1)).toBeNull();
    expect(foldBatchNormIntoConv(new Tensor('float64', new Float64Array(8), [2, 1, 2, 2]), b, g, beta, mean, variance, 1)).toBeNull();
  });
});
