// What a file on the command line is, from its bytes, before a command commits to a loader:
// `inspect` picks its report by it, `convert` and `compare` say what a file is when it is not what
// they need. The sniffers are the loaders' own (TorchScript and torch.save detection, the pickle
// container sniff); ONNX has no magic number, so 'onnx' means "a protobuf that starts like a
// ModelProto" and the ONNX loader has the last word.

import { looksLikeTorchFile, sniffContainer } from '../formats/pickle/index.js';
import { looksLikeTorchScript } from '../formats/torchscript/index.js';

export type FileKind =
  | 'onnx' | 'torchscript' | 'torch-pickle' | 'safetensors' | 'npy' | 'zip' | 'tar'
  | '7z' | 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'unknown';

/** How each kind is named in messages. */
export const KIND_NAMES: Readonly<Record<FileKind, string>> = Object.freeze({
  onnx: 'an ONNX model',
  torchscript: 'a TorchScript archive (torch.jit.save)',
  'torch-pickle': 'a torch.save pickle (weights or a checkpoint)',
  safetensors: 'a safetensors file',
  npy: 'a numpy .npy array',
  zip: 'a zip archive that is neither torch.save nor TorchScript',
  tar: 'a tar archive',
  '7z': 'a 7z archive',
  gzip: 'a gzip stream',
  bzip2: 'a bzip2 stream',
  xz: 'an xz stream',
  zstd: 'a zstd stream',
  unknown: 'not a format tessera knows',
});

/** safetensors: an 8-byte little-endian header length, then a JSON object of that length. */
function looksLikeSafetensors(b: Uint8Array): boolean {
  if (b.length < 10) return false;
  const n = new DataView(b.buffer, b.byteOffset, 8).getUint32(0, true) + new DataView(b.buffer, b.byteOffset, 8).getUint32(4, true) * 2 ** 32;
  return n >= 2 && n <= b.length - 8 && b[8] === 0x7b; // '{'
}

/**
 * ModelProto's fields are 1..8, 10, 14, 20, 25; an exporter writes ir_version (field 1, varint:
 * tag 0x08) first, some write opset_import, producer or graph first. A first tag among them, with
 * its wire type, is as far as the bytes say without decoding.
 */
const MODEL_FIRST_TAGS = new Set([0x08, 0x12, 0x1a, 0x22, 0x2a, 0x30, 0x3a, 0x42, 0x52, 0x72]);

export function detectFileKind(bytes: Uint8Array): FileKind {
  if (looksLikeTorchScript(bytes)) return 'torchscript';
  if (looksLikeTorchFile(bytes)) return 'torch-pickle';
  if (looksLikeSafetensors(bytes)) return 'safetensors';
  const container = sniffContainer(bytes);
  if (container !== 'pickle') return container;
  if (bytes.length > 0 && MODEL_FIRST_TAGS.has(bytes[0]!)) return 'onnx';
  return 'unknown';
}
