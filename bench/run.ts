// `npm run bench`: runs every benchmark under bench/ in turn and prints its table, pinned to one
// core (taskset, Linux) so "per core" figures mean one core. Add new benchmarks to BENCHES.
// A benchmark that fails is reported as FAILED and the run goes on (exit code 1).
import { spawnSync } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'

type Bench = { name: string; run: () => Promise<string> }

const BENCHES: Bench[] = [
  {
    name: 'license (license/src: issue, verify, size)',
    run: async () => {
      const { benchLicense, licenseTable } = await import('./license.ts')
      return licenseTable(await benchLicense())
    },
  },
  {
    name: 'relay (egress-proxy: direct vs through the proxy, proof cost, memory, soak)',
    run: async () => {
      const { benchRelay, relayTable } = await import('./relay.ts')
      return relayTable(await benchRelay())
    },
  },
  {
    name: 'worker CPU per submit (wrangler dev stack: workerd process; Hono app in-process, D1 subtracted)',
    run: async () => {
      const { benchWorkerCpu, workerCpuTable } = await import('./worker-cpu.ts')
      return workerCpuTable(await benchWorkerCpu())
    },
  },
  {
    name: 'first load (apply page under Slow 4G: pre-rendered vs a plain HTML form, the Vue floor and the client-rendered shell, Chromium)',
    run: async () => {
      const { benchFirstLoad, firstLoadTable } = await import('./first-load.ts')
      return firstLoadTable(await benchFirstLoad())
    },
  },
]

const PINNED = 'LICENSEDESK_BENCH_PINNED'

if (process.env[PINNED] === undefined && spawnSync('taskset', ['-c', '0', 'true']).status === 0) {
  const self = [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)]
  const child = spawnSync('taskset', ['-c', '0', process.execPath, ...self], {
    stdio: 'inherit',
    env: { ...process.env, [PINNED]: 'pinned to CPU 0 (taskset -c 0)' },
  })
  process.exit(child.status ?? 1)
}

const pinning = process.env[PINNED] ?? 'not pinned (no taskset): per-core figures are pessimistic'
const cpu = cpus()[0]?.model ?? 'unknown CPU'
console.log(`licensedesk benchmarks: Node ${process.version}, ${cpu}, ${pinning}\n`)
// `npm run bench -- first` runs only the benchmarks whose name starts with one of the words given.
const only = process.argv.slice(2)
for (const bench of BENCHES.filter((entry) => only.length === 0 || only.some((word) => entry.name.startsWith(word)))) {
  console.log(`## ${bench.name}\n`)
  // One failing benchmark must not hide the others' numbers.
  try {
    console.log(`${await bench.run()}\n`)
  } catch (error) {
    console.log(`FAILED: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  }
}
