/** Readers for the builtin options tables of the operators the importer supports (field numbers from schema.fbs). */
import { Padding, type Table } from './schema.ts';

export interface ConvOptions {
  padding: number;
  strideW: number;
  strideH: number;
  activation: number;
  dilationW: number;
  dilationH: number;
}
/** Conv2DOptions: padding 0, stride_w 1, stride_h 2, fused_activation_function 3, dilation_w 4, dilation_h 5. */
export function conv2dOptions(t: Table | undefined): ConvOptions {
  return {
    padding: t?.int8(0, Padding.SAME) ?? Padding.SAME,
    strideW: t?.int32(1, 0) ?? 0,
    strideH: t?.int32(2, 0) ?? 0,
    activation: t?.int8(3, 0) ?? 0,
    dilationW: t?.int32(4, 1) ?? 1,
    dilationH: t?.int32(5, 1) ?? 1,
  };
}
/**
 * DepthwiseConv2DOptions: padding 0, stride_w 1, stride_h 2, depth_multiplier 3, fused_activation_function 4,
 * dilation_w 5, dilation_h 6.
 */
export function depthwiseOptions(t: Table | undefined): ConvOptions & { depthMultiplier: number } {
  return {
    padding: t?.int8(0, Padding.SAME) ?? Padding.SAME,
    strideW: t?.int32(1, 0) ?? 0,
    strideH: t?.int32(2, 0) ?? 0,
    depthMultiplier: t?.int32(3, 0) ?? 0,
    activation: t?.int8(4, 0) ?? 0,
    dilationW: t?.int32(5, 1) ?? 1,
    dilationH: t?.int32(6, 1) ?? 1,
  };
}
/** Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_width 3, filter_height 4, fused_activation_function 5. */
export function pool2dOptions(t: Table | undefined) {
  return {
    padding: t?.int8(0, Padding.SAME) ?? Padding.SAME,
    strideW: t?.int32(1, 0) ?? 0,
    strideH: t?.int32(2, 0) ?? 0,
    filterW: t?.int32(3, 0) ?? 0,
    filterH: t?.int32(4, 0) ?? 0,
    activation: t?.int8(5, 0) ?? 0,
  };
}
/** AddOptions: fused_activation_function 0. */
export function addOptions(t: Table | undefined) {
  return { activation: t?.int8(0, 0) ?? 0 };
}
/** ReshapeOptions: new_shape 0. */
export function reshapeOptions(t: Table | undefined) {
  return { newShape: t?.int32s(0) ?? [] };
}
/** SqueezeOptions: squeeze_dims 0. */
export function squeezeOptions(t: Table | undefined) {
  return { squeezeDims: t?.int32s(0) ?? [] };
}
/** SoftmaxOptions: beta 0. */
export function softmaxOptions(t: Table | undefined) {
  return { beta: t?.float32(0, 0) ?? 0 };
}
