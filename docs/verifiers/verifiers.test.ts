// Runs each language's verifier snippet (docs/verifiers/<language>/) against every case of
// docs/license-vectors.json. A language whose toolchain is missing is skipped loudly, or fails
// when VERIFIERS_REQUIRED (a comma list, set by .ci/run) names it.
import { execFile, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LicenseVectors, VectorCase } from '../../license/vectors/build.ts'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const vectors: LicenseVectors = JSON.parse(
  readFileSync(new URL('../license-vectors.json', import.meta.url), 'utf8'),
)

type Verifier = {
  name: string
  /** A reason the toolchain is missing, or undefined when it is there. */
  missing: () => string | undefined
  /** Builds into `out` (a temp dir, never the repo); returns the command that runs the verifier. */
  build: (out: string) => string[]
}

const succeeds = (command: string, args: string[]) =>
  spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 }).status === 0

function run(command: string, args: string[], cwd = HERE) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000 })
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed: ${result.error ?? result.stderr}`)
  }
}

const VERIFIERS: Verifier[] = [
  {
    name: 'python',
    missing: () =>
      succeeds('python3', ['-c', 'import cryptography'])
        ? undefined
        : 'python3 with cryptography not found',
    build: () => ['python3', join(HERE, 'python/cli.py')],
  },
  {
    name: 'java',
    missing: () => (succeeds('javac', ['-version']) ? undefined : 'javac not found'),
    build: (out) => {
      const sources = ['Verify.java', 'Jws.java', 'Json.java', 'Revocations.java', 'Main.java']
      run('javac', ['-d', out, ...sources.map((name) => join(HERE, 'java', name))])
      return ['java', '-cp', out, 'Main']
    },
  },
  {
    name: 'go',
    missing: () => (succeeds('go', ['version']) ? undefined : 'go not found'),
    build: (out) => {
      run('go', ['build', '-o', join(out, 'verify'), '.'], join(HERE, 'go'))
      return [join(out, 'verify')]
    },
  },
  {
    name: 'csharp',
    missing: () => {
      if (!succeeds('mcs', ['--version']) || !succeeds('mono', ['--version'])) {
        return 'mcs or mono not found'
      }
      const assembly = 'System.Runtime.Serialization'
      if (!succeeds('sh', ['-c', `gacutil -l ${assembly} | grep -q '^${assembly},'`])) {
        return `${assembly} (libmono-system-runtime-serialization4.0-cil) not found`
      }
      // ldconfig lives in /sbin, which a user's PATH often lacks.
      return succeeds('sh', ['-c', 'PATH="$PATH:/usr/sbin:/sbin" ldconfig -p | grep -q libsodium.so.23'])
        ? undefined
        : 'libsodium.so.23 (libsodium23) not found'
    },
    build: (out) => {
      const exe = join(out, 'verify.exe')
      const references = ['-r:System.Runtime.Serialization', '-r:System.Xml']
      const sources = ['Verify.cs', 'Jws.cs', 'Json.cs', 'Revocations.cs', 'Cli.cs']
      const paths = sources.map((name) => join('csharp', name))
      run('mcs', ['-nologo', `-out:${exe}`, ...references, ...paths])
      return ['mono', exe]
    },
  },
]

const required = (process.env.VERIFIERS_REQUIRED ?? '')
  .split(',')
  .map((name) => name.trim())
  .filter((name) => name !== '')

type Outcome = { status: number | null; stdout: string; stderr: string }

function execute([command, ...args]: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    // The C locale, as on many servers: the claims must still come out as UTF-8.
    const env = { ...process.env, LC_ALL: 'C', PYTHONDONTWRITEBYTECODE: '1' }
    execFile(command, args, { encoding: 'utf8', env, timeout: 15_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0
      resolve({ status, stdout, stderr })
    })
  })
}

/** The CLI arguments of one vector case (README.md, "CLI contract"), its files written to `dir`. */
function argumentsOf(test: VectorCase, index: number, dir: string): string[] {
  const file = (name: string, text: string) => {
    const path = join(dir, `${index}-${name}`)
    writeFileSync(path, text)
    return path
  }
  const args = ['--jwks', file('jwks.json', JSON.stringify(vectors.jwks[test.jwks]))]
  args.push('--product', test.product, '--feature-code', test.featureCode)
  args.push('--now', String(test.now), '--clock-skew', String(test.clockSkew))
  if (test.lastSeen !== undefined) args.push('--last-seen', String(test.lastSeen))
  if (test.revocations !== undefined) {
    args.push('--revocations', file('revocations.jwt', vectors.revocationLists[test.revocations]))
  }
  if (test.revocationsMaxAge !== undefined) {
    args.push('--revocations-max-age', String(test.revocationsMaxAge))
  }
  return [...args, file('license.txt', vectors.licenses[test.license])]
}

it('VERIFIERS_REQUIRED names only languages that have a verifier', () => {
  const known = VERIFIERS.map((verifier) => verifier.name)
  expect(required.filter((name) => !known.includes(name))).toEqual([])
})

for (const verifier of VERIFIERS) {
  const missing = verifier.missing()
  const isRequired = required.includes(verifier.name)
  if (missing && isRequired) console.error(`VERIFIER MISSING: ${verifier.name} — ${missing}`)
  else if (missing) console.warn(`VERIFIER SKIPPED: ${verifier.name} — ${missing}`)

  describe(`the ${verifier.name} verifier`, () => {
    let dir = ''
    let command: string[] = []
    beforeAll(() => {
      if (missing) return
      dir = mkdtempSync(join(tmpdir(), `licensedesk-verifier-${verifier.name}-`))
      mkdirSync(join(dir, 'cases'))
      command = verifier.build(dir)
    }, 180_000)
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true })
    })

    it.runIf(missing !== undefined && isRequired)('has its toolchain (VERIFIERS_REQUIRED)', () => {
      expect.fail(`${verifier.name} is in VERIFIERS_REQUIRED but ${missing}`)
    })

    const cases = vectors.cases.map(
      (test, index) => [`${test.name} → ${test.expect}`, test, index] as const,
    )
    it.skipIf(missing !== undefined).each(cases)('%s', async (_, test, index) => {
      const outcome = await execute([...command, ...argumentsOf(test, index, join(dir, 'cases'))])
      if (test.expect === 'VALID') {
        const { status, stderr } = outcome
        expect({ status, stderr }).toEqual({ status: 0, stderr: '' })
        expect(JSON.parse(outcome.stdout)).toEqual(test.claims)
      } else {
        const code = /^([A-Z_]+):/.exec(outcome.stderr)?.[1]
        expect({ status: outcome.status, code }).toEqual({ status: 1, code: test.expect })
        expect(outcome.stdout).toBe('')
      }
    })
  })
}
