// Reading request bodies: the size limit, the UTF-8 and JSON-object checks shared by the POST routes.
import type { Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { InvalidEncodingError, InvalidJsonError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.ts'

export const MAX_BODY_BYTES = 16 * 1024

/** 413 PAYLOAD_TOO_LARGE past 16 KB, whether announced by Content-Length or streamed. */
export const limitBody = () =>
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new PayloadTooLargeError(MAX_BODY_BYTES)
    },
  })

export function requireJson(c: Context): void {
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new UnsupportedMediaTypeError()
}

/**
 * The body as text, or 400 INVALID_ENCODING: a malformed byte is refused, never replaced by U+FFFD
 * (issue 9: 405 applications were stored with replaced bytes, carried into approvals and licenses).
 */
export function decodeUtf8(bytes: ArrayBuffer | Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw new InvalidEncodingError()
  }
}

/** The request's body as a JSON object: INVALID_ENCODING, then INVALID_JSON. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  return parseJsonObject(decodeUtf8(await c.req.arrayBuffer()))
}

/** Parses `text` as a JSON object, or throws INVALID_JSON. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new InvalidJsonError('the body is not valid JSON')
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new InvalidJsonError()
  return value as Record<string, unknown>
}
