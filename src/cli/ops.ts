// `tessera ops [--json] [--domain D]`: every operator tessera runs, read from the registries the
// sessions resolve against (the default ONNX registry; the aten table of the TorchScript
// interpreter), with the opsets that have their own definition and the backends whose kernels the
// op reaches.
//
// Backends are measured, not declared: every op runs on the JS kernels ('js'); 'wasm' and 'webgl'
// accelerate the float32 products an op hands to the session's GemmEngine (products, depthwise
// and Winograd convs, max pooling) and GpuProducts (MatMul, Gemm, Conv). A probe runs each op on
// small float32 inputs inside withGemmEngine with a recording engine and GPU, and lists the
// backends whose entry points were called. An op no probe input fits (it needs an attribute or an
// input of another kind) is listed with 'js' only: `probed: false` in --json says so.

import { defaultOpRegistry } from '../api/session.js';
import { loadAllOps } from '../runtime/default-registry.js';
import { type OpDef } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import { type GpuProducts, withGemmEngine } from '../../ops/engine.js';
import { type GemmEngine, jsGemmEngine } from '../../kernels/gemm-f32.js';
import { atenOps } from '../../ops/aten/index.js';
import type { AtenOp, TsValue } from '../../ops/aten/aten-op.js';
import { OpTable } from '../runtime/torchscript/schema.js';
import type { Attribute, Node } from '../ir/graph.js';
import { Tensor } from '../tensor.js';
import { type Io, UsageError, jsonDocument } from './io.js';

export type BackendName = 'js' | 'wasm' | 'webgl';

export interface OpEntry {
  /** 'ai.onnx', 'ai.onnx.ml', 'com.microsoft', 'aten', 'prim', ... */
  readonly domain: string;
  readonly name: string;
  /** ONNX: the opsets at which the op has a definition of its own (it runs from the first on). */
  readonly opsets?: readonly number[];
  /** TorchScript: how many schemas (overloads) the op has. */
  readonly overloads?: number;
  readonly backends: readonly BackendName[];
  /** Whether a probe input fitted the op (else only 'js' is known). */
  readonly probed: boolean;
}

/** Highest opset asked of the registry per domain (definitions past it would not be listed). */
const OPSET_CEILING = 40;

/** A GemmEngine and GpuProducts that note which entry points an op calls (products still run on JS; the rest decline). An op that offers its work to the GPU is listed as having a webgl kernel. */
function recorder(): { engine: GemmEngine; gpu: GpuProducts; seen: Set<BackendName> } {
  const seen = new Set<BackendName>();
  const engine: GemmEngine = {
    name: 'probe',
    panels(...a) { seen.add('wasm'); jsGemmEngine.panels(...a); },
    depthwise() { seen.add('wasm'); return false; },
    winograd() { seen.add('wasm'); return false; },
    maxPool() { seen.add('wasm'); return false; },
  };
  const gpu: GpuProducts = {
    gemm() { seen.add('webgl'); return null; },
    conv2d() { seen.add('webgl'); return null; },
    elementwise() { seen.add('webgl'); return null; },
    pool() { seen.add('webgl'); return null; },
    globalPool() { seen.add('webgl'); return null; },
    softmax() { seen.add('webgl'); return null; },
  };
  return { engine, gpu, seen };
}

const f32 = (dims: number[]): Tensor => {
  const n = dims.reduce((a, b) => a * b, 1);
  return new Tensor('float32', Float32Array.from({ length: n }, (_, i) => ((i * 7) % 11) / 11 - 0.4), dims);
};

/** Small float32 inputs that fit most ONNX ops of one, two or three tensor inputs. */
const ONNX_PROBES: readonly (readonly Tensor[])[] = [
  [f32([1, 2, 6, 6])], [f32([1, 2, 6, 6]), f32([2, 2, 3, 3])], [f32([1, 2, 6, 6]), f32([2, 1, 3, 3])],
  [f32([8, 8]), f32([8, 8])], [f32([8, 8]), f32([8, 8]), f32([8])], [f32([8, 8])],
];
/** Attribute sets tried with each probe: none, then a pooling window. */
const ONNX_ATTRS: readonly ReadonlyMap<string, Attribute>[] = [
  new Map(), new Map([['kernel_shape', { name: 'kernel_shape', type: 'ints', value: [2, 2] } as Attribute]]),
];

function probeOnnx(def: OpDef): { seen: Set<BackendName>; fitted: boolean } {
  const rec = recorder();
  let fitted = false;
  if (def.expand || def.values) return { seen: rec.seen, fitted };
  for (const attrs of ONNX_ATTRS) {
    for (const inputs of ONNX_PROBES) {
      const node: Node = { name: 'probe', opType: def.name, domain: def.domain ?? '', inputs: inputs.map((_, i) => `x${i}`), outputs: ['y'], attributes: attrs } as Node;
      try {
        const parsed = def.parse ? def.parse(new Attrs(attrs), node) : undefined;
        withGemmEngine(rec.engine, () => def.run(inputs, parsed, {
          node, opset: def.since, isConstant: () => true, memo: {},
          runSubgraph: () => { throw new Error('probe: no subgraphs'); },
        }), rec.gpu);
        fitted = true;
      } catch {
        // this input does not fit the op
      }
    }
  }
  return { seen: rec.seen, fitted };
}

