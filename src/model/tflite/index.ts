export { TfliteImportError } from './errors.ts';
export { readTflite, type TfliteModel } from './schema.ts';
export { dequantize } from './dequantize.ts';
export { convertTflite, embeddingLayerName, logitsLayerName, type ConvertedModel } from './convert.ts';
export {
  importTflite,
  prepareTfliteFolder,
  tfliteSourceOf,
  type TfliteFolder,
  converterVersion,
  type TfliteImport,
  type TfliteImportOptions,
  type TfliteSource,
} from './import.ts';
