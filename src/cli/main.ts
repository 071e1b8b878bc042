#!/usr/bin/env node
// The tessera command line: inspect, scan, convert, run, trace, compare, ops, demo.

import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../env.js';
import { InvalidArgumentError, ModelFormatError, TesseraError } from '../errors.js';
import { readModelFile, readRegularFile } from '../node.js';
import { type Io, UsageError } from './io.js';
import { type InspectOptions, inspectCommand, parseInputShape } from './inspect.js';
import type { Dim } from '../ir/graph.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';
import { demoCommand } from './demo.js';
import { scanCommand } from './scan.js';
import { convertCommand } from './convert.js';
import { traceCommand } from './trace.js';
import { compareCommand } from './compare.js';
import { opsCommand } from './ops.js';
import { inspectPickleCommand, inspectTensorFile } from './inspect-pickle.js';
import { KIND_NAMES, detectFileKind } from './file-kind.js';
import { inspectTorchScriptCommand } from './inspect-torchscript.js';

/** A bad command line: reported in one line, exit code 2. */

/** Each command's help: `tessera COMMAND --help` prints its entry, `tessera --help` all of them. */
const HELP: Readonly<Record<string, string>> = {
  inspect: `  inspect MODEL [--json]            ONNX: format, producer, opsets, inputs/outputs, op histogram, parameters;
                                    TorchScript (.pt): module tree, classes, methods and their code;
                                    PyTorch pickle (.pt/.pth/.bin/.pkl): the object tree with shapes and dtypes;
                                    safetensors, .npy: the tensors; any other file: what it is
    [--shapes] [--input-shape NAME=1x3x224x224 ...]
                                    ONNX: every value's inferred type and shape and the op producing it;
                                    --input-shape pins an input's dims (names stay symbolic, ? is unknown)`,
  scan: `  scan FILE [--json]                find the container (npy, npz, torch zip, zip, tar, pickle), list every
                                    pickle's globals and opcodes without running anything;
                                    exit 0 safe, 1 unsafe, 3 cannot verify (7z, encrypted, malformed)`,
  convert: `  convert FILE.pt OUT.safetensors   write a PyTorch state dict (torch.save, or a TorchScript archive's weights) as safetensors`,
  run: `  run MODEL [--input NAME=FILE.npy|FILE.pb ...] [--out DIR] [--json]
                                    run an ONNX or TorchScript model; without inputs, uses deterministic random ones
    [--max-memory BYTES] [--max-tensor-elements N] [--max-loop-iterations N] [--timeout MS]
                                    limits for loading and running (BYTES may be 512M, 4G); a breach exits 1
    [--ep wasm|cpu|wasm,cpu] [--profile [RUNS]]
                                    backend to run on (default: wasm where available); per-node profile`,
  serve: `  serve MODEL_OR_DIR [--port 8000] [--host 127.0.0.1]
                                    serve a model, or every .onnx / TorchScript model in a folder (name: the file's
                                    stem, or tessera-serve.json), over the Open Inference Protocol v2 (KServe, Triton)
    [--max-batch 32] [--batch-delay-ms 0]
                                    merge concurrent requests along a free leading batch dim, up to N rows
    [--max-body-bytes 64M] [--timeout-ms 30000] [--concurrency 256]
                                    request size limit (413), per-request timeout (504), requests handled at once
    [--no-worker] [--ep wasm|cpu]   run sessions on the main thread instead of a worker each; backend`,
  trace: `  trace MODEL [--input NAME=FILE ...] [--json] [--ep wasm|cpu]
                                    run once and print every step's inputs and outputs (dtype, shape, min/max/mean,
                                    NaN/Inf counts): ONNX nodes as written (no fusion; subgraph nodes indented),
                                    TorchScript aten/prim calls with their source line
    [--dump DIR] [--until-nan]      write each step's output tensors to DIR as NNNN_NAME.npy; stop after the
                                    first step whose output holds a NaN`,
  compare: `  compare A B [--input NAME=FILE ...] [--tolerance T] [--json] [--ep wasm|cpu]
                                    run the same model from two files (ONNX, TorchScript) on the same inputs and
                                    print each output's max abs / rel difference; two files of one format (two
                                    ONNX): also the first step whose output differs; B a state dict (torch.save,
                                    safetensors): A against A with B's weights; exit 0 when every output agrees
                                    within T x max(1, largest |value|) (T: 1e-4), 1 when one does not
  compare MODEL.onnx --ort          tessera against onnxruntime-node (when installed) on the same inputs`,
  ops: `  ops [--json] [--domain D]         every operator tessera runs: domain, opset range, and the backends whose
                                    kernels it reaches (js: every op; wasm, webgl: products on that backend)`,
  demo: `  demo                              classify the shipped handwritten digits with the shipped model`,
};

const USAGE = `usage: tessera <command> [options]     (tessera --version; tessera COMMAND --help)
${Object.values(HELP).join('\n')}`;

