// A small health-checked load balancer for the stack tests, standing in for the stable name in
// front of several proxies (an SLB/NLB or a NAT gateway's name): it probes each backend's
// `/readyz` and sends requests round robin to the ready ones, trying another on a connection error.
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type LoadBalancer = { url: string; server: Server; ready(): number[]; close(): Promise<void> }

type Backend = { port: number; ready: boolean }

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => done(Buffer.concat(chunks)))
    req.on('error', fail)
  })
}

function probe(port: number): Promise<boolean> {
  return new Promise((done) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', timeout: 1000 }, (res) => {
      res.resume()
      done(res.statusCode === 200)
    })
    req.on('error', () => done(false))
    req.on('timeout', () => req.destroy())
    req.end()
  })
}

export async function startLoadBalancer(ports: number[], options: { probeMs?: number } = {}): Promise<LoadBalancer> {
  const backends: Backend[] = ports.map((port) => ({ port, ready: false }))
  let next = 0
  const check = async () => {
    await Promise.all(backends.map(async (backend) => (backend.ready = await probe(backend.port))))
  }
  const timer = setInterval(() => void check(), options.probeMs ?? 250)

  const forward = (backend: Backend, req: IncomingMessage, payload: Buffer) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((done, fail) => {
      const upstream = request(
        { host: '127.0.0.1', port: backend.port, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${backend.port}` } },
        async (res) => done({ status: res.statusCode ?? 502, headers: res.headers, body: await body(res) }),
      )
      upstream.on('error', fail)
      upstream.end(payload)
    })

  const server = createServer(async (req, res) => {
    const payload = await body(req)
    const ready = backends.filter((backend) => backend.ready)
    for (let tried = 0; tried < ready.length; tried++) {
      const backend = ready[next++ % ready.length]
      try {
        const answer = await forward(backend, req, payload)
        const { connection: _c, 'transfer-encoding': _t, 'keep-alive': _k, ...headers } = answer.headers
        res.writeHead(answer.status, { ...headers, 'content-length': answer.body.length })
        res.end(answer.body)
        return
      } catch {
        backend.ready = false // connection refused or reset: out of rotation until its probe passes
      }
    }
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"NO_READY_BACKEND"}}')
  })
  await check()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    ready: () => backends.filter((backend) => backend.ready).map((backend) => backend.port),
    async close() {
      clearInterval(timer)
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
    },
  }
}
