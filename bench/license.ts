// License throughput and size: issue/s and verify/s on this machine, per core (operations divided by
// the process's CPU time), and the bytes of a typical license. Run by `npm run bench` (bench/run.ts).
import {
  buildJwks,
  createLicenseVerifier,
  generateLicenseKeyPair,
  importLicenseSigningKey,
  issueLicense,
  verifyLicense,
  type LicenseTerms,
} from '../license/src/index.ts'

export type Row = { operation: string; inFlight: number; ops: number; wallRate: number; coreRate: number; goal?: number }

const NOW = Date.parse('2026-01-01T00:00:00Z')
const TYPICAL: LicenseTerms = {
  iss: 'https://licenses.example.com',
  sub: 'lic_01JGXM3T8C2V4Q6W8Y0A2C4E6G',
  aud: 'acme-cad',
  nbf: NOW / 1000,
  exp: NOW / 1000 + 365 * 86_400,
  fc: '9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08',
  qty: 10,
  app: 'app_01JGXKZ9D4F6H8J0K2M4N6P8R0',
  cust: { name: '欧阳建国', company: '深圳市前海示例智能制造科技股份有限公司', email: 'ouyang.jianguo@example.com.cn' },
}
const VERIFY_GOAL = 5_000
const SIZE_GOAL = 1_024

const ROUNDS = 3

async function round(ops: number, inFlight: number, once: () => Promise<unknown>) {
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < ops) await once()
    }),
  )
  const wall = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  return { wallRate: ops / wall, coreRate: ops / ((cpu.user + cpu.system) / 1e6) }
}

/** The median of ROUNDS rounds (by per-core rate), after a warm-up of the JIT and thread pool. */
async function measure(operation: string, ops: number, inFlight: number, once: () => Promise<unknown>, goal?: number): Promise<Row> {
  for (let i = 0; i < Math.min(200, ops); i++) await once()
  const rounds = []
  for (let i = 0; i < ROUNDS; i++) rounds.push(await round(ops, inFlight, once))
  rounds.sort((a, b) => a.coreRate - b.coreRate)
  return { operation, inFlight, ops, ...rounds[Math.floor(ROUNDS / 2)], goal }
}

export async function benchLicense(): Promise<{ rows: Row[]; size: number }> {
  const { privateJwk } = await generateLicenseKeyPair()
  const signingKey = await importLicenseSigningKey(privateJwk)
  const jwks = await buildJwks([privateJwk])
  const license = await issueLicense(TYPICAL, signingKey, { now: NOW })
  const verify = await createLicenseVerifier({ keys: jwks })
  const checks = { product: TYPICAL.aud, featureCode: TYPICAL.fc, now: NOW + 86_400_000 }
  const rows = [
    await measure('issueLicense', 3_000, 1, () => issueLicense(TYPICAL, signingKey, { now: NOW })),
    await measure('verify (createLicenseVerifier)', 10_000, 1, () => verify(license, checks), VERIFY_GOAL),
    await measure('verify (createLicenseVerifier)', 20_000, 16, () => verify(license, checks), VERIFY_GOAL),
    await measure('verifyLicense, JWK Set imported per call', 2_000, 1, () => verifyLicense(license, { keys: jwks, ...checks })),
  ]
  return { rows, size: new TextEncoder().encode(license).length }
}

const format = (rate: number) => Math.round(rate).toLocaleString('en-US')

export function licenseTable({ rows, size }: { rows: Row[]; size: number }): string {
  const header = ['operation', 'in flight', 'ops', 'wall /s', 'per core /s', 'goal']
  const body = rows.map((row) => [
    row.operation,
    String(row.inFlight),
    format(row.ops),
    format(row.wallRate),
    format(row.coreRate),
    row.goal === undefined ? '' : `≥ ${format(row.goal)}/s per core: ${row.coreRate >= row.goal ? 'met' : 'NOT MET'}`,
  ])
  const widths = header.map((_, column) => Math.max(...[header, ...body].map((cells) => cells[column].length)))
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')
  return [
    line(header),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...body.map(line),
    '',
    `typical license (Chinese names, 64-character feature code): ${size} bytes ` +
      `(goal ≤ ${format(SIZE_GOAL)} bytes: ${size <= SIZE_GOAL ? 'met' : 'NOT MET'})`,
    `per core = operations / CPU time of the whole process (main thread + crypto thread pool); median of ${ROUNDS} rounds`,
  ].join('\n')
}

if (import.meta.main) console.log(licenseTable(await benchLicense()))
