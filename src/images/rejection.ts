// Why an attachment was not taken. Codes only: the words a member reads live in the i18n
// module, which must provide one message per code (hence the exported list).

export const IMAGE_REJECTION_CODES = [
  'not-an-image',
  'unsupported-format',
  'too-large',
  'too-many-pixels',
  'bad-dimensions',
  'corrupt',
  'empty',
  'host-not-allowed',
  'download-failed',
  'timeout',
] as const;

export type ImageRejectionCode = (typeof IMAGE_REJECTION_CODES)[number];

/** Formats `sniffImageType` can name. */
export const SNIFFED_FORMATS = ['png', 'jpeg', 'webp', 'gif', 'svg', 'pdf', 'heic', 'unknown'] as const;
export type SniffedFormat = (typeof SNIFFED_FORMATS)[number];

/** The formats a pledge screenshot may be in; a message for 'unsupported-format' should list these. */
export const ACCEPTED_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type AcceptedFormat = (typeof ACCEPTED_FORMATS)[number];

export interface ImageRejection {
  code: ImageRejectionCode;
  /** For logs only: may quote sizes, statuses, decoder errors; never shown to members. */
  detail: string;
  /** The sniffed format, when known, so a message can say "GIF is not accepted". */
  format?: SniffedFormat;
}

export type ImageResult<T> = ({ ok: true } & T) | { ok: false; rejection: ImageRejection };

export function reject(code: ImageRejectionCode, detail: string, format?: SniffedFormat): { ok: false; rejection: ImageRejection } {
  return { ok: false, rejection: format === undefined ? { code, detail } : { code, detail, format } };
}

export function isImageRejectionCode(value: unknown): value is ImageRejectionCode {
  return typeof value === 'string' && (IMAGE_REJECTION_CODES as readonly string[]).includes(value);
}

export function isAcceptedFormat(format: SniffedFormat): format is AcceptedFormat {
  return (ACCEPTED_FORMATS as readonly string[]).includes(format);
}
