// `npm run deploy -- --env staging|production [--dry-run] [--config FILE]`: preflight, page build,
// then `wrangler deploy`. It refuses, naming each problem, while the environment has local or
// placeholder values, a required secret is missing or a D1 migration is not applied. A dry run
// checks the config (no Cloudflare login needed) and bundles with `wrangler deploy --dry-run`.
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { experimental_readRawConfig, unstable_readConfig } from 'wrangler'
import { checkConfig, missingSecrets, unappliedMigrations, type Problem } from './preflight.ts'

const root = resolve(import.meta.dirname, '..', '..')
const wrangler = resolve(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js')
const vite = resolve(root, 'node_modules', 'vite', 'bin', 'vite.js')

const { values } = parseArgs({
  options: { env: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, config: { type: 'string', default: 'wrangler.toml' } },
})
const env = values.env
const dryRun = values['dry-run']
const configPath = resolve(root, values.config!)
if (env !== 'staging' && env !== 'production') {
  console.error('deploy: --env staging or --env production is required (the top level is the local configuration)')
  process.exit(1)
}

function run(command: string, args: string[], capture: boolean): { code: number; output: string } {
  const result = spawnSync(process.execPath, [command, ...args], { cwd: root, encoding: 'utf8', stdio: capture ? 'pipe' : 'inherit', env: { ...process.env, NO_COLOR: '1' } })
  return { code: result.status ?? 1, output: `${result.stdout ?? ''}${result.stderr ?? ''}` }
}

const config = unstable_readConfig({ config: configPath, env })
const { rawConfig } = experimental_readRawConfig({ config: configPath })
const problems: Problem[] = checkConfig(config, (rawConfig.vars ?? {}) as Record<string, unknown>)

if (!dryRun) {
  const secrets = run(wrangler, ['secret', 'list', '--env', env, '--format', 'json', '--config', configPath], true)
  problems.push(...missingSecrets(secrets.output.slice(secrets.output.indexOf('['))))
  const migrations = run(wrangler, ['d1', 'migrations', 'list', 'DB', '--remote', '--env', env, '--config', configPath], true)
  problems.push(...(migrations.code === 0 ? unappliedMigrations(migrations.output) : [{ setting: 'd1 migrations', problem: 'wrangler d1 migrations list failed: is `wrangler login` done?' }]))
}

if (problems.length > 0) {
  console.error(`deploy: refusing to deploy ${env}: ${problems.length} problem(s) in ${values.config}`)
  for (const { setting, problem } of problems) console.error(`  - ${setting} ${problem}`)
  process.exit(1)
}
console.log(`deploy: ${env} preflight passed${dryRun ? ' (config only: secrets and migrations are checked on a real deploy)' : ''}`)

if (run(vite, ['build', '--config', 'worker/web/vite.config.ts', '--mode', 'deploy', '--logLevel', 'warn'], false).code !== 0) process.exit(1)
const deploy = ['deploy', '--env', env, '--config', configPath, ...(dryRun ? ['--dry-run', '--outdir', 'dist/worker'] : [])]
process.exit(run(wrangler, deploy, false).code)