const ATEN_PROBES: readonly (readonly TsValue[])[] = [
  [f32([1, 2, 6, 6])], [f32([1, 2, 6, 6]), f32([2, 2, 3, 3])], [f32([8, 8]), f32([8, 8])],
  [f32([8, 8]), f32([8, 8]), f32([8])], [f32([1, 2, 6, 6]), [2n, 2n]],
];

function probeAten(table: OpTable, name: string): { seen: Set<BackendName>; fitted: boolean } {
  const rec = recorder();
  let fitted = false;
  if (!name.startsWith('aten::') || name.endsWith('_')) return { seen: rec.seen, fitted }; // in-place ops would write the probes
  for (const args of ATEN_PROBES) {
    try {
      const r = table.resolve(name, args);
      if (!r) continue;
      withGemmEngine(rec.engine, () => r.entry.op.run(r.bound), rec.gpu);
      fitted = true;
    } catch {
      // does not fit
    }
  }
  return { seen: rec.seen, fitted };
}

const backendsOf = (seen: Set<BackendName>): BackendName[] => ['js', ...(['wasm', 'webgl'] as const).filter((b) => seen.has(b))];

/** The ONNX registry's operators, then the TorchScript interpreter's. */
export function listOperators(): OpEntry[] {
  const registry = defaultOpRegistry();
  const entries: OpEntry[] = [];
  for (const key of registry.keys()) {
    const sep = key.indexOf('::');
    const domain = key.slice(0, sep);
    const name = key.slice(sep + 2);
    const defs: OpDef[] = [];
    for (let v = 1; v <= OPSET_CEILING; v++) {
      const d = registry.resolve(domain, name, v);
      if (d && defs[defs.length - 1] !== d) defs.push(d);
    }
    if (!defs.length) continue;
    const { seen, fitted } = probeOnnx(defs[defs.length - 1]!);
    entries.push({ domain: domain || 'ai.onnx', name, opsets: defs.map((d) => d.since), backends: backendsOf(seen), probed: fitted });
  }
  const table = new OpTable(atenOps);
  const overloads = new Map<string, number>();
  for (const op of atenOps as readonly AtenOp[]) overloads.set(op.name, (overloads.get(op.name) ?? 0) + 1);
  for (const [full, n] of [...overloads].sort((a, b) => a[0].localeCompare(b[0]))) {
    const sep = full.indexOf('::');
    const { seen, fitted } = probeAten(table, full);
    entries.push({ domain: full.slice(0, sep), name: full.slice(sep + 2), overloads: n, backends: backendsOf(seen), probed: fitted });
  }
  return entries;
}

export async function opsCommand(argv: readonly string[], io: Io): Promise<number> {
  let json = false;
  let domain: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--domain') {
      domain = argv[++i];
      if (!domain) throw new UsageError('--domain needs a domain such as ai.onnx, ai.onnx.ml, com.microsoft or aten');
    } else throw new UsageError(`ops: unexpected argument '${a}'`);
  }
  await loadAllOps(); // the optional op families load on demand: list them all
  const all = listOperators();
  const ops = domain === undefined ? all : all.filter((o) => o.domain === domain);
  if (domain !== undefined && ops.length === 0) {
    throw new UsageError(`ops: no operators in domain '${domain}' (domains: ${[...new Set(all.map((o) => o.domain))].join(', ')})`);
  }
  if (json) {
    io.out(jsonDocument({ operators: ops }));
    return 0;
  }
  const byDomain = new Map<string, OpEntry[]>();
  for (const o of ops) byDomain.set(o.domain, [...(byDomain.get(o.domain) ?? []), o]);
  io.out(`${ops.length} operators; backends: js runs every op, wasm / webgl the float32 products an op reaches there (probed)`);
  for (const [d, list] of byDomain) {
    io.out('');
    const onnx = list[0]!.opsets !== undefined;
    io.out(`${d} (${list.length})`);
    io.out(`  ${'operator'.padEnd(36)} ${(onnx ? 'opsets' : 'overloads').padEnd(18)} backends`);
    for (const o of list) {
      const versions = o.opsets ? `${o.opsets[0]}+${o.opsets.length > 1 ? ` (${o.opsets.join(', ')})` : ''}` : String(o.overloads);
      io.out(`  ${o.name.padEnd(36)} ${versions.padEnd(18)} ${o.backends.join(', ')}`);
    }
  }
  return 0;
}
