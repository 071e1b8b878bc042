// `tessera inspect MODEL`: what a model is, without running it.

import { DATA_TYPES } from '../dtypes.js';
import type { Graph, Model, ValueInfo, ValueType } from '../ir/graph.js';
import { loadOnnxModel } from '../formats/onnx/load.js';
import { subgraphsOf } from '../ir/validate.js';
import { readModelFile } from '../node.js';
import { planModel } from '../runtime/plan.js';
import { defaultOpRegistry } from '../runtime/session.js';
import { UnsupportedOpError } from '../errors.js';
import type { Io } from './main.js';

export function formatType(t: ValueType): string {
  switch (t.kind) {
    case 'tensor': case 'sparse_tensor': {
      const shape = t.shape ? `[${t.shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '[?]';
      return `${t.kind === 'sparse_tensor' ? 'sparse ' : ''}${t.elemType ?? '?'}${shape}`;
    }
    case 'sequence': return `sequence<${t.elem ? formatType(t.elem) : '?'}>`;
    case 'optional': return `optional<${t.elem ? formatType(t.elem) : '?'}>`;
    case 'map': return `map<${t.keyType ?? '?'}, ${t.value ? formatType(t.value) : '?'}>`;
    case 'opaque': return `opaque ${t.domain}.${t.name}`;
    default: return '?';
  }
}

function histogram(g: Graph, counts: Map<string, number>): void {
  for (const n of g.nodes) {
    const k = n.domain ? `${n.domain}::${n.opType}` : n.opType;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    for (const sg of subgraphsOf(n)) histogram(sg, counts);
  }
}

export function describeModel(model: Model): string[] {
  const lines: string[] = [];
  const g = model.graph;
  lines.push(`format:     ONNX (IR version ${model.irVersion})`);
  lines.push(`producer:   ${model.producerName || '?'} ${model.producerVersion}`.trimEnd());
  lines.push(`opsets:     ${[...model.opsetImports].map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ')}`);
  if (model.metadata.size) lines.push(`metadata:   ${[...model.metadata].map(([k, v]) => `${k}=${v}`).join(', ')}`);
  const show = (v: ValueInfo) => `  ${v.name}: ${formatType(v.type)}`;
  lines.push('inputs:');
  for (const i of g.inputs.filter((i) => !g.initializers.has(i.name))) lines.push(show(i));
  lines.push('outputs:');
  for (const o of g.outputs) lines.push(show(o));
  const counts = new Map<string, number>();
  histogram(g, counts);
  lines.push(`operators:  ${g.nodes.length} nodes`);
  for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    lines.push(`  ${k.padEnd(28)} ${n}`);
  }
  let params = 0;
  let bytes = 0;
  for (const t of g.initializers.values()) {
    params += t.size;
    bytes += Math.ceil(t.size * DATA_TYPES[t.type].bytes);
  }
  lines.push(`parameters: ${params.toLocaleString('en-US')} in ${g.initializers.size} initializers, ${bytes.toLocaleString('en-US')} bytes`);
  if (model.functions.length) lines.push(`functions:  ${model.functions.map((f) => `${f.domain}::${f.name}`).join(', ')}`);
  try {
    planModel(model, defaultOpRegistry());
    lines.push('runnable:   yes, every operator is implemented');
  } catch (e) {
    if (e instanceof UnsupportedOpError) lines.push(`runnable:   no, missing ${e.ops.join(', ')}`);
    else lines.push(`runnable:   no, ${(e as Error).message}`);
  }
  return lines;
}

export async function inspectCommand(path: string, io: Io): Promise<void> {
  const file = await readModelFile(path);
  const model = await loadOnnxModel(file.bytes, { externalData: file.externalData });
  for (const l of describeModel(model)) io.out(l);
}
