// NumPy .npy files (format versions 1-3): read and write, little- and big-endian.

import { shapeSize } from '../../../kernels/strides.js';
import { DATA_TYPES, type DataType } from '../../dtypes.js';
import { ModelFormatError } from '../../errors.js';
import { Tensor } from '../../tensor.js';

const DESCR: Record<string, DataType> = {
  f4: 'float32', f8: 'float64', f2: 'float16', i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16',
  i4: 'int32', u4: 'uint32', i8: 'int64', u8: 'uint64', b1: 'bool', c8: 'complex64', c16: 'complex128',
};
const TO_DESCR: Partial<Record<DataType, string>> = Object.fromEntries(
  Object.entries(DESCR).map(([k, v]) => [v, k]),
);

/** A .npy header: the dtype as written, and where the data (or, for object arrays, the pickle) starts. */
export interface NpyHeader {
  readonly version: number;
  /** The 'descr' value as written: a dtype string ('<f4', '|O') or a structured list ("[('a', '<f4')]"). */
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly dims: number[];
  /** Offset of the first data byte. */
  readonly dataStart: number;
  /**
   * True when the dtype holds Python objects ('|O', or a structured dtype with an 'O' field): the
   * data is then a pickle that numpy.load(allow_pickle=True) unpickles, not raw numbers.
   */
  readonly objects: boolean;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** A dtype string of Python objects: 'O', '|O', '<O8', ... */
const OBJECT_DTYPE = /^[<>|=]?O\d*$/;

/** Reads and checks the header; never looks at the data. */
export function readNpyHeader(bytes: Uint8Array, part = '.npy file'): NpyHeader {
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) throw new ModelFormatError(`${part}: not a .npy file (bad magic)`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) { headerLen = view.getUint16(8, true); start = 10; }
  else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new ModelFormatError(`${part}: truncated header`);
    headerLen = view.getUint32(8, true); start = 12;
  } else throw new ModelFormatError(`${part}: unsupported .npy version ${major}`);
  if (headerLen > bytes.length - start) throw new ModelFormatError(`${part}: header claims ${headerLen} bytes past the end`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descrM = /'descr'\s*:\s*('[^']*'|\[.*\])\s*,\s*'(?:fortran_order|shape)'/s.exec(header) ?? /'descr'\s*:\s*('[^']*')/.exec(header);
  const order = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descrM || !order || !shapeM) throw new ModelFormatError(`${part}: malformed header ${JSON.stringify(header.slice(0, 200))}`);
  const dims = shapeM[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
    const d = Number(s);
    if (!Number.isSafeInteger(d) || d < 0) throw new ModelFormatError(`${part}: bad dimension '${s}'`);
    return d;
  });
  const raw = descrM[1]!;
  const descr = raw.startsWith("'") ? raw.slice(1, -1) : raw;
  // A structured dtype lists (name, dtype[, shape]) tuples: an object field's dtype is the second item.
  const fieldTypes = raw.startsWith('[') ? [...raw.matchAll(/\(\s*(?:'[^']*'|\([^)]*\))\s*,\s*'([^']*)'/g)].map((m) => m[1]!) : [descr];
  return {
    version: major, descr, fortranOrder: order[1] === 'True', dims, dataStart: start + headerLen,
    objects: fieldTypes.some((t) => OBJECT_DTYPE.test(t)),
  };
}

export function parseNpy(bytes: Uint8Array, part = '.npy file'): Tensor {
  const h = readNpyHeader(bytes, part);
  if (h.objects) {
    throw new ModelFormatError(`${part}: an object array (dtype ${h.descr}): its data is a pickle of Python objects, which parseNpy never unpickles (tessera scan shows what it would import)`);
  }
  const descr = /^([<>|=])([a-z])(\d+)$/.exec(h.descr);
  const type = descr ? DESCR[descr[2]! + descr[3]!] : undefined;
  if (!descr || !type) throw new ModelFormatError(`${part}: unsupported dtype '${h.descr.slice(0, 80)}'`);
  const dims = h.dims;
  if (h.fortranOrder && dims.length > 1) throw new ModelFormatError(`${part}: fortran_order arrays are not supported`);
  const info = DATA_TYPES[type];
  const n = shapeSize(dims);
  const dataStart = h.dataStart;
  const need = n * info.bytes;
  if (bytes.length - dataStart < need) throw new ModelFormatError(`${part}: needs ${need} data bytes, has ${bytes.length - dataStart}`);
  const copy = bytes.slice(dataStart, dataStart + need);
  const elemBytes = info.bytes / info.slots;
  if (descr[1] === '>' && elemBytes > 1) {
    for (let i = 0; i < copy.length; i += elemBytes) copy.subarray(i, i + elemBytes).reverse();
  }
  const Ctor = info.array as unknown as new (b: ArrayBuffer, o: number, l: number) => Tensor['data'];
  return new Tensor(type, new Ctor(copy.buffer, 0, n * info.slots), dims);
}

export function writeNpy(t: Tensor): Uint8Array {
  const d = TO_DESCR[t.type];
  if (!d || Array.isArray(t.data)) throw new ModelFormatError(`.npy: cannot write a ${t.type} tensor`);
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '${d === 'u1' || d === 'i1' || d === 'b1' ? '|' : '<'}${d}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const data = t.data as ArrayBufferView;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
