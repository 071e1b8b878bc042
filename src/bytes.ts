// Byte buffers: chunks joined into one (a streamed body, an inflated entry, a response's parts).

/** The chunks one after another in one array; the chunk itself when there is only one. */
export function concatBytes<B extends ArrayBufferLike>(chunks: readonly Uint8Array<B>[]): Uint8Array<B | ArrayBuffer> {
  if (chunks.length === 1) return chunks[0]!;
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
