// Small node:http helpers: bounded body reading, JSON answers, request ids.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { REQUEST_ID_HEADER } from '../../proof/src/index.ts'
import { errorBody, PayloadTooLargeError } from './errors.ts'

/** Bodies above this are refused with 413 (relay and DingTalk push alike). */
export const BODY_LIMIT = 64 * 1024

/** Reads the whole body, refusing more than `limit` bytes (by Content-Length first, then by count). */
export async function readBody(req: IncomingMessage, limit = BODY_LIMIT): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) {
    req.resume()
    throw new PayloadTooLargeError(limit)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) {
      req.resume()
      throw new PayloadTooLargeError(limit)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/

/** The caller's `x-request-id` when it is a sane token, else a fresh one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER]
  return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID()
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  })
  res.end(text)
}

export function sendError(res: ServerResponse, status: number, code: string, message: string, headers?: Record<string, string>): void {
  sendJson(res, status, errorBody(code, message), headers)
}

/** The path of a raw request target, without decoding (query dropped). */
export function pathOf(url: string | undefined): string {
  const raw = url ?? ''
  const q = raw.indexOf('?')
  return q === -1 ? raw : raw.slice(0, q)
}
