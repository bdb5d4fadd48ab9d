// The CLI as operators run it: a child process with the npm script's flags, real files, real HTTP.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url))
const NODE_FLAGS = ['--experimental-strip-types', '--no-warnings=ExperimentalWarning']
const VECTORS_FILE = new URL('../../docs/license-vectors.json', import.meta.url)
const VECTORS = JSON.parse(await readFile(VECTORS_FILE, 'utf8'))
const dir = await mkdtemp(join(tmpdir(), 'license-cli-'))
const file = (name: string) => join(dir, name)

type Result = { code: number; stdout: string; stderr: string }

function cli(args: string[], stdin = ''): Promise<Result> {
  return new Promise((resolve) => {
    const argv = [...NODE_FLAGS, CLI, ...args]
    const child = execFile(process.execPath, argv, { cwd: dir }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr })
    })
    child.stdin!.end(stdin)
  })
}

const FC = VECTORS.cases[0].featureCode
const CHECKS = ['--product', 'acme-cad', '--feature-code', FC, '--jwks', 'onlyA.json']
const MID = '2026-06-01T00:00:00Z'
let server: ReturnType<typeof createServer>
let jwksUrl = ''
let revocationsUrl = ''

beforeAll(async () => {
  for (const [name, text] of Object.entries<string>(VECTORS.licenses)) {
    await writeFile(file(`${name}.lic`), text)
  }
  for (const [name, text] of Object.entries<string>(VECTORS.revocationLists)) {
    await writeFile(file(`${name}.jwt`), `${text}\n`)
  }
  await writeFile(file('onlyA.json'), JSON.stringify(VECTORS.jwks.onlyA))
  server = createServer((request, response) => {
    if (request.url === '/.well-known/license-revocations.jwt') {
      response.writeHead(200, { 'content-type': 'application/jwt' })
      return void response.end(VECTORS.revocationLists.revokesValid)
    }
    if (request.url !== '/.well-known/jwks.json') return void response.writeHead(404).end()
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify(VECTORS.jwks.onlyA))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  jwksUrl = `${origin}/.well-known/jwks.json`
  revocationsUrl = `${origin}/.well-known/license-revocations.jwt`
})

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe.concurrent('license CLI: help and usage', () => {
  it('prints the commands for --help and exits 0', async () => {
    const result = await cli(['--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/keygen[\s\S]*issue[\s\S]*verify[\s\S]*inspect/)
  })

  it("prints a command's options for `help verify` and `verify --help`", async () => {
    for (const args of [['help', 'verify'], ['verify', '--help']]) {
      const result = await cli(args)
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('Exit codes: 0 valid')
    }
  })

  it('rejects an unknown command with exit 1 and the list of commands', async () => {
    const result = await cli(['frobnicate'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('unknown command "frobnicate" (commands: keygen, issue, verify')
  })

  it('rejects an unknown option with exit 1 naming it', async () => {
    const result = await cli(['inspect', 'x.lic', '--bogus'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("Unknown option '--bogus'")
  })

  it('answers errors as JSON with --json', async () => {
    const result = await cli(['verify', 'missing.lic', ...CHECKS, '--json'])
    expect(result.code).toBe(1)
    const message = expect.stringContaining('no such file')
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: 'INPUT_ERROR', message } })
  })
})

describe('license CLI: keygen and issue', () => {
  const KEY = ['--key', 'key.jwk.json']
  const TERMS = [
    ['--iss', 'https://licenses.example.com'],
    ['--product', 'acme-cad'],
    ['--feature-code', 'ab12-cd34'],
    ['--quantity', '3'],
    ['--customer-name', '张伟'],
    ['--company', '上海示例软件有限公司'],
    ['--email', 'z@example.cn'],
  ].flat()

  it('writes a new private key with mode 0600 and prints the public JWK with its kid', async () => {
    const result = await cli(['keygen', '--out', 'key.jwk.json'])
    expect(result.code).toBe(0)
    const publicJwk = JSON.parse(result.stdout)
    expect(publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: expect.any(String) })
    expect(publicJwk).not.toHaveProperty('d')
    const privateJwk = JSON.parse(await readFile(file('key.jwk.json'), 'utf8'))
    expect(privateJwk).toMatchObject({ ...publicJwk, d: expect.any(String) })
    expect((await stat(file('key.jwk.json'))).mode & 0o777).toBe(0o600)
    await writeFile(file('pub.json'), result.stdout)
  })

  it('refuses to overwrite an existing key file (exit 1, file unchanged)', async () => {
    const before = await readFile(file('key.jwk.json'), 'utf8')
    const result = await cli(['keygen', '--out', 'key.jwk.json'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('refusing to overwrite')
    expect(await readFile(file('key.jwk.json'), 'utf8')).toBe(before)
  })

  it('requires --out for keygen', async () => {
    const result = await cli(['keygen'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('--out is required')
  })

  it('issues a license from flags that verify then accepts (exit 0, terms printed)', async () => {
    const issued = await cli(['issue', ...KEY, ...TERMS, '--days', '30', '--id', 'lic_cli_1'])
    expect(issued.code).toBe(0)
    expect(issued.stdout).toMatch(/^-----BEGIN LICENSE-----\n[\s\S]+\n-----END LICENSE-----\n$/)
    await writeFile(file('issued.lic'), issued.stdout)
    const checks = ['--product', 'acme-cad', '--feature-code', 'AB12CD34', '--jwks', 'pub.json']
    const verified = await cli(['verify', 'issued.lic', ...checks])
    expect(verified.code).toBe(0)
    expect(verified.stdout).toMatch(/^VALID\n/)
    expect(verified.stdout).toContain('lic_cli_1')
    expect(verified.stdout).toContain('张伟, 上海示例软件有限公司 <z@example.cn>')
  })

  it('issues from a terms file, flags overriding it, with --out and --json', async () => {
    const terms = {
      iss: 'https://licenses.example.com',
      sub: 'lic_file',
      aud: 'acme-cad',
      nbf: 1_767_225_600,
      exp: 1_798_761_600,
      fc: 'FF00',
      qty: 2,
      app: 'app_9',
      cust: { name: 'Li Na', company: '', email: 'li@example.cn' },
    }
    await writeFile(file('terms.json'), JSON.stringify(terms))
    const args = ['issue', ...KEY, '--terms', 'terms.json', '--quantity', '7', '--now', '2026-01-01']
    const result = await cli([...args, '--out', 'file.lic', '--json'])
    expect(result.code).toBe(0)
    const { license, claims } = JSON.parse(result.stdout)
    expect(claims).toEqual({ ...terms, qty: 7, iat: 1_767_225_600, v: 1 })
    expect(await readFile(file('file.lic'), 'utf8')).toBe(license)
  })

  it('refuses to issue without --key', async () => {
    const result = await cli(['issue', ...TERMS, '--days', '30'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('--key is required')
  })

  it('refuses a public key as the signing key', async () => {
    const result = await cli(['issue', '--key', 'pub.json', ...TERMS, '--days', '30'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('signing needs the private JWK')
  })

  it('refuses invalid terms, naming each field and its flag', async () => {
    const bad = ['--feature-code', ' - ', '--email', 'x']
    const result = await cli(['issue', ...KEY, ...TERMS, ...bad, '--days', '30'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('fc (--feature-code) MISSING, cust.email (--email) INVALID')
  })

  it('refuses --days together with --expires, and a missing period', async () => {
    const both = await cli(['issue', ...KEY, ...TERMS, '--days', '3', '--expires', '2030-01-01'])
    expect([both.code, both.stderr]).toEqual([1, expect.stringContaining('not both')])
    const none = await cli(['issue', ...KEY, ...TERMS])
    expect([none.code, none.stderr]).toEqual([1, expect.stringContaining('--days or --expires')])
  })

  it('rejects a quantity that is not a whole number', async () => {
    const result = await cli(['issue', ...KEY, ...TERMS, '--quantity', '2.5', '--days', '3'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('--quantity must be a whole number')
  })
})

describe.concurrent('license CLI: verify exit codes', () => {
  it.each([
    ['valid', [], 0, 'VALID'],
    ['notALicense', [], 2, 'BAD_ARMOR'],
    ['version2', [], 2, 'UNSUPPORTED_VERSION'],
    ['signedByB', [], 3, 'UNKNOWN_KEY'],
    ['tamperedClaims', [], 3, 'BAD_SIGNATURE'],
    ['valid', ['--product', 'acme-cam'], 4, 'WRONG_PRODUCT'],
    ['valid', ['--feature-code', 'OTHER'], 4, 'WRONG_FEATURE_CODE'],
    ['valid', ['--now', '2026-01-15T00:00:00Z'], 5, 'NOT_YET_VALID'],
    ['valid', ['--now', '2027-03-01'], 5, 'EXPIRED'],
    ['valid', ['--last-seen', '2026-07-01T00:00:00Z'], 5, 'CLOCK_ROLLBACK'],
  ])('%s %j exits %i with %s', async (name, extra, exit, code) => {
    const args = ['verify', `${name}.lic`, ...CHECKS, '--now', MID, ...extra]
    const human = await cli(args)
    expect(human.code).toBe(exit)
    if (exit !== 0) expect(human.stderr).toMatch(new RegExp(`^INVALID ${code}: .+\\n$`))
    const json = await cli([...args, '--json'])
    expect(json.code).toBe(exit)
    const expected = exit === 0 ? { valid: true, claims: { aud: 'acme-cad' } } : { valid: false, code }
    expect(JSON.parse(json.stdout)).toMatchObject(expected)
  })

  it('reads the license from stdin for -', async () => {
    const result = await cli(['verify', '-', ...CHECKS, '--now', MID], VECTORS.licenses.rewrapped)
    expect(result.code).toBe(0)
  })

  it('fetches the JWKS from an http(s) URL', async () => {
    const result = await cli(['verify', 'valid.lic', ...CHECKS, '--jwks', jwksUrl, '--now', MID])
    expect(result.code).toBe(0)
    const wrongUrl = `${jwksUrl}x`
    const missing = await cli(['verify', 'valid.lic', ...CHECKS, '--jwks', wrongUrl, '--now', MID])
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('HTTP 404')])
  })

  it.each([
    ['a missing license file', ['nope.lic', ...CHECKS], 'cannot read license file nope.lic: no such file'],
    ['a missing JWKS file', ['valid.lic', ...CHECKS, '--jwks', 'nope.json'], 'cannot read JWKS file'],
    ['a JWKS that is not one', ['valid.lic', ...CHECKS, '--jwks', 'valid.lic'], 'bad JWKS'],
    ['no --product', ['valid.lic', '--feature-code', 'X', '--jwks', 'onlyA.json'], '--product is required'],
    ['a bad --now', ['valid.lic', ...CHECKS, '--now', 'soon'], '--now must be an ISO 8601 date'],
    ['no license file', CHECKS, 'exactly one license file'],
  ])('exits 1 for %s with a clear message', async (_, args, message) => {
    const result = await cli(['verify', ...args])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(message)
  })
})

describe.concurrent('license CLI: inspect', () => {
  it('prints header and claims marked UNVERIFIED', async () => {
    const result = await cli(['inspect', 'tamperedClaims.lic'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^UNVERIFIED: /)
    expect(result.stdout).toContain('"qty": 500')
    expect(result.stdout).toContain('exp  2027-02-01T00:00:00Z')
  })

  it('prints {verified: false, header, claims} with --json', async () => {
    const result = await cli(['inspect', 'valid.lic', '--json'])
    expect(result.code).toBe(0)
    const expected = { verified: false, header: { typ: 'license+jwt' }, claims: { v: 1 } }
    expect(JSON.parse(result.stdout)).toMatchObject(expected)
  })

  it('exits 2 for a file that is not a license', async () => {
    const result = await cli(['inspect', 'notALicense.lic'])
    expect([result.code, result.stderr]).toEqual([2, expect.stringMatching(/^BAD_ARMOR: /)])
  })
})

describe.concurrent('license CLI: verify with a revocation list', () => {
  const AB = ['--product', 'acme-cad', '--feature-code', FC, '--jwks', 'aAndB.json', '--now', MID]

  beforeAll(() => writeFile(file('aAndB.json'), JSON.stringify(VECTORS.jwks.aAndB)))

  it('exits 6 with REVOKED for a license the list names', async () => {
    const args = ['verify', 'valid.lic', ...CHECKS, '--now', MID, '--revocations', 'revokesValid.jwt']
    const human = await cli(args)
    expect(human.code).toBe(6)
    expect(human.stderr).toMatch(/^INVALID REVOKED: the license lic_\w+ was revoked at .+\n$/)
    const json = await cli([...args, '--json'])
    expect(json.code).toBe(6)
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, code: 'REVOKED' })
  })

  it('reports REVOKED (exit 6) before the product (exit 4)', async () => {
    const args = ['verify', 'valid.lic', ...CHECKS, '--now', MID, '--product', 'acme-cam']
    const result = await cli([...args, '--revocations', 'revokesValid.jwt'])
    expect([result.code, result.stderr]).toEqual([6, expect.stringContaining('REVOKED')])
  })

  it('accepts a license the list does not name and says the list was checked', async () => {
    const result = await cli(['verify', 'signedByB.lic', ...AB, '--revocations', 'revokesValid.jwt'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('revocations   not revoked (list of 2026-05-01T00:00:00Z')
    const json = await cli(['verify', 'signedByB.lic', ...AB, '--revocations', revocationsUrl, '--json'])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, revocations: { size: 2 } })
  })

  it('fetches the list from an http(s) URL', async () => {
    const args = ['verify', 'valid.lic', ...CHECKS, '--now', MID, '--revocations', revocationsUrl]
    expect((await cli(args)).code).toBe(6)
    const missing = await cli([...args.slice(0, -1), `${revocationsUrl}x`])
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('HTTP 404')])
  })

  it.each([
    ['an altered list', 'tampered.jwt', [], 'BAD_REVOCATION_LIST', 'signature does not verify'],
    ['a list by an untrusted key', 'signedByB.jwt', [], 'BAD_REVOCATION_LIST', 'unknown key'],
    ['a license as the list', 'valid.lic', [], 'BAD_REVOCATION_LIST', 'is not a compact JWS'],
    ['a stale list', 'revokesValid.jwt', ['--revocations-max-age', '86400'], 'STALE_REVOCATION_LIST', 'older than'],
  ])('exits 1 for %s, the license unchecked', async (_, list, extra, code, message) => {
    const args = ['verify', 'valid.lic', ...CHECKS, '--now', MID, '--revocations', list, ...extra]
    const human = await cli(args)
    expect(human.code).toBe(1)
    expect(human.stderr).toMatch(new RegExp(`^error: revocation list ${list}: .*${message}`))
    const json = await cli([...args, '--json'])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toEqual({ error: { code, message: expect.any(String) } })
  })

  it('exits 1 for a missing list file and for --revocations-max-age without a list', async () => {
    const missing = await cli(['verify', 'valid.lic', ...CHECKS, '--revocations', 'nope.jwt'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('cannot read revocation list file nope.jwt: no such file')
    const alone = await cli(['verify', 'valid.lic', ...CHECKS, '--revocations-max-age', '60'])
    expect([alone.code, alone.stderr]).toEqual([1, expect.stringContaining('needs --revocations')])
  })
})

describe('license CLI: revoke-list', () => {
  const SIGN = ['revoke-list', '--key', 'keyA.jwk.json', '--iss', 'https://licenses.example.com']
  const VERIFY = ['verify', 'valid.lic', ...CHECKS, '--now', MID]

  beforeAll(() => writeFile(file('keyA.jwk.json'), JSON.stringify(VECTORS.keys.a.privateJwk)))

  it('signs the list a product then checks licenses against (REVOKED, exit 6)', async () => {
    const sub = VECTORS.cases[0].claims.sub
    await writeFile(file('revoked.txt'), `# refunds\n${sub},2026-04-30T08:00:00Z\n\nlic_other\n`)
    const args = [...SIGN, '--revoked', 'revoked.txt', '--now', '2026-05-01T00:00:00Z']
    const signed = await cli([...args, '--out', 'local.jwt'])
    expect([signed.code, signed.stderr]).toEqual([0, expect.stringContaining('2 revoked licenses')])
    const checked = await cli([...VERIFY, '--revocations', 'local.jwt'])
    expect([checked.code, checked.stderr]).toEqual([6, expect.stringContaining('INVALID REVOKED')])
    const json = await cli([...args, '--json'])
    const { list, claims } = JSON.parse(json.stdout)
    expect(claims).toMatchObject({ v: 1, iat: 1_777_593_600, revoked: [{ sub }, { sub: 'lic_other' }] })
    expect(`${list}\n`).toBe(await readFile(file('local.jwt'), 'utf8'))
  })

  it('reads the ids from stdin for - and writes the list to stdout', async () => {
    const result = await cli([...SIGN, '--revoked', '-'], 'lic_x\n')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/)
  })

  it.each([
    ['a license id listed twice', 'lic_x\nlic_x,2026-01-01\n', 'license lic_x is listed twice'],
    ['a bad time', 'lic_x,yesterday\n', 'line 1: "yesterday" is not an ISO 8601 date'],
    ['a line with three fields', 'lic_x,1,2\n', 'line 1: expected'],
  ])('exits 1 for %s', async (_, text, message) => {
    const result = await cli([...SIGN, '--revoked', '-'], text)
    expect([result.code, result.stderr]).toEqual([1, expect.stringContaining(message)])
  })

  it('refuses an issuer that is not an origin (exit 1)', async () => {
    const args = ['revoke-list', '--key', 'keyA.jwk.json', '--iss', 'licenses', '--revoked', '-']
    const result = await cli(args, 'lic_x\n')
    expect([result.code, result.stderr]).toEqual([1, expect.stringContaining('iss must be')])
  })
})
