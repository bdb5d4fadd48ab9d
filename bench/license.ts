// License throughput and size: issue/s and verify/s per core (operations divided by the process's
// CPU time) and wall-clock, and the bytes of a typical license. Run by `npm run bench`.
import { buildJwks, createLicenseVerifier, generateLicenseKeyPair } from '../license/src/index.ts'
import { importLicenseSigningKey, issueLicense, verifyLicense } from '../license/src/index.ts'
import type { LicenseTerms } from '../license/src/index.ts'

export type Row = {
  operation: string
  inFlight: number
  ops: number
  wallRate: number
  coreRate: number
  goal?: number
}

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
  cust: {
    name: '欧阳建国',
    company: '深圳市前海示例智能制造科技股份有限公司',
    email: 'ouyang.jianguo@example.com.cn',
  },
}
const VERIFY_GOAL = 5_000
const SIZE_GOAL = 1_024
const ROUNDS = 3

async function round(ops: number, inFlight: number, once: () => Promise<unknown>) {
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  let next = 0
  const worker = async () => {
    while (next++ < ops) await once()
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  const wall = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  return { wallRate: ops / wall, coreRate: ops / ((cpu.user + cpu.system) / 1e6) }
}

/** The median of ROUNDS rounds (by per-core rate), after warming up the JIT and thread pool. */
async function measure(
  operation: string,
  ops: number,
  inFlight: number,
  once: () => Promise<unknown>,
  goal?: number,
): Promise<Row> {
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
  const issue = () => issueLicense(TYPICAL, signingKey, { now: NOW })
  const license = await issue()
  const verify = await createLicenseVerifier({ keys: jwks })
  const checks = { product: TYPICAL.aud, featureCode: TYPICAL.fc, now: NOW + 86_400_000 }
  const verifyCached = () => verify(license, checks)
  const verifyImporting = () => verifyLicense(license, { keys: jwks, ...checks })
  const rows = [
    await measure('issueLicense', 3_000, 1, issue),
    await measure('verify (createLicenseVerifier)', 10_000, 1, verifyCached, VERIFY_GOAL),
    await measure('verify (createLicenseVerifier)', 20_000, 16, verifyCached, VERIFY_GOAL),
    await measure('verifyLicense, JWK Set imported per call', 2_000, 1, verifyImporting),
  ]
  return { rows, size: new TextEncoder().encode(license).length }
}

const format = (rate: number) => Math.round(rate).toLocaleString('en-US')

function goalCell(row: Row): string {
  if (row.goal === undefined) return ''
  return `≥ ${format(row.goal)}/s per core: ${row.coreRate >= row.goal ? 'met' : 'NOT MET'}`
}

export function licenseTable({ rows, size }: { rows: Row[]; size: number }): string {
  const header = ['operation', 'in flight', 'ops', 'wall /s', 'per core /s', 'goal']
  const body = rows.map((row) => {
    const { operation, inFlight, ops, wallRate, coreRate } = row
    const rates = [format(wallRate), format(coreRate)]
    return [operation, String(inFlight), format(ops), ...rates, goalCell(row)]
  })
  const all = [header, ...body]
  const widths = header.map((_, column) => Math.max(...all.map((cells) => cells[column].length)))
  const pad = (cell: string, column: number) =>
    column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])
  const line = (cells: string[]) => cells.map(pad).join('  ')
  const sizeGoal = `goal ≤ ${format(SIZE_GOAL)} bytes: ${size <= SIZE_GOAL ? 'met' : 'NOT MET'}`
  return [
    line(header),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...body.map(line),
    '',
    `typical license (Chinese names, 64-character feature code): ${size} bytes (${sizeGoal})`,
    'per core = operations / CPU time of the whole process (main thread + crypto thread pool);',
    `median of ${ROUNDS} rounds; "in flight" = verifications awaited concurrently`,
  ].join('\n')
}

if (import.meta.main) console.log(licenseTable(await benchLicense()))
