/**
 * Strict UTF-8 for request bodies. A body with a byte sequence that is no UTF-8 character used to
 * be stored with U+FFFD in its place; here each such sequence becomes a lone surrogate (U+D800),
 * which no valid UTF-8 can produce, so the fields that held one can be named in the refusal.
 *
 * @module
 */

/** What an invalid byte sequence becomes in the decoded text. */
export const INVALID_UTF8_MARK = "\uD800";

const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder("utf-8");

/** Bytes of the well-formed UTF-8 sequence starting at `i` (RFC 3629 §4), or 0 if there is none. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i];
  const inRange = (k: number, low = 0x80, high = 0xBF) =>
    i + k < bytes.length && bytes[i + k] >= low && bytes[i + k] <= high;
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return inRange(1) ? 2 : 0;
  if (b === 0xE0) return inRange(1, 0xA0) && inRange(2) ? 3 : 0;
  if (b === 0xED) return inRange(1, 0x80, 0x9F) && inRange(2) ? 3 : 0;
  if (b >= 0xE1 && b <= 0xEF) return inRange(1) && inRange(2) ? 3 : 0;
  if (b === 0xF0) return inRange(1, 0x90) && inRange(2) && inRange(3) ? 4 : 0;
  if (b >= 0xF1 && b <= 0xF3) return inRange(1) && inRange(2) && inRange(3) ? 4 : 0;
  if (b === 0xF4) return inRange(1, 0x80, 0x8F) && inRange(2) && inRange(3) ? 4 : 0;
  return 0;
}

/**
 * Decodes `bytes` as UTF-8; each byte that starts no well-formed sequence becomes
 * {@link INVALID_UTF8_MARK}. Valid input (the usual case) takes the decoder's fast path.
 */
export function decodeUtf8Marking(bytes: Uint8Array): { text: string; valid: boolean } {
  try {
    return { text: strict.decode(bytes), valid: true };
  } catch {
    // Found below, byte by byte.
  }
  let text = "";
  let start = 0;
  for (let i = 0; i < bytes.length;) {
    const length = sequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    text += lenient.decode(bytes.subarray(start, i)) + INVALID_UTF8_MARK;
    start = ++i;
  }
  return { text: text + lenient.decode(bytes.subarray(start)), valid: false };
}
