// From an attachment URL to the evidence a pledge keeps: download under limits, check the bytes,
// fingerprint. The image itself is not kept unless the server opted in.
import { fetchAttachment, inspectImage, reencodeStripped, type ImageRejection } from '../images/index.js';
import type { EvidenceInput } from './schema.js';

export const MAX_SCREENSHOT_BYTES = 10 * 1024 * 1024;

export type IntakeResult =
  | { ok: true; evidence: EvidenceInput; bytes: Buffer }
  | { ok: false; rejection: ImageRejection };

export async function takeScreenshot(
  url: string,
  opts: { allowedHosts: readonly string[]; declaredSize?: number; timeoutMs?: number },
): Promise<IntakeResult> {
  const fetched = await fetchAttachment(url, {
    allowedHosts: opts.allowedHosts,
    maxBytes: MAX_SCREENSHOT_BYTES,
    ...(opts.declaredSize === undefined ? {} : { declaredSize: opts.declaredSize }),
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
  });
  if (!fetched.ok) return fetched;
  const inspected = await inspectImage(fetched.bytes);
  if (!inspected.ok) return inspected;
  return {
    ok: true,
    bytes: fetched.bytes,
    evidence: {
      sha256: inspected.sha256,
      dhash: inspected.dhash,
      width: inspected.width,
      height: inspected.height,
      format: inspected.format,
      bytes: fetched.bytes.length,
    },
  };
}

/** The one copy the bot makes: re-encoded, metadata stripped, within the upload limit it was given. */
export async function strippedCopy(bytes: Buffer, maxBytes: number): Promise<{ bytes: Buffer; ext: string } | null> {
  const r = await reencodeStripped(bytes, { maxBytes });
  return r.ok ? { bytes: r.bytes, ext: r.format === 'jpeg' ? 'jpg' : 'png' } : null;
}
