/** Safe image intake: fetch user URLs without reaching private networks, and turn bytes into model input. */
export {
  ImageRejectedError,
  UrlRefusedError,
  isImageIntakeError,
  type ImageRejectionCode,
  type UrlRefusalCode,
} from './errors.ts';
export { sniffImage, ACCEPTED_FORMATS, type ImageFormat, type SniffResult } from './sniff.ts';
export {
  prepareModelInput,
  inspectImage,
  imageLimitsFromConfig,
  DEFAULT_IMAGE_LIMITS,
  DEFAULT_INPUT_SPEC,
  type ImageLimits,
  type InputSpec,
  type ImageInfo,
  type PreparedImage,
} from './decode.ts';
export {
  fetchImage,
  fetchOptionsFromConfig,
  systemResolver,
  type FetchImageOptions,
  type FetchedImage,
  type Resolver,
} from './fetch-url.ts';
export { judgeAddress, type AddressVerdict, type AddressPolicy } from './address-policy.ts';
