#!/usr/bin/env node
// The tessera command line: inspect, run, demo.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TesseraError } from '../errors.js';
import { readModelFile } from '../node.js';
import { inspectCommand } from './inspect.js';
import { runCommand } from './run.js';
import { demoCommand } from './demo.js';
import { scanCommand } from './scan.js';
import { convertCommand } from './convert.js';
import { inspectPickleCommand } from './inspect-pickle.js';
import { looksLikeTorchFile } from '../formats/pickle/index.js';
import { looksLikeTorchScript } from '../formats/torchscript/index.js';
import { inspectTorchScriptCommand } from './inspect-torchscript.js';

/** A bad command line: reported in one line, exit code 2. */
export class UsageError extends Error {}

const USAGE = `usage: tessera <command> [options]
  inspect MODEL                     ONNX: format, producer, opsets, inputs/outputs, op histogram, parameters;
                                    TorchScript (.pt): module tree, classes, methods and their code;
                                    PyTorch pickle (.pt/.pth/.bin/.pkl): the object tree with shapes and dtypes
  scan FILE                         list a pickle's globals and opcodes without running anything;
                                    exit 0 safe, 1 unsafe, 2 not a pickle
  convert FILE.pt OUT.safetensors   write a PyTorch state dict as safetensors
  run MODEL [--input NAME=FILE.npy|FILE.pb ...] [--out DIR]
                                    run an ONNX or TorchScript model; without inputs, uses deterministic random ones
  demo                              classify the shipped handwritten digits with the shipped model`;

export interface Io {
  out(line: string): void;
}

export async function main(argv: string[], io: Io = { out: (l) => console.log(l) }): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'inspect': {
        if (rest.length !== 1) throw new UsageError('inspect takes exactly one MODEL path');
        const head = await readBytes(rest[0]!);
        if (looksLikeTorchScript(head)) await inspectTorchScriptCommand(rest[0]!, io);
        else if (looksLikeTorchFile(head)) await inspectPickleCommand(rest[0]!, io);
        else await inspectCommand(rest[0]!, io);
        return 0;
      }
      case 'scan': {
        if (rest.length !== 1) throw new UsageError('scan takes exactly one FILE path');
        return await scanCommand(rest[0]!, io);
      }
      case 'convert': {
        if (rest.length !== 2) throw new UsageError('convert takes FILE.pt and OUT.safetensors');
        await convertCommand(rest[0]!, rest[1]!, io);
        return 0;
      }
      case 'run':
        await runCommand(rest, io);
        return 0;
      case 'demo':
        if (rest.length) throw new UsageError('demo takes no arguments');
        await demoCommand(packageRoot(), io);
        return 0;
      case undefined: case 'help': case '--help': case '-h':
        io.out(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${cmd}' (try: inspect, run, scan, convert, demo)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`tessera: ${e.message}`);
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

export function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const p = resolve(here, up);
    if (existsSync(join(p, 'package.json'))) return p;
  }
  return resolve(here, '../..');
}

export async function readBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
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
