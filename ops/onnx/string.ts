// String operators: StringNormalizer, StringConcat, StringSplit, RegexFullMatch, TfIdfVectorizer.

import { broadcastIndexMap, broadcastShapes } from '../../kernels/broadcast.js';
import { shapeSize } from '../../kernels/strides.js';
import { type Re2Program, Re2SyntaxError, compileRe2FullMatch, re2FullMatchAll } from '../../kernels/regex-re2.js';
import {
  type CaseChange, padPieces, stringConcat, stringNormalizeRow, stringSplit,
} from '../../kernels/string.js';
import {
  type NgramTrieNode, type PoolToken, type TfIdfMode, buildNgramTrie, countNgrams, poolVocabulary,
  tokenIdsBigInt, tokenIdsNumber, tokenIdsString, weightNgrams,
} from '../../kernels/tfidf.js';
import { InvalidNodeError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { broadcastOf, dimProduct, sameAs, shapeOf, tensorType } from '../infer-helpers.js';
import { type Attrs, type OpDef, op } from '../op-def.js';
import { required } from '../op-inputs.js';

function stringInput(opName: string, t: Tensor | undefined, what: string): Tensor {
  const x = required(opName, t, what);
  if (x.type !== 'string') throw new InvalidNodeError(`${opName}: ${what} must be a string tensor, got ${x.type}`);
  return x;
}

// ---- StringNormalizer ----

interface NormalizerAttrs {
  readonly change: CaseChange;
  readonly caseSensitive: boolean;
  readonly stopwords: ReadonlySet<string>;
  readonly locale: string | undefined;
}

/**
 * The `locale` attribute (e.g. 'en_US', 'tr_TR') is turned into a BCP 47 tag ('en-US') and passed
 * to String.prototype.toLocaleLowerCase/UpperCase. tessera ships no ICU tables of its own: the
 * case mapping is whatever the JavaScript engine provides for that tag — full Unicode default
 * case mapping everywhere, plus the locale-specific rules (Turkish dotted i, Lithuanian,
 * Azeri) only in engines built with Intl locale data. An unknown or malformed locale falls
 * back to the default mapping.
 */
function localeTag(locale: string): string | undefined {
  const tag = locale.replace(/_/g, '-').replace(/\..*$/, '');
  if (tag === '' || tag === 'C' || tag === 'POSIX') return undefined;
  try {
    'a'.toLocaleLowerCase(tag);
    return tag;
  } catch {
    return undefined;
  }
}

function parseNormalizer(a: Attrs): NormalizerAttrs {
  const change = a.string('case_change_action', 'NONE');
  if (change !== 'LOWER' && change !== 'UPPER' && change !== 'NONE') {
    throw new InvalidNodeError(`StringNormalizer: case_change_action must be LOWER, UPPER or NONE, got '${change}'`);
  }
  const caseSensitive = a.int('is_case_sensitive', 0) !== 0;
  const locale = localeTag(a.string('locale', 'en_US'));
  const words = a.strings('stopwords', []);
  const stopwords = new Set(caseSensitive ? words : words.map((w) => w.toLocaleLowerCase(locale)));
  return Object.freeze({ change, caseSensitive, stopwords, locale });
}

function runNormalizer(x: Tensor, a: NormalizerAttrs): Tensor {
  const twoDim = x.dims.length === 2;
  if (!(x.dims.length === 1 || (twoDim && x.dims[0] === 1))) {
    throw new ShapeError(`StringNormalizer: input must have shape [C] or [1, C], got [${x.dims.join(', ')}]`);
  }
  if (x.size === 0) return new Tensor('string', [], x.dims);
  const kept: string[] = [];
  stringNormalizeRow(x.data as string[], 0, x.size, a.stopwords, a.caseSensitive, a.change, a.locale, kept);
  // When every string is a stopword the output is a single empty string (as onnxruntime does);
  // an empty input stays empty.
  if (kept.length === 0) kept.push('');
  return new Tensor('string', kept, twoDim ? [1, kept.length] : [kept.length]);
}

// ---- StringConcat ----

function runConcat(x: Tensor, y: Tensor): Tensor {
  const dims = broadcastShapes(x.dims, y.dims);
  if (!dims) {
    throw new ShapeError(`StringConcat: shapes [${x.dims.join(', ')}] and [${y.dims.join(', ')}] do not broadcast`);
  }
  const data = new Array<string>(shapeSize(dims));
  stringConcat(x.data as string[], y.data as string[], broadcastIndexMap(x.dims, dims), broadcastIndexMap(y.dims, dims), data);
  return new Tensor('string', data, dims);
}

// ---- StringSplit ----

interface SplitAttrs {
  readonly delimiter: string;
  readonly maxsplit: number;
}

function runSplit(x: Tensor, a: SplitAttrs): Tensor[] {
  const pieces: string[][] = new Array(x.size);
  const counts = new BigInt64Array(x.size);
  const width = stringSplit(x.data as string[], a.delimiter, a.maxsplit, pieces, counts);
  const data = new Array<string>(x.size * width);
  padPieces(pieces, width, data);
  return [new Tensor('string', data, [...x.dims, width]), new Tensor('int64', counts, x.dims)];
}

// ---- RegexFullMatch ----

/** The pattern compiled once, at load, for the linear-time RE2 matcher; refusals name the construct. */
function parseRegex(a: Attrs): { readonly prog: Re2Program } {
  const pattern = a.string('pattern');
  try {
    return Object.freeze({ prog: compileRe2FullMatch(pattern) });
  } catch (e) {
    if (!(e instanceof Re2SyntaxError)) throw e;
    const shown = pattern.length > 200 ? `${pattern.slice(0, 200)}...` : pattern;
    throw new InvalidNodeError(`RegexFullMatch: pattern '${shown}' cannot be used: ${e.message}`);
  }
}

// ---- TfIdfVectorizer ----

interface TfIdfAttrs {
  readonly mode: TfIdfMode;
  readonly minGram: number;
  readonly maxGram: number;
  readonly maxSkip: number;
  readonly vocab: ReadonlyMap<PoolToken, number>;
  readonly trie: NgramTrieNode;
  readonly outWidth: number;
  readonly weights: Float32Array | null;
  readonly strings: boolean;
}

function parseTfIdf(a: Attrs): TfIdfAttrs {
  const mode = a.string('mode');
  if (mode !== 'TF' && mode !== 'IDF' && mode !== 'TFIDF') {
    throw new InvalidNodeError(`TfIdfVectorizer: mode must be TF, IDF or TFIDF, got '${mode}'`);
  }
  const minGram = a.int('min_gram_length');
  const maxGram = a.int('max_gram_length');
  const maxSkip = a.int('max_skip_count');
  if (minGram < 1 || maxGram < minGram || maxSkip < 0) {
    throw new InvalidNodeError(
      `TfIdfVectorizer: need 1 <= min_gram_length (${minGram}) <= max_gram_length (${maxGram}) and max_skip_count (${maxSkip}) >= 0`,
    );
  }
  const strings = a.has('pool_strings');
  const pool: PoolToken[] = strings ? [...a.strings('pool_strings')] : a.ints('pool_int64s').map(Number);
  const counts = a.ints('ngram_counts');
  const indexes = a.ints('ngram_indexes');
  const vocab = poolVocabulary(pool);
  const trie = buildNgramTrie(pool, vocab, counts, indexes);
  if (!trie) {
    throw new InvalidNodeError(
      `TfIdfVectorizer: ngram_counts [${counts.join(', ')}] and ngram_indexes (${indexes.length}) do not describe a pool of ${pool.length}`,
    );
  }
  const outWidth = indexes.length ? Math.max(...indexes) + 1 : 0;
  const w = a.has('weights') ? Float32Array.from(a.floats('weights')) : null;
  if (w && w.length < outWidth) {
    throw new InvalidNodeError(`TfIdfVectorizer: weights has ${w.length} entries, output has ${outWidth}`);
  }
  return Object.freeze({ mode, minGram, maxGram, maxSkip, vocab, trie, outWidth, weights: w, strings });
}

/**
 * Input [C] or [N, C] of int32/int64/string; output float32 [outWidth] or [N, outWidth], where
 * outWidth = max(ngram_indexes) + 1. Weights are indexed by output slot (as onnxruntime does).
 * pool_int64s values beyond 2^53 lose precision (tokens are compared as JS numbers).
 */
function runTfIdf(x: Tensor, a: TfIdfAttrs): Tensor {
  if (x.dims.length !== 1 && x.dims.length !== 2) {
    throw new ShapeError(`TfIdfVectorizer: input must be [C] or [N, C], got [${x.dims.join(', ')}]`);
  }
  const rows = x.dims.length === 2 ? x.dims[0]! : 1;
  const cols = x.dims[x.dims.length - 1]!;
  const ids = new Int32Array(x.size);
  if (x.type === 'string') tokenIdsString(x.data as string[], a.vocab, ids);
  else if (x.type === 'int64') tokenIdsBigInt(x.data as BigInt64Array, a.vocab, ids);
  else if (x.type === 'int32') tokenIdsNumber(x.data as Int32Array, a.vocab, ids);
  else throw new InvalidNodeError(`TfIdfVectorizer: input must be string, int32 or int64, got ${x.type}`);
  if ((x.type === 'string') !== a.strings) {
    throw new InvalidNodeError(`TfIdfVectorizer: a ${x.type} input needs ${a.strings ? 'pool_int64s' : 'pool_strings'}`);
  }
  const out = new Float32Array(rows * a.outWidth);
  countNgrams(ids, rows, cols, a.trie, a.minGram, a.maxGram, a.maxSkip, a.outWidth, out);
  weightNgrams(out, a.outWidth, a.mode, a.weights);
  return new Tensor('float32', out, x.dims.length === 2 ? [rows, a.outWidth] : [a.outWidth]);
}

export const stringOps: OpDef[] = [
  op<NormalizerAttrs>({
    name: 'StringNormalizer',
    since: 10,
    parse: parseNormalizer,
    run: (inputs, a) => [runNormalizer(stringInput('StringNormalizer', inputs[0], 'X'), a)],
    // Without stopwords every string is kept; with them the length depends on the data.
    infer: ([x], a, ctx) => {
      const s = shapeOf(x);
      if (!s || a.stopwords.size === 0) return [tensorType('string', s)];
      const c = ctx.dataDim('C');
      return [tensorType('string', s.length === 2 ? [1, c] : [c])];
    },
  }),
  op({
    name: 'StringConcat',
    since: 20,
    run: (inputs) => [runConcat(stringInput('StringConcat', inputs[0], 'X'), stringInput('StringConcat', inputs[1], 'Y'))],
    infer: broadcastOf('string', [0, 1]),
  }),
  op<SplitAttrs>({
    name: 'StringSplit',
    since: 20,
    parse: (a) => Object.freeze({ delimiter: a.string('delimiter', ''), maxsplit: a.has('maxsplit') ? a.int('maxsplit') : -1 }),
    run: (inputs, a) => runSplit(stringInput('StringSplit', inputs[0], 'X'), a),
    infer: ([x], _a, ctx) => {
      const s = shapeOf(x);
      // The width is the most pieces any string splits into: data-dependent, 0 for no strings.
      const width = s && dimProduct(s) === 0 ? 0 : ctx.dataDim('max_splits');
      return [tensorType('string', s && [...s, width]), tensorType('int64', s)];
    },
  }),
  op<{ readonly prog: Re2Program }>({
    name: 'RegexFullMatch',
    since: 20,
    parse: parseRegex,
    run: (inputs, a) => {
      const x = stringInput('RegexFullMatch', inputs[0], 'X');
      const out = new Uint8Array(x.size);
      re2FullMatchAll(a.prog, x.data as string[], out);
      return [new Tensor('bool', out, x.dims)];
    },
    infer: sameAs(0, 'bool'),
  }),
  op<TfIdfAttrs>({
    name: 'TfIdfVectorizer',
    since: 9,
    parse: parseTfIdf,
    run: (inputs, a) => [runTfIdf(required('TfIdfVectorizer', inputs[0], 'X'), a)],
    infer: ([x], a) => {
      const s = shapeOf(x);
      if (!s) return [tensorType('float32')];
      return [tensorType('float32', s.length === 2 ? [s[0]!, a.outWidth] : [a.outWidth])];
    },
  }),
];
