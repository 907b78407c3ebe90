// Screenshot intake: download, identify, decode, fingerprint and re-encode untrusted images.
// Plain module: nothing here knows about Discord objects or member-facing wording.
//
// Policies, in one place:
// - Only PNG, JPEG and WebP, judged by magic bytes; SVG (scripts), GIF, PDF and HEIC are refused.
// - Polyglots (an image with a ZIP/HTML/script appended) are accepted for their image part, with
//   `trailingBytes` reported: the original bytes are never re-served, only reencodeStripped output.
// - Limits: 10 MiB download, 40 MP, sides 16–16384 px, aspect ≤ 20, 10 s per download and decode.
// - Functions return { ok: false, rejection } instead of throwing; rejection codes map to i18n.
// - First use sets sharp.cache(false) and sharp.concurrency(1) process-wide, and at most two
//   decodes run at a time (see decoder.ts).
export { DEFAULT_ALLOWED_HOSTS, allowedHostsFor, fetchAttachment } from './fetch.js';
export type { FetchAttachmentOptions, FetchResult } from './fetch.js';
export { DEFAULT_DECODE_LIMITS } from './decoder.js';
export type { DecodeLimits } from './decoder.js';
export { readImageHeader } from './header.js';
export type { HeaderResult, ImageHeader } from './header.js';
export { dhashFromGrayscale, hammingDistance, inspectImage, isDhash, lumaOf } from './inspect.js';
export type { InspectOptions, InspectResult, InspectedImage } from './inspect.js';
export { DEFAULT_MAX_OUTPUT_SIDE, reencodeStripped } from './reencode.js';
export type { ReencodeOptions, ReencodeResult, ReencodedImage } from './reencode.js';
export { ACCEPTED_FORMATS, IMAGE_REJECTION_CODES, SNIFFED_FORMATS, isAcceptedFormat, isImageRejectionCode } from './rejection.js';
export type { AcceptedFormat, ImageRejection, ImageRejectionCode, ImageResult, SniffedFormat } from './rejection.js';
export { sniffImageType } from './sniff.js';
export { trailingByteCount } from './container.js';
