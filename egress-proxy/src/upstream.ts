// One upstream exchange through http-proxy-3 (native path, keep-alive agent, buffered request body).
// The answer is handled here (selfHandleResponse) and buffered up to 1 MB so the relay can look for
// an invalid-token error and repeat the call; a larger answer is streamed on without inspection.
// A failure before the connection is up is 502 UPSTREAM_UNREACHABLE (nothing sent: safe to retry);
// once connected, a missing or cut answer is 504 UPSTREAM_TIMEOUT (DingTalk may have acted on it).
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { createProxyServer, type ProxyServer } from 'http-proxy-3'
import type { Egress } from './egress.ts'
import { UpstreamTimeoutError, UpstreamUnreachableError, type ProxyError } from './errors.ts'

/** DingTalk answers are small JSON; beyond this the rest is streamed and not inspected. */
export const RESPONSE_BUFFER_LIMIT = 1024 * 1024

export type UpstreamRequest = {
  target: URL
  method: string
  headers: OutgoingHttpHeaders
  body: Buffer
}

export type UpstreamAnswer = {
  status: number
  headers: IncomingHttpHeaders
  /** The answer, or its first RESPONSE_BUFFER_LIMIT bytes when `rest` is set. */
  body: Buffer
  /** Set when the answer was too large to buffer: the unread remainder, paused. */
  rest?: IncomingMessage
}

type Attempt = {
  settle(error: ProxyError | null, answer?: UpstreamAnswer): void
  proxyReq?: ClientRequest
  /** True once the socket is connected: from then on bytes may have reached DingTalk. */
  sent: boolean
}

export type UpstreamOptions = { egress: Egress; localAddress?: string; timeoutMs?: number; connectTimeoutMs?: number }

export class UpstreamClient {
  readonly #proxy: ProxyServer
  readonly #pending = new WeakMap<IncomingMessage, Attempt>()
  readonly #options: UpstreamOptions

  constructor(options: UpstreamOptions) {
    this.#options = options
    this.#proxy = createProxyServer({})
    // Emitted from the request's 'socket' event, with the socket.
    this.#proxy.on('proxyReq', (proxyReq, req, _res, _options, socket) => {
      const attempt = this.#pending.get(req)
      if (!attempt) return void proxyReq.destroy()
      attempt.proxyReq = proxyReq
      // A pooled keep-alive socket is already connected; a new one connects later (for TLS: once the
      // handshake is done, as nothing of the call can leave before it).
      if (!socket.connecting) attempt.sent = true
      else socket.once('encrypted' in socket ? 'secureConnect' : 'connect', () => (attempt.sent = true))
    })
    this.#proxy.on('proxyRes', (proxyRes, req) => {
      const attempt = this.#pending.get(req)
      if (attempt) collect(proxyRes, attempt)
      else proxyRes.destroy()
    })
    // The client went away mid-call: http-proxy-3 reports it here instead of the callback.
    this.#proxy.on('econnreset', (err, req) => this.#fail(req, err))
    this.#proxy.on('error', (err, req) => this.#fail(req, err))
  }

  #fail(req: IncomingMessage, err: unknown): void {
    const attempt = this.#pending.get(req)
    attempt?.settle(classify(err, attempt.sent))
  }

  /** Sends one request upstream; resolves with the (buffered) answer, rejects with a coded error. */
  send(req: IncomingMessage, res: ServerResponse, request: UpstreamRequest): Promise<UpstreamAnswer> {
    const { egress, localAddress, timeoutMs = 10_000, connectTimeoutMs = 5_000 } = this.#options
    return new Promise((resolve, reject) => {
      let done = false
      const attempt: Attempt = {
        sent: false,
        settle: (error, answer) => {
          if (done) return
          done = true
          clearTimeout(timer)
          if (this.#pending.get(req) === attempt) this.#pending.delete(req)
          if (error) {
            attempt.proxyReq?.destroy()
            reject(error)
          } else resolve(answer as UpstreamAnswer)
        },
      }
      const timer = setTimeout(
        () => attempt.settle(attempt.sent ? new UpstreamTimeoutError() : new UpstreamUnreachableError()),
        timeoutMs,
      )
      this.#pending.set(req, attempt)
      // http-proxy-3 copies req.headers; the relay has already reduced them to what may go upstream.
      req.headers = request.headers as IncomingHttpHeaders
      this.#proxy.web(
        req,
        res,
        {
          target: request.target,
          ignorePath: true,
          changeOrigin: true,
          method: request.method,
          agent: egress.agentFor(request.target),
          localAddress,
          buffer: Readable.from([request.body]),
          selfHandleResponse: true,
          connectTimeout: connectTimeoutMs,
          xfwd: false,
        },
        (err) => attempt.settle(classify(err, attempt.sent)),
      )
    })
  }
}

function classify(err: unknown, sent: boolean): ProxyError {
  if (!sent) return new UpstreamUnreachableError({ cause: err })
  return new UpstreamTimeoutError('DingTalk closed the connection without a complete answer; the outcome is unknown', { cause: err })
}

function collect(proxyRes: IncomingMessage, attempt: Attempt): void {
  const chunks: Buffer[] = []
  let size = 0
  const answer = (body: Buffer, rest?: IncomingMessage): UpstreamAnswer => ({
    status: proxyRes.statusCode ?? 502,
    headers: proxyRes.headers,
    body,
    rest,
  })
  const onData = (chunk: Buffer) => {
    chunks.push(chunk)
    size += chunk.length
    if (size > RESPONSE_BUFFER_LIMIT) {
      proxyRes.off('data', onData)
      proxyRes.off('end', onEnd)
      proxyRes.pause()
      attempt.settle(null, answer(Buffer.concat(chunks, size), proxyRes))
    }
  }
  const onEnd = () => attempt.settle(null, answer(Buffer.concat(chunks, size)))
  proxyRes.on('data', onData)
  proxyRes.on('end', onEnd)
  const cut = 'DingTalk cut its answer short; the outcome is unknown'
  proxyRes.on('error', (err) => attempt.settle(new UpstreamTimeoutError(cut, { cause: err })))
  proxyRes.on('aborted', () => attempt.settle(new UpstreamTimeoutError(cut)))
}
