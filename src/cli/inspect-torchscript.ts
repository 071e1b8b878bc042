// `tessera inspect model.pt` for TorchScript archives: version, module tree (submodules,
// parameters, buffers, attributes), classes with their methods, and each method's code.

import { TsObject, TsTuple, type TsValue } from '../../ops/aten/aten-op.js';
import { typeToString } from '../ir/torchscript-ast.js';
import { loadTorchScript, type TorchScriptModule } from '../runtime/torchscript/module.js';
import { pyRepr } from '../../ops/aten/py-values.js';
import { Tensor } from '../tensor.js';
import { type Io, jsonDocument } from './io.js';
import { readRegularFile } from '../node.js';

const MAX_TREE_LINES = 2000;

function describeValue(v: TsValue): string {
  if (v instanceof Tensor) return `Tensor ${v.type}[${v.dims.join(', ')}]`;
  if (Array.isArray(v)) return v.length > 8 ? `[${v.slice(0, 8).map(describeValue).join(', ')}, ... (${v.length})]` : `[${v.map(describeValue).join(', ')}]`;
  if (v instanceof TsTuple) return `(${v.items.map(describeValue).join(', ')})`;
  if (v instanceof TsObject) return v.className;
  const s = pyRepr(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The module tree as indented lines: submodules recurse, tensors show dtype and shape. */
export function moduleTree(mod: TorchScriptModule, max = MAX_TREE_LINES): string[] {
  const lines: string[] = [];
  const seen = new Set<TsObject>();
  const walk = (obj: TsObject, label: string, depth: number): void => {
    if (lines.length >= max) return;
    const pad = '  '.repeat(depth);
    lines.push(`${pad}${label}${label ? ': ' : ''}${obj.className.replace(/^__torch__\./, '')}`);
    if (seen.has(obj)) { lines.push(`${pad}  (shared, shown above)`); return; }
    seen.add(obj);
    const cls = mod.archive.findClass(obj.className);
    const params = new Set(cls?.parameters ?? []);
    const buffers = new Set(cls?.buffers ?? []);
    for (const [k, v] of obj.attributes) {
      if (lines.length >= max) { lines.push(`${pad}  ... (capped at ${max} lines)`); return; }
      if (v instanceof TsObject) { walk(v, k, depth + 1); continue; }
      const tag = params.has(k) ? ' (parameter)' : buffers.has(k) ? ' (buffer)' : '';
      lines.push(`${pad}  ${k}${tag} = ${describeValue(v)}`);
    }
    for (const a of cls?.attributes ?? []) {
      if (!a.final || obj.attributes.has(a.name)) continue;
      const value = mod.runtime.getAttr(obj, a.name, { file: '', line: 0, col: 0 });
      lines.push(`${pad}  ${a.name}: Final[${typeToString(a.type)}] = ${describeValue(value)}`);
    }
  };
  walk(mod.root, '', 0);
  return lines;
}

export async function inspectTorchScriptCommand(path: string, io: Io, json = false): Promise<void> {
  const bytes = await readRegularFile(path);
  const mod = loadTorchScript(bytes);
  const a = mod.archive;
  if (json) {
    const classes: { name: string; bases: string[]; methods: string[] }[] = [];
    const functions: string[] = [];
    for (const name of a.codeModules) {
      const m = a.codeModule(name)!;
      for (const c of m.classes.values()) classes.push({ name: c.qualifiedName, bases: [...c.bases], methods: [...c.methods.keys()] });
      for (const f of m.functions.values()) functions.push(f.qualifiedName);
    }
    io.out(jsonDocument({
      file: path, kind: 'torchscript', folder: a.prefix.replace(/\/$/, ''), version: a.version, root: mod.root.className,
      forward: signature(mod), constants: a.constants.length,
      operators: Object.fromEntries([...mod.opSites].map(([op, site]) => [op, { firstCall: site, implemented: !mod.missingOps.includes(op) }])),
      missingOps: mod.missingOps, moduleTree: moduleTree(mod), classes, functions,
    }));
    return;
  }
  io.out(`format: TorchScript archive (folder '${a.prefix.replace(/\/$/, '')}', version ${a.version})`);
  io.out(`root: ${mod.root.className}`);
  io.out(`forward: ${signature(mod)}`);
  io.out(`constants: ${a.constants.length}`);
  if (mod.missingOps.length) io.out(`unimplemented operators: ${mod.missingOps.join(', ')}`);
  io.out('');
  const missing = new Set(mod.missingOps);
  io.out(`operators the code names: ${mod.opSites.size}${missing.size ? ` (${missing.size} missing: a run fails only if it reaches one)` : ''}`);
  for (const [op, site] of mod.opSites) io.out(missing.has(op) ? `  ${op}  MISSING, first called at ${site}` : `  ${op}`);
  io.out('');
  io.out('module tree:');
  for (const l of moduleTree(mod)) io.out(`  ${l}`);
  io.out('');
  io.out('classes:');
  for (const name of a.codeModules) {
    const m = a.codeModule(name)!;
    for (const c of m.classes.values()) {
      const bases = c.bases.length ? `(${c.bases.join(', ')})` : '';
      io.out(`  ${c.qualifiedName}${bases}: ${[...c.methods.keys()].join(', ') || 'no methods'}`);
    }
    for (const f of m.functions.values()) io.out(`  ${f.qualifiedName}() (function)`);
  }
  io.out('');
  io.out('code:');
  for (const name of a.codeModules) {
    const m = a.codeModule(name)!;
    io.out(`# ${m.file}`);
    for (const c of m.classes.values()) for (const line of c.source.split('\n')) io.out(line);
    for (const f of m.functions.values()) for (const line of f.source.split('\n')) io.out(line);
  }
}

function signature(mod: TorchScriptModule): string {
  const f = mod.method('forward');
  const params = f.params.slice(1).map((p) => `${p.name}: ${p.type ? typeToString(p.type) : 'Tensor'}`);
  return `(${params.join(', ')}) -> ${f.returns ? typeToString(f.returns) : 'Tensor'}`;
}
