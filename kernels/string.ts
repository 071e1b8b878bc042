// String kernels: StringNormalizer, StringConcat, StringSplit (RegexFullMatch is kernels/regex-re2.ts).
// Inputs and outputs are plain string[] (tensor storage for 'string'); the caller allocates.

/** Python's str.isspace() set, so whitespace splitting matches `str.split()` (the ONNX reference). */
export function isPythonSpace(c: number): boolean {
  return (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x20) || c === 0x85 || c === 0xa0 ||
    c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000;
}

/** Splits like Python `s.split(None, maxsplit)`: runs of whitespace, no empty pieces; maxsplit < 0 = no limit. */
export function splitWhitespace(s: string, maxsplit: number): string[] {
  const out: string[] = [];
  const n = s.length;
  let i = 0;
  while (true) {
    while (i < n && isPythonSpace(s.charCodeAt(i))) i++;
    if (i >= n) break;
    if (maxsplit >= 0 && out.length === maxsplit) {
      // The rest, leading whitespace already skipped; trailing whitespace is kept (as Python does).
      out.push(s.slice(i));
      break;
    }
    const start = i;
    while (i < n && !isPythonSpace(s.charCodeAt(i))) i++;
    out.push(s.slice(start, i));
  }
  return out;
}

/** Splits like Python `s.split(sep, maxsplit)` for a non-empty separator; maxsplit < 0 = no limit. */
export function splitSeparator(s: string, sep: string, maxsplit: number): string[] {
  const out: string[] = [];
  let start = 0;
  while (maxsplit < 0 || out.length < maxsplit) {
    const at = s.indexOf(sep, start);
    if (at < 0) break;
    out.push(s.slice(start, at));
    start = at + sep.length;
  }
  out.push(s.slice(start));
  return out;
}

/**
 * StringSplit: splits every element; `pieces[i]` receives element i's parts, `counts[i]` their number.
 * An empty `sep` splits on whitespace runs. Returns the largest count (the padded last dimension).
 */
export function stringSplit(
  x: readonly string[], sep: string, maxsplit: number, pieces: string[][], counts: BigInt64Array,
): number {
  let widest = 0;
  for (let i = 0; i < x.length; i++) {
    const parts = sep === '' ? splitWhitespace(x[i]!, maxsplit) : splitSeparator(x[i]!, sep, maxsplit);
    pieces[i] = parts;
    counts[i] = BigInt(parts.length);
    if (parts.length > widest) widest = parts.length;
  }
  return widest;
}

/** Writes the split pieces into a [n, width] block padded with ''. */
export function padPieces(pieces: readonly (readonly string[])[], width: number, out: string[]): void {
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    for (let j = 0; j < width; j++) out[i * width + j] = j < p.length ? p[j]! : '';
  }
}

/** StringConcat with broadcasting: out[i] = a[ia[i]] + b[ib[i]] (index maps from broadcastIndexMap). */
export function stringConcat(
  a: readonly string[], b: readonly string[], ia: Int32Array, ib: Int32Array, out: string[],
): void {
  for (let i = 0; i < out.length; i++) out[i] = a[ia[i]!]! + b[ib[i]!]!;
}

export type CaseChange = 'LOWER' | 'UPPER' | 'NONE';

/**
 * StringNormalizer over one row of strings: drops stopwords (compared after lower-casing both
 * sides when not case sensitive), then changes case with `locale` (a BCP 47 tag, or undefined
 * for the default Unicode case mapping). Returns the kept strings.
 */
export function stringNormalizeRow(
  x: readonly string[], offset: number, count: number, stopwords: ReadonlySet<string>,
  caseSensitive: boolean, change: CaseChange, locale: string | undefined, out: string[],
): void {
  for (let i = offset; i < offset + count; i++) {
    const s = x[i]!;
    const key = caseSensitive ? s : s.toLocaleLowerCase(locale);
    if (stopwords.has(key)) continue;
    out.push(change === 'LOWER' ? s.toLocaleLowerCase(locale) : change === 'UPPER' ? s.toLocaleUpperCase(locale) : s);
  }
}
