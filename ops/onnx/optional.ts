// The ONNX operator families a session loads only when its model names one of their operators
// (InferenceSession.create awaits them before planning), so that a bundle carries the common
// families (ops/onnx/index.ts) and fetches the rest on demand. Each family lists its operators
// as domain::name keys; test/unit/optional-ops.test.ts checks the lists against the definitions.

import type { OpDef } from '../op-def.js';

export interface OptionalOpFamily {
  readonly name: string;
  /** domain::name of every operator the family defines (the default domain is ''). */
  readonly ops: readonly string[];
  /** The definitions, imported once. */
  readonly load: () => Promise<readonly OpDef[]>;
  /** Whether an operator of this family builds graphs of any other operator (Gradient): then every family loads. */
  readonly loadsAll?: boolean;
}

function family(name: string, ops: readonly string[], importDefs: () => Promise<readonly OpDef[]>, loadsAll = false): OptionalOpFamily {
  let loaded: Promise<readonly OpDef[]> | undefined;
  return Object.freeze({ name, ops, load: () => (loaded ??= importDefs()), ...(loadsAll ? { loadsAll } : {}) });
}

export const OPTIONAL_ONNX_FAMILIES: readonly OptionalOpFamily[] = [
  family('cumsum', ['::CumProd', '::CumSum'], async () => (await import('./cumsum.js')).cumsumOps),
  family('topk', ['::TopK'], async () => (await import('./topk.js')).topkOps),
  family('einsum', ['::Einsum'], async () => (await import('./einsum.js')).einsumOps),
  family('resize', ['::Resize', '::Upsample'], async () => (await import('./resize.js')).resizeOps),
  family('control-flow', ['::If', '::Loop', '::Scan'], async () => (await import('./control-flow.js')).controlFlowOps),
  family('sequence', ['::ConcatFromSequence', '::Optional', '::OptionalGetElement', '::OptionalHasElement', '::SequenceAt', '::SequenceConstruct', '::SequenceEmpty', '::SequenceErase', '::SequenceInsert', '::SequenceLength', '::SequenceMap', '::SplitToSequence'], async () => (await import('./sequence.js')).sequenceOps),
  family('recurrent', ['::GRU', '::LSTM', '::RNN'], async () => (await import('./recurrent.js')).recurrentOps),
  family('loss', ['::NegativeLogLikelihoodLoss', '::SoftmaxCrossEntropyLoss'], async () => (await import('./loss.js')).lossOps),
  family('spatial', ['::AffineGrid', '::CenterCropPad', '::Col2Im', '::DeformConv', '::GridSample', '::MaxUnpool'], async () => (await import('./spatial.js')).spatialOps),
  family('detection', ['::MaxRoiPool', '::NonMaxSuppression', '::RoiAlign'], async () => (await import('./detection.js')).detectionOps),
  family('unique', ['::Unique'], async () => (await import('./unique.js')).uniqueOps),
  family('tensor-scatter', ['::TensorScatter'], async () => (await import('./tensor-scatter.js')).tensorScatterOps),
  family('det', ['::Det'], async () => (await import('./det.js')).detOps),
  family('quantize', ['::DequantizeLinear', '::DynamicQuantizeLinear', '::QuantizeLinear'], async () => (await import('./quantize.js')).quantizeOps),
  family('bitcast', ['::BitCast'], async () => (await import('./bitcast.js')).bitcastOps),
  family('signal', ['::BlackmanWindow', '::DFT', '::HammingWindow', '::HannWindow', '::MelWeightMatrix', '::STFT'], async () => (await import('./signal.js')).signalOps),
  family('random', ['::Bernoulli', '::Multinomial', '::RandomNormal', '::RandomNormalLike', '::RandomUniform', '::RandomUniformLike'], async () => (await import('./random.js')).randomOps),
  family('string', ['::RegexFullMatch', '::StringConcat', '::StringNormalizer', '::StringSplit', '::TfIdfVectorizer'], async () => (await import('./string.js')).stringOps),
  family('training', ['ai.onnx.preview.training::Adagrad', 'ai.onnx.preview.training::Adam', 'ai.onnx.preview.training::Momentum'], async () => (await import('./training.js')).trainingOps),
  family('gradient', ['ai.onnx.preview.training::Gradient', 'ai.tessera.autodiff::SumTo'], async () => (await import('./gradient.js')).gradientOps, true),
  family('image-decoder', ['::ImageDecoder'], async () => (await import('./image-decoder.js')).imageDecoderOps),
  family('ml', ['ai.onnx.ml::ArrayFeatureExtractor', 'ai.onnx.ml::Binarizer', 'ai.onnx.ml::CategoryMapper', 'ai.onnx.ml::DictVectorizer', 'ai.onnx.ml::FeatureVectorizer', 'ai.onnx.ml::Imputer', 'ai.onnx.ml::LabelEncoder', 'ai.onnx.ml::LinearClassifier', 'ai.onnx.ml::LinearRegressor', 'ai.onnx.ml::Normalizer', 'ai.onnx.ml::OneHotEncoder', 'ai.onnx.ml::SVMClassifier', 'ai.onnx.ml::SVMRegressor', 'ai.onnx.ml::Scaler', 'ai.onnx.ml::TreeEnsemble', 'ai.onnx.ml::TreeEnsembleClassifier', 'ai.onnx.ml::TreeEnsembleRegressor', 'ai.onnx.ml::ZipMap'], async () => (await import('../ml/index.js')).mlOps),
];
