// `tessera convert FILE.pt OUT.safetensors`: a torch checkpoint's tensors, safely, as safetensors.

import { writeFile } from 'node:fs/promises';
import { readRegularFile } from '../node.js';
import { stateDict, storageSharing, tensorSource, torchLoad } from '../formats/pickle/index.js';
import { writeSafetensors } from '../formats/safetensors/index.js';
import type { Tensor } from '../tensor.js';
import { type Io, writing } from './io.js';
import { ModelFormatError } from '../errors.js';
import { type FileKind, KIND_NAMES, detectFileKind } from './file-kind.js';

const STORABLE = new Set(['bool', 'uint8', 'int8', 'int16', 'uint16', 'float16', 'bfloat16', 'int32', 'uint32', 'float32',
  'float64', 'int64', 'uint64', 'float8e4m3fn', 'float8e5m2', 'float8e8m0', 'complex64']);

/** What convert reads: a torch.save pickle, or the weights a TorchScript archive carries. */
const CONVERTIBLE: ReadonlySet<FileKind> = new Set(['torch-pickle', 'torchscript']);

export async function convertCommand(inPath: string, outPath: string, io: Io): Promise<void> {
  const bytes = await readRegularFile(inPath);
  const kind = detectFileKind(bytes);
  if (!CONVERTIBLE.has(kind)) {
    throw new ModelFormatError(`${inPath} is ${KIND_NAMES[kind]}, not a torch.save file: convert writes a PyTorch state dict (.pt/.pth/.bin) as safetensors`);
  }
  const tree = torchLoad(bytes);
  const sd = stateDict(tree);
  const kept: Array<[string, Tensor]> = [];
  for (const [name, t] of sd) {
    const src = tensorSource(t);
    if (src?.quantization) { io.out(`skipped ${name}: quantized ${src.dtype} (safetensors has no quantization parameters)`); continue; }
    if (!STORABLE.has(t.type)) { io.out(`skipped ${name}: ${t.type} has no safetensors dtype`); continue; }
    kept.push([name, t]);
  }
  for (const g of storageSharing(sd)) io.out(`note: ${g.names.join(', ')} share storage ${g.storage}; written as separate copies`);
  const out = writeSafetensors(kept, [['format', 'pt']]);
  await writing(outPath, () => writeFile(outPath, out));
  io.out(`wrote ${kept.length} tensor(s), ${out.length} bytes, to ${outPath}`);
}
