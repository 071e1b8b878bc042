// A read-only POSIX tar (ustar/pax) member lister, for scanning torch.save's pre-0.1.10 tar
// format. Members are views of the input (tar stores, never compresses); names are only looked
// up, never used as paths. Every size and count is checked before it is used.

import { ModelFormatError, ResourceLimitError } from '../../errors.js';

export interface TarMember {
  readonly name: string;
  readonly data: Uint8Array;
  /** Offset of the member's header in the archive. */
  readonly offset: number;
}

const BLOCK = 512;
const MAX_MEMBERS = 100_000;

function field(b: Uint8Array, at: number, len: number): string {
  const s = b.subarray(at, at + len);
  const nul = s.indexOf(0);
  return new TextDecoder('latin1').decode(nul < 0 ? s : s.subarray(0, nul));
}

function octal(b: Uint8Array, at: number, len: number, what: string): number {
  if (b[at]! & 0x80) throw new ModelFormatError(`${what}: base-256 sizes are not supported`);
  const s = field(b, at, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]{1,12}$/.test(s)) throw new ModelFormatError(`${what}: size field ${JSON.stringify(s.slice(0, 16))} is not octal`);
  return parseInt(s, 8);
}

/** The regular-file members, in order. Stops at the end-of-archive block or the end of the bytes. */
export function tarMembers(bytes: Uint8Array, part = 'tar'): TarMember[] {
  const out: TarMember[] = [];
  let paxPath: string | undefined;
  let longName: string | undefined;
  let p = 0;
  while (p + BLOCK <= bytes.length) {
    const h = bytes.subarray(p, p + BLOCK);
    if (h.every((x) => x === 0)) break;
    const what = `${part}: header at offset ${p}`;
    if (field(h, 257, 5) !== 'ustar') throw new ModelFormatError(`${what}: not a ustar header`);
    const size = octal(h, 124, 12, what);
    const dataStart = p + BLOCK;
    if (size > bytes.length - dataStart) throw new ModelFormatError(`${what}: member claims ${size} bytes, ${bytes.length - dataStart} remain`);
    const data = bytes.subarray(dataStart, dataStart + size);
    const type = String.fromCharCode(h[156]!);
    const prefix = field(h, 345, 155);
    const base = field(h, 0, 100);
    if (type === 'x') {
      // pax extended header: "LEN key=value\n" records; only 'path' matters here.
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(data));
      paxPath = m?.[1];
    } else if (type === 'L') {
      longName = field(data, 0, data.length);
    } else if (type === '0' || type === '\0' || type === '7') {
      if (out.length >= MAX_MEMBERS) throw new ResourceLimitError(`${part}: more than ${MAX_MEMBERS} members`);
      const name = paxPath ?? longName ?? (prefix ? `${prefix}/${base}` : base);
      out.push({ name, data, offset: p });
      paxPath = undefined;
      longName = undefined;
    } else if (type !== 'g') {
      paxPath = undefined; // directories, links, devices: no bytes to read
      longName = undefined;
    }
    p = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}
