// Files, standard streams and the network for the license CLI; every failure an INPUT_ERROR that
// says which file or URL and why, in words an operator can act on.
import { readFile, writeFile } from 'node:fs/promises'
import { CliError } from './errors.ts'

export type Io = {
  stdout: (text: string) => void
  stderr: (text: string) => void
  stdin: () => Promise<string>
}

export const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: async () => {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  },
}

function describe(cause: unknown): string {
  const code = (cause as { code?: string })?.code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EACCES') return 'permission denied'
  if (code === 'EISDIR') return 'is a directory'
  return cause instanceof Error ? cause.message : String(cause)
}

/** Reads a text file, or standard input for `-`. */
export async function readText(path: string, what: string, io: Io): Promise<string> {
  if (path === '-') return io.stdin()
  try {
    return await readFile(path, 'utf8')
  } catch (cause) {
    throw new CliError('INPUT_ERROR', `cannot read ${what} ${path}: ${describe(cause)}`, { cause })
  }
}

/** Creates a file that must not exist yet; `mode` 0600 for secrets. */
export async function writeNewFile(path: string, text: string | Uint8Array, what: string, mode = 0o644) {
  try {
    await writeFile(path, text, { flag: 'wx', mode })
  } catch (cause) {
    if ((cause as { code?: string })?.code === 'EEXIST') {
      const message = `refusing to overwrite ${path}: it already exists (${what} not written)`
      throw new CliError('INPUT_ERROR', message)
    }
    throw new CliError('INPUT_ERROR', `cannot write ${what} ${path}: ${describe(cause)}`, { cause })
  }
}

/** Text from a file, or from an http(s) URL fetched with a 10 s timeout. */
async function readSource(source: string, what: string, accept: string, io: Io): Promise<string> {
  if (!/^https?:\/\//i.test(source)) return readText(source, `${what} file`, io)
  let response: Response
  try {
    const headers = { accept }
    response = await fetch(source, { signal: AbortSignal.timeout(10_000), headers })
  } catch (cause) {
    const reason = describe((cause as Error).cause ?? cause)
    throw new CliError('INPUT_ERROR', `cannot fetch ${what} ${source}: ${reason}`, { cause })
  }
  if (!response.ok) {
    throw new CliError('INPUT_ERROR', `cannot fetch ${what} ${source}: HTTP ${response.status}`)
  }
  return response.text()
}

/** A JWK Set from a file, or from an http(s) URL (e.g. https://…/.well-known/jwks.json). */
export function readJwksSource(source: string, io: Io): Promise<string> {
  return readSource(source, 'JWKS', 'application/json', io)
}

/** A revocation list from a file or URL (https://…/.well-known/license-revocations.jwt). */
export function readRevocationsSource(source: string, io: Io): Promise<string> {
  return readSource(source, 'revocation list', 'application/jwt', io)
}
