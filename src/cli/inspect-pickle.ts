// `tessera inspect FILE.pt`: the loaded tree with shapes and dtypes, and which tensors share storage.

import {
  isTuple, PyComplex, PyGlobal, PyRecord, PySlice, stateDict, storageSharing, tensorSource, torchLoadWithFormat,
} from '../formats/pickle/index.js';
import { Tensor } from '../tensor.js';
import { type Io, jsonDocument } from './io.js';
import { parseNpy } from '../formats/npy/npy.js';
import { readSafetensors } from '../formats/safetensors/index.js';
import { readRegularFile } from '../node.js';

const MAX_LINES = 2000;

function scalar(v: unknown): string | undefined {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v);
  if (v instanceof Uint8Array) return `bytes[${v.length}]`;
  if (v instanceof PyGlobal) return v.qualname;
  if (v instanceof PyComplex) return `complex(${v.re}, ${v.im})`;
  if (v instanceof PySlice) return 'slice(...)';
  if (v instanceof Tensor) {
    const src = tensorSource(v);
    const tags = src ? [src.parameter ? 'parameter' : '', src.requiresGrad ? 'requires_grad' : '', `storage ${src.storage} offset ${src.offset} stride [${src.stride.join(', ')}]`].filter(Boolean) : [];
    return `${src?.dtype ?? v.type}[${v.dims.join(', ')}]${tags.length ? ` (${tags.join(', ')})` : ''}`;
  }
  return undefined;
}

/** The tree as indented lines; iterative, cycle-safe, capped at `max` lines. */
export function formatTree(tree: unknown, max = MAX_LINES): string[] {
  const lines: string[] = [];
  const open = new Set<object>();
  const todo: Array<{ label: string; v: unknown; indent: number } | { close: object }> = [{ label: '', v: tree, indent: 0 }];
  while (todo.length) {
    if (lines.length >= max) { lines.push(`... (output capped at ${max} lines)`); break; }
    const item = todo.pop()!;
    if ('close' in item) { open.delete(item.close); continue; }
    const { label, v, indent } = item;
    const pad = '  '.repeat(indent) + (label ? `${label}: ` : '');
    const s = scalar(v);
    if (s !== undefined) { lines.push(pad + s); continue; }
    if (typeof v !== 'object' || v === null) { lines.push(pad + String(v)); continue; }
    if (open.has(v)) { lines.push(`${pad}<cycle>`); continue; }
    let kids: Array<[string, unknown]>;
    if (v instanceof Map) { lines.push(`${pad}dict (${v.size})`); kids = [...v].map(([k, c]) => [scalar(k) ?? '<key>', c]); }
    else if (Array.isArray(v)) { lines.push(`${pad}${isTuple(v) ? 'tuple' : 'list'} (${v.length})`); kids = v.map((c, i) => [`[${i}]`, c]); }
    else if (v instanceof Set) { lines.push(`${pad}set (${v.size})`); kids = [...v].map((c, i) => [`{${i}}`, c]); }
    else if (v instanceof PyRecord) { lines.push(`${pad}${v.cls.qualname} record`); kids = [['state', v.state]]; }
    else { lines.push(`${pad}${(v as object).constructor?.name ?? 'object'}`); kids = []; }
    open.add(v);
    todo.push({ close: v });
    for (let i = kids.length - 1; i >= 0; i--) todo.push({ label: kids[i]![0], v: kids[i]![1], indent: indent + 1 });
  }
  return lines;
}

/** `tessera inspect FILE.safetensors` (and .npy): the tensors' names, dtypes and shapes. */
export function inspectTensorFile(path: string, bytes: Uint8Array, kind: 'safetensors' | 'npy', io: Io, json = false): void {
  const tensors: [string, Tensor][] = kind === 'npy' ? [['', parseNpy(bytes, path)]] : [...readSafetensors(bytes, path).tensors];
  const meta = kind === 'safetensors' ? Object.fromEntries(readSafetensors(bytes, path).metadata) : {};
  let elements = 0;
  for (const [, t] of tensors) elements += t.size;
  if (json) {
    io.out(jsonDocument({ file: path, kind, metadata: meta, elements, tensors: tensors.map(([name, t]) => ({ name, dtype: t.type, shape: t.dims })) }));
    return;
  }
  io.out(`${path}: ${kind === 'npy' ? 'numpy .npy array' : 'safetensors file'}`);
  if (Object.keys(meta).length) io.out(`metadata: ${Object.entries(meta).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  io.out(`tensors: ${tensors.length}, elements: ${elements}`);
  for (const [name, t] of tensors) io.out(`  ${name ? `${name}: ` : ''}${t.type}[${t.dims.join(', ')}]`);
}

export async function inspectPickleCommand(path: string, io: Io, json = false): Promise<void> {
  const bytes = await readRegularFile(path);
  const { value, format } = torchLoadWithFormat(bytes);
  const sd = stateDict(value);
  let elements = 0;
  for (const t of sd.values()) elements += t.size;
  if (json) {
    io.out(jsonDocument({
      file: path, kind: 'torch-pickle', format, elements,
      tensors: [...sd].map(([name, t]) => ({ name, dtype: tensorSource(t)?.dtype ?? t.type, shape: t.dims })),
      sharedStorage: storageSharing(sd).map((g) => ({ storage: g.storage, names: g.names })),
      tree: formatTree(value),
    }));
    return;
  }
  io.out(`${path}: ${format === 'zip' ? 'torch.save zip archive' : format === 'legacy' ? 'legacy torch.save file' : 'plain pickle'}`);
  io.out(`tensors: ${sd.size}, elements: ${elements}`);
  for (const line of formatTree(value)) io.out(line);
  for (const g of storageSharing(sd)) io.out(`shared storage ${g.storage}: ${g.names.join(', ')}`);
}
