// What kind of file holds the pickles, from its first bytes, and what role each member of a zip
// plays (which one torch.load unpickles, which are raw storages, ...). torchLoad, scanPickle and
// scanFile all call these two functions, so the loader and the scanners cannot disagree on which
// container a file is or which member is its pickle.

import { isZip, ZipArchive } from './zip.js';

export type ContainerKind =
  | 'zip' | 'npy' | 'tar' | '7z' | 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'pickle';

/** Containers tessera knows but cannot open, with what a user should be told about each. */
export const UNOPENABLE: Readonly<Partial<Record<ContainerKind, string>>> = Object.freeze({
  '7z': '7z archive: tessera cannot open 7z archives (extract it and scan each file)',
  gzip: 'gzip stream: tessera does not decompress it (gunzip it and scan the result)',
  bzip2: 'bzip2 stream: tessera does not decompress it (bunzip2 it and scan the result)',
  xz: 'xz stream: tessera does not decompress it (unxz it and scan the result)',
  zstd: 'zstd stream: tessera does not decompress it (unzstd it and scan the result)',
});

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const SEVEN_Z = [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c];
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];

const startsWith = (b: Uint8Array, magic: readonly number[], at = 0): boolean =>
  b.length >= at + magic.length && magic.every((m, i) => b[at + i] === m);

/** A POSIX tar (ustar header magic at offset 257): torch.save's format before 0.1.10 used one. */
export function isTar(bytes: Uint8Array): boolean {
  return bytes.length >= 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar';
}

export function isNpy(bytes: Uint8Array): boolean {
  return startsWith(bytes, NPY_MAGIC);
}

/**
 * The container, from magic bytes only. 'pickle' means none of the others: a raw pickle, a
 * legacy torch.save file (a pickle whose value is the legacy magic number), or not a pickle at all.
 * None of the magic numbers is a pickle's start (0x93 is STACK_GLOBAL with an empty stack, 0x1f,
 * 0x37, 0xfd and 0xb5 are no opcodes), so no loadable pickle is sniffed as anything else.
 */
export function sniffContainer(bytes: Uint8Array): ContainerKind {
  if (isZip(bytes) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) return 'zip';
  if (isNpy(bytes)) return 'npy';
  if (startsWith(bytes, SEVEN_Z)) return '7z';
  if (isTar(bytes)) return 'tar';
  if (startsWith(bytes, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(bytes, [0x42, 0x5a, 0x68]) && bytes[3]! >= 0x31 && bytes[3]! <= 0x39) return 'bzip2';
  if (startsWith(bytes, XZ)) return 'xz';
  if (startsWith(bytes, ZSTD)) return 'zstd';
  return 'pickle';
}

/** The refusal torchLoad (and so scanPickle) gives for a container that is not a torch file, if any. */
export function notATorchFile(kind: ContainerKind): string | undefined {
  switch (kind) {
    case 'zip': case 'pickle': return undefined;
    case 'npy': return 'numpy .npy file, not a torch.save file (parseNpy reads it; tessera scan inspects it)';
    case 'tar': return 'torch file: the pre-0.4 tar format is not supported';
    default: return `${UNOPENABLE[kind]!.split(':')[0]}, not a torch.save file`;
  }
}

/**
 * What a zip member is to the loaders that read the archive:
 * - 'torch-pickle': <folder>/data.pkl, the one pickle torch.load (and torchLoad) unpickles;
 * - 'pickle': another member a loader unpickles (TorchScript's constants.pkl and code/*.debug_pkl,
 *   a member named *.pkl / *.pickle);
 * - 'storage': raw tensor bytes (<folder>/data/<key>, TorchScript's <folder>/constants/<key>), never unpickled;
 * - 'metadata': byteorder, version and the like, read as text;
 * - 'code': TorchScript sources (code/*.py), parsed by the TorchScript loader, never unpickled;
 * - 'npy': a .npy member (an .npz holds only these);
 * - 'other': anything else; a scanner looks at its bytes.
 */
export type MemberRole = 'torch-pickle' | 'pickle' | 'storage' | 'metadata' | 'code' | 'npy' | 'other';

const TORCH_MAIN = /^[^/]+\/data\.pkl$/;
const METADATA = new Set(['byteorder', 'version', '.format_version', '.storage_alignment', '.data/version', '.data/serialization_id']);
const PICKLE_NAME = /\.(pkl|pickle|debug_pkl)$/;

/** Every <folder>/data.pkl: a torch zip has exactly one. */
export function torchMainPickles(names: readonly string[]): string[] {
  return names.filter((n) => TORCH_MAIN.test(n));
}

export interface ZipRoles {
  /** '<folder>/' of the one <folder>/data.pkl, when there is exactly one (a torch zip). */
  readonly torchPrefix?: string;
  readonly roles: ReadonlyMap<string, MemberRole>;
}

/** The role of every member, from names alone. */
export function zipMemberRoles(names: readonly string[]): ZipRoles {
  const mains = torchMainPickles(names);
  const prefix = mains.length === 1 ? mains[0]!.slice(0, -'data.pkl'.length) : undefined;
  const roles = new Map<string, MemberRole>();
  for (const n of names) {
    let role: MemberRole = 'other';
    const local = prefix !== undefined && n.startsWith(prefix) ? n.slice(prefix.length) : undefined;
    if (local === 'data.pkl') role = 'torch-pickle';
    else if (local !== undefined && /^(data|constants)\/[^/]+$/.test(local)) role = 'storage';
    else if (local !== undefined && METADATA.has(local)) role = 'metadata';
    else if (local !== undefined && local.startsWith('code/') && !PICKLE_NAME.test(local)) role = 'code';
    else if (PICKLE_NAME.test(n)) role = 'pickle';
    else if (n.endsWith('.npy')) role = 'npy';
    roles.set(n, role);
  }
  return { ...(prefix !== undefined ? { torchPrefix: prefix } : {}), roles };
}

/** Cheap sniffing for CLI dispatch: a zip holding <folder>/data.pkl, or bytes starting with PROTO. */
export function looksLikeTorchFile(bytes: Uint8Array): boolean {
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! <= 5) return true;
  if (!isZip(bytes)) return false;
  try {
    return torchMainPickles(new ZipArchive(bytes).names()).length > 0;
  } catch {
    return false;
  }
}