export async function main(argv: string[], io: Io = { out: (l) => console.log(l) }): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd !== undefined && HELP[cmd] !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
      io.out(`usage: tessera\n${HELP[cmd]}`);
      return 0;
    }
    switch (cmd) {
      case '--version': case '-v': case 'version':
        if (rest.length) throw new UsageError(`${cmd} takes no arguments`);
        io.out(`tessera ${VERSION}`);
        return 0;
      case 'inspect': {
        const { paths, shapes, inputShapes, json } = inspectArgs(rest);
        if (paths.length !== 1) throw new UsageError('inspect takes exactly one MODEL path');
        await inspectFile(paths[0]!, { shapes, inputShapes, json }, io);
        return 0;
      }
      case 'scan': {
        const json = rest.includes('--json');
        const paths = rest.filter((a) => a !== '--json');
        if (paths.length !== 1) throw new UsageError('scan takes exactly one FILE path');
        return await scanCommand(paths[0]!, io, json);
      }
      case 'convert': {
        if (rest.length !== 2) throw new UsageError('convert takes FILE.pt and OUT.safetensors');
        await convertCommand(rest[0]!, rest[1]!, io);
        return 0;
      }
      case 'run':
        await runCommand(rest, io);
        return 0;
      case 'serve':
        await serveCommand(rest, io);
        return 0;
      case 'trace':
        return await traceCommand(rest, io);
      case 'compare':
        return await compareCommand(rest, io);
      case 'ops':
        return await opsCommand(rest, io);
      case 'demo':
        if (rest.length) throw new UsageError('demo takes no arguments');
        await demoCommand(packageRoot(), io);
        return 0;
      case undefined: case 'help': case '--help': case '-h':
        io.out(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${cmd}' (try: ${Object.keys(HELP).join(', ')}, --version, --help)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`tessera: ${e.message}`);
      return 2;
    }
    const fsCause = e instanceof InvalidArgumentError ? (e.cause as NodeJS.ErrnoException | undefined)?.code : undefined;
    if (typeof fsCause === 'string') {
      // A path on the command line that cannot be read: a usage problem.
      console.error(`tessera: ${e instanceof Error ? e.message : String(e)}`);
      return 2;
    }
    if (e instanceof TesseraError) {
      console.error(`tessera: ${e.name}: ${e.message}`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'ENOENT' || err?.code === 'EISDIR' || err?.code === 'EACCES') {
      console.error(`tessera: cannot read '${err.path}': ${err.code}`);
      return 2;
    }
    console.error(`tessera: internal error: ${err?.stack ?? String(e)}`);
    return 1;
  }
}

/** `inspect` by what the file is: ONNX, TorchScript, torch.save, safetensors, .npy; anything else is named. */
async function inspectFile(path: string, options: InspectOptions, io: Io): Promise<void> {
  const head = await readBytes(path);
  const kind = detectFileKind(head);
  const json = options.json === true;
  if (kind !== 'onnx' && kind !== 'unknown' && (options.shapes || options.inputShapes?.size)) {
    throw new UsageError(`inspect: --shapes and --input-shape apply to ONNX models; ${path} is ${KIND_NAMES[kind]}`);
  }
  switch (kind) {
    case 'torchscript': return inspectTorchScriptCommand(path, io, json);
    case 'torch-pickle': return inspectPickleCommand(path, io, json);
    case 'safetensors': case 'npy': return inspectTensorFile(path, head, kind, io, json);
    case 'onnx': return inspectCommand(path, io, options);
    case 'unknown':
      try {
        return await inspectCommand(path, io, options);
      } catch (e) {
        if (e instanceof ModelFormatError) e.message = `${path} is ${KIND_NAMES.unknown} (not ONNX, TorchScript, torch.save, safetensors or .npy); read as ONNX: ${e.message}`;
        throw e;
      }
    default:
      throw new ModelFormatError(`${path} is ${KIND_NAMES[kind]}, not a model (tessera scan ${path} tells what it holds)`);
  }
}

/** `inspect` arguments: the model path, --shapes, --json and --input-shape NAME=DIMS (repeatable). */
function inspectArgs(args: readonly string[]): { paths: string[]; shapes: boolean; json: boolean; inputShapes: Map<string, Dim[]> } {
  const paths: string[] = [];
  let shapes = false;
  let json = false;
  const inputShapes = new Map<string, Dim[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--shapes') shapes = true;
    else if (a === '--json') json = true;
    else if (a === '--input-shape' || a.startsWith('--input-shape=')) {
      const spec = a === '--input-shape' ? args[++i] : a.slice('--input-shape='.length);
      const parsed = spec === undefined ? undefined : parseInputShape(spec);
      if (!parsed) throw new UsageError(`--input-shape needs NAME=DIMS, e.g. image=1x3x224x224 (got '${spec ?? ''}')`);
      inputShapes.set(parsed[0], parsed[1]);
    } else if (a.startsWith('--')) throw new UsageError(`inspect: unknown option '${a}'`);
    else paths.push(a);
  }
  return { paths, shapes, json, inputShapes };
}

export function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const p = resolve(here, up);
    if (existsSync(join(p, 'package.json'))) return p;
  }
  return resolve(here, '../..');
}

/** A file named on the command line: regular files only (never a device or a FIFO), within the default memory limit. */
export async function readBytes(path: string): Promise<Uint8Array> {
  return readRegularFile(path);
}

export { readModelFile, mkdir, writeFile };

function invokedDirectly(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
if (invokedDirectly()) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
