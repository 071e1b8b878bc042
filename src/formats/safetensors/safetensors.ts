// safetensors: read and write, with the format's validation rules. An 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__?: {str: str}}, then the
// byte buffer. Offsets are relative to the buffer, must tile it exactly (no overlap, no gap, the
// last one ends at the end of the file) and each tensor's byte count must match dtype x shape.

import type { DataType } from '../../dtypes.js';
import { DATA_TYPES } from '../../dtypes.js';
import { InvalidArgumentError, ModelFormatError } from '../../errors.js';
import { Tensor } from '../../tensor.js';

/** The reference implementation's cap on the header (safetensors MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;

const TO_TYPE: Readonly<Record<string, DataType>> = Object.freeze({
  BOOL: 'bool', U8: 'uint8', I8: 'int8', I16: 'int16', U16: 'uint16', F16: 'float16', BF16: 'bfloat16',
  I32: 'int32', U32: 'uint32', F32: 'float32', F64: 'float64', I64: 'int64', U64: 'uint64',
  F8_E4M3: 'float8e4m3fn', F8_E5M2: 'float8e5m2', F8_E8M0: 'float8e8m0', C64: 'complex64',
});
const FROM_TYPE = new Map<DataType, string>(Object.entries(TO_TYPE).map(([k, v]) => [v, k]));
const HOST_BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

export interface SafetensorsFile {
  /** Tensors in file order (by data offset). */
  readonly tensors: Map<string, Tensor>;
  readonly metadata: Map<string, string>;
}

function swapped(b: Uint8Array, unit: number): Uint8Array {
  if (!HOST_BIG_ENDIAN || unit <= 1) return b;
  const out = b.slice();
  for (let i = 0; i < out.length; i += unit) out.subarray(i, i + unit).reverse();
  return out;
}

function elemBytes(t: DataType): number {
  const info = DATA_TYPES[t];
  return info.bytes;
}

export function readSafetensors(bytes: Uint8Array, part = 'safetensors'): SafetensorsFile {
  if (bytes.length < 8) throw new ModelFormatError(`${part}: ${bytes.length} byte(s) is too short for the header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true), hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER_BYTES) throw new ModelFormatError(`${part}: header of ${n} bytes exceeds ${MAX_HEADER_BYTES}`);
  if (n > bytes.length - 8) throw new ModelFormatError(`${part}: header claims ${n} bytes, ${bytes.length - 8} remain`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new ModelFormatError(`${part}: header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) throw new ModelFormatError(`${part}: header does not start with '{'`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(`${part}: header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new ModelFormatError(`${part}: header is not a JSON object`);
  const buffer = bytes.subarray(8 + n);
  const metadata = new Map<string, string>();
  const entries: Array<{ name: string; type: DataType; shape: number[]; begin: number; end: number }> = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ModelFormatError(`${part}: __metadata__ must be an object`);
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== 'string') throw new ModelFormatError(`${part}: __metadata__ value for ${JSON.stringify(k)} is not a string`);
        metadata.set(k, s);
      }
      continue;
    }
    const what = `${part}: tensor ${JSON.stringify(name)}`;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ModelFormatError(`${what}: entry is not an object`);
    const { dtype, shape, data_offsets: offs } = v as Record<string, unknown>;
    const extra = Object.keys(v).filter((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
    if (extra.length) throw new ModelFormatError(`${what}: unknown field(s) ${extra.join(', ')}`);
    if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(TO_TYPE, dtype)) {
      throw new ModelFormatError(`${what}: unsupported dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new ModelFormatError(`${what}: bad shape`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0) || offs[0] > offs[1]) {
      throw new ModelFormatError(`${what}: bad data_offsets`);
    }
    const type = TO_TYPE[dtype]!;
    let numel = 1;
    for (const d of shape as number[]) numel *= d;
    const need = numel * elemBytes(type);
    if (!Number.isSafeInteger(need) || need !== offs[1] - offs[0]) {
      throw new ModelFormatError(`${what}: ${dtype}[${shape.join(', ')}] needs ${need} bytes, data_offsets give ${offs[1] - offs[0]}`);
    }
    entries.push({ name, type, shape: shape as number[], begin: offs[0], end: offs[1] });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin !== at) {
      throw new ModelFormatError(`${part}: tensor ${JSON.stringify(e.name)} starts at ${e.begin}, expected ${at} (${e.begin < at ? 'overlap' : 'gap'})`);
    }
    at = e.end;
  }
  if (at !== buffer.length) throw new ModelFormatError(`${part}: tensors cover ${at} byte(s) but the buffer holds ${buffer.length}`);
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const info = DATA_TYPES[e.type];
    const raw = swapped(buffer.slice(e.begin, e.end), info.bytes / info.slots);
    const Ctor = info.array as unknown as new (b: ArrayBufferLike, o: number, l: number) => Tensor['data'];
    tensors.set(e.name, new Tensor(e.type, new Ctor(raw.buffer, raw.byteOffset, (e.end - e.begin) / (info.bytes / info.slots)), e.shape));
  }
  return { tensors, metadata };
}

/** Writes tensors (in the given order) and optional string metadata as a safetensors file. */
export function writeSafetensors(
  tensors: Iterable<readonly [string, Tensor]>, metadata?: Iterable<readonly [string, string]>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  const meta = metadata ? Object.fromEntries(metadata) : undefined;
  if (meta && Object.keys(meta).length) header['__metadata__'] = meta;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new InvalidArgumentError(`safetensors: '__metadata__' cannot name a tensor`);
    if (Object.prototype.hasOwnProperty.call(header, name)) throw new InvalidArgumentError(`safetensors: duplicate tensor name ${JSON.stringify(name)}`);
    const dtype = FROM_TYPE.get(t.type);
    if (!dtype || Array.isArray(t.data)) throw new InvalidArgumentError(`safetensors: cannot store a ${t.type} tensor (${JSON.stringify(name)})`);
    const info = DATA_TYPES[t.type];
    const d = t.data as ArrayBufferView;
    const bytes = swapped(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), info.bytes / info.slots);
    Object.defineProperty(header, name, {
      value: { dtype, shape: [...t.dims], data_offsets: [offset, offset + bytes.length] }, enumerable: true, writable: true, configurable: true,
    });
    blobs.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((new TextEncoder().encode(json).length) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 8);
  let o = 8 + head.length;
  for (const b of blobs) { out.set(b, o); o += b.length; }
  return out;
}
