// A TorchScript archive behind the InferenceSession shape: inputs are forward's parameters,
// outputs its return value flattened depth-first and named by path (out, out.0, out.1.0, out.<key>).

import { type TsKey, TsObject, TsTuple, type TsValue, TsDevice, TsDtype } from '../../../ops/aten/aten-op.js';
import { InvalidArgumentError, UnsupportedOpError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { type TypeExpr, typeToString } from '../../formats/torchscript/ast.js';
import { loadTorchScript, type LoadTorchScriptOptions, type TorchScriptModule } from './module.js';
import { pyStr } from '../../../ops/aten/py-values.js';

export interface TorchScriptValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  /** The TorchScript type as written in the archive ('Tensor', 'Optional[Tensor]', 'int', ...). */
  readonly type: string;
  readonly optional: boolean;
}

export interface TorchScriptSession {
  readonly inputNames: readonly string[];
  /**
   * Output names derived from forward's return type. Lists and dicts have no static length or
   * keys: they appear under their prefix here, and `run` returns their elements as prefix.i / prefix.key.
   */
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly TorchScriptValueMetadata[];
  readonly outputMetadata: readonly TorchScriptValueMetadata[];
  readonly module: TorchScriptModule;
  run(feeds: Record<string, Tensor | null>): Promise<Record<string, Tensor>>;
}

const OUT = 'out';

export interface TorchScriptSessionOptions extends LoadTorchScriptOptions {
  /**
   * Create the session even when the archive's code calls operators tessera lacks (they may sit in
   * branches forward never takes); a call that reaches one still fails with UnsupportedOpError.
   */
  readonly allowMissingOps?: boolean;
}

/** Loads the archive; fails listing every unimplemented operator the code calls (unless allowMissingOps). */
export function createTorchScriptSession(bytes: Uint8Array, options: TorchScriptSessionOptions = {}): TorchScriptSession {
  const module = loadTorchScript(bytes, options);
  if (module.missingOps.length && !options.allowMissingOps) {
    const list = module.missingOps.map((n) => `${n} (${module.missingOpSites.get(n)})`);
    throw new UnsupportedOpError(
      `TorchScript model calls ${list.length} operator(s) tessera does not implement: ${list.join(', ')}`, module.missingOps,
    );
  }
  const forward = module.method('forward');
  const params = forward.params.slice(1);
  const inputMetadata = params.map((p) => {
    const type = p.type ? typeToString(p.type) : 'Tensor';
    const optional = p.type?.name === 'Optional' || p.default !== null;
    return { name: p.name, isTensor: /^(Optional\[)?Tensor\]?$/.test(type), type, optional };
  });
  const outputMetadata = staticOutputs(forward.returns, OUT, module);
  return {
    module,
    inputNames: params.map((p) => p.name),
    outputNames: outputMetadata.map((o) => o.name),
    inputMetadata,
    outputMetadata,
    async run(feeds) {
      const known = new Set(params.map((p) => p.name));
      for (const k of Object.keys(feeds)) {
        if (!known.has(k)) throw new InvalidArgumentError(`run: unknown input '${k}' (inputs: ${[...known].join(', ')})`);
      }
      const args: TsValue[] = [];
      const kwargs = new Map<string, TsValue>();
      let positional = true;
      params.forEach((p, i) => {
        const meta = inputMetadata[i]!;
        if (!(p.name in feeds)) {
          if (p.default === null && !meta.optional) throw new InvalidArgumentError(`run: missing input '${p.name}' (${meta.type})`);
          positional = false;
          return;
        }
        const v = fromFeed(feeds[p.name] ?? null, p.type, p.name);
        if (positional) args.push(v); else kwargs.set(p.name, v);
      });
      const result = module.call('forward', args, kwargs.size ? kwargs : undefined);
      const out: Record<string, Tensor> = {};
      flatten(result, OUT, out);
      return out;
    },
  };
}

/** A fed tensor as the parameter's type: 0-d tensors become ints, floats and bools where declared. */
function fromFeed(t: Tensor | null, type: TypeExpr | null, name: string): TsValue {
  if (t === null) return null;
  const base = type?.name === 'Optional' ? type.args[0]! : type;
  if (!base || base.name === 'Tensor' || base.name === 'Any') return t;
  if (t.size !== 1) throw new InvalidArgumentError(`run: input '${name}' is ${typeToString(type!)}; feed a tensor with one element`);
  const x = (t.data as ArrayLike<number | bigint>)[0]!;
  switch (base.name) {
    case 'int': return BigInt(typeof x === 'bigint' ? x : Math.trunc(Number(x)));
    case 'float': return t.toNumbers()[0]!;
    case 'bool': return Number(x) !== 0;
    default: throw new InvalidArgumentError(`run: input '${name}' has type ${typeToString(type!)}, which cannot be fed as a tensor`);
  }
}

function staticOutputs(t: TypeExpr | null, name: string, module: TorchScriptModule): TorchScriptValueMetadata[] {
  if (!t) return [{ name, isTensor: true, type: 'Tensor', optional: false }];
  if (t.name === 'Tuple' && t.args.length) return t.args.flatMap((a, i) => staticOutputs(a, `${name}.${i}`, module));
  const cls = t.name.startsWith('__torch__.') ? module.archive.findClass(t.name) : undefined;
  if (cls?.bases.includes('NamedTuple')) return cls.attributes.flatMap((a, i) => staticOutputs(a.type, `${name}.${i}`, module));
  if (t.name === 'NoneType') return [];
  const type = typeToString(t);
  return [{ name, isTensor: type === 'Tensor', type, optional: t.name === 'Optional' }];
}

/** Depth-first: tensors by path; scalars as 0-d tensors; None skipped. */
export function flatten(v: TsValue, name: string, out: Record<string, Tensor>): void {
  if (v === null) return;
  if (v instanceof Tensor) { out[name] = v; return; }
  if (typeof v === 'bigint') { out[name] = new Tensor('int64', [v], []); return; }
  if (typeof v === 'number') { out[name] = new Tensor('float64', [v], []); return; }
  if (typeof v === 'boolean') { out[name] = new Tensor('bool', [v], []); return; }
  if (typeof v === 'string') { out[name] = new Tensor('string', [v], []); return; }
  if (Array.isArray(v)) { v.forEach((x, i) => flatten(x, `${name}.${i}`, out)); return; }
  if (v instanceof TsTuple) { v.items.forEach((x, i) => flatten(x, `${name}.${i}`, out)); return; }
  if (v instanceof Map) { for (const [k, x] of v) flatten(x, `${name}.${keyName(k)}`, out); return; }
  if (v instanceof TsDevice || v instanceof TsDtype) { out[name] = new Tensor('string', [pyStr(v)], []); return; }
  if (v instanceof TsObject) throw new InvalidArgumentError(`run: output ${name} is a ${v.className} object, which has no tensor form`);
}

function keyName(k: TsKey): string {
  return k instanceof Tensor ? 'tensor' : pyStr(k);
}
