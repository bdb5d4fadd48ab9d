import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { experimental_readRawConfig, unstable_readConfig } from 'wrangler'
import { checkConfig, missingSecrets, REQUIRED_SECRETS, unappliedMigrations } from './preflight.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const REPO_CONFIG = join(ROOT, 'wrangler.toml')

/** The repository's wrangler.toml with every production placeholder filled as an operator would. */
function filledConfig(edit: (text: string) => string = (text) => text): string {
  let text = readFileSync(REPO_CONFIG, 'utf8')
  const production = text.indexOf('[env.production]')
  const head = text.slice(0, production)
  let tail = text.slice(production)
  tail = tail
    .replaceAll('licenses.example.com', 'licenses.hypermotion.cn')
    .replace('<licenses@example.com>', '<licenses@mail.hypermotion.cn>')
    .replace('"ops@example.com"', '"license-ops@hypermotion.cn"')
    .replace('<support address shown to customers>', 'support@hypermotion.cn')
    .replace('https://<your domain>/privacy', 'https://www.hypermotion.cn/privacy')
    .replace('<PROC-… of the approval template>', 'PROC-9F1C2B7A-44D2-4C1E-9A53-0B7E4E1D2C11')
    .replace('<DingTalk userId of the originator>', '0706600569779')
    .replace('<Turnstile sitekey of the portal>', '0x4AAAAAAAB1c2d3e4f5g6h7')
    .replace('https://<team name>.cloudflareaccess.com', 'https://hypermotion.cloudflareaccess.com')
    .replace('<AUD tag of the Access application>', '32eafc7626e974616deaf0dc3ce63d7bcbed58a2731e84d06bc3cdf1b53c4228')
    .replace('<operator emails, comma-separated>', 'li.lei@hypermotion.cn, wang.fang@hypermotion.cn')
    .replace('<viewer emails, comma-separated, or empty>', '*@support.hypermotion.cn')
    .replace(/database_id = "0{8}-0{4}-4000-8000-0{12}"\nmigrations_dir/, 'database_id = "5c0b3f52-8d3e-4f55-9f0e-2a1b7c3d9e10"\nmigrations_dir')
    .replace(/service_id = "0{8}-0{4}-4000-8000-0{12}"/, 'service_id = "8a7d1f00-3c2b-4a1e-bb6d-5f4e3d2c1b0a"')
  text = edit(head + tail)
  const dir = mkdtempSync(join(tmpdir(), 'licensedesk-preflight-'))
  const file = join(dir, 'wrangler.toml')
  writeFileSync(file, text.replaceAll('"./dist/web"', JSON.stringify(join(ROOT, 'dist', 'web'))).replaceAll('"worker/', `"${ROOT}/worker/`))
  return file
}

function problemsOf(file: string, env: string) {
  const { rawConfig } = experimental_readRawConfig({ config: file })
  return checkConfig(unstable_readConfig({ config: file, env }), (rawConfig.vars ?? {}) as Record<string, unknown>)
}

describe('the deploy preflight', () => {
  it("refuses the repository's production environment, naming each placeholder", () => {
    const settings = problemsOf(REPO_CONFIG, 'production').map((problem) => problem.setting)
    expect(settings).toEqual(
      expect.arrayContaining(['vars.PUBLIC_ORIGIN', 'vars.MAIL_FROM', 'vars.ALERT_EMAIL', 'vars.SUPPORT_EMAIL', 'vars.PRIVACY_URL', 'vars.DINGTALK_PROCESS_CODE', 'vars.DINGTALK_ORIGINATOR_USER_ID', 'vars.ACCESS_TEAM_DOMAIN', 'vars.ACCESS_AUD', 'vars.ADMIN_OPERATORS', 'vars.ADMIN_VIEWERS', 'vpc_services.EGRESS', 'd1_databases.DB', 'routes']),
    )
  })

  it('passes a production environment an operator has filled in', () => {
    expect(problemsOf(filledConfig(), 'production')).toEqual([])
  })

  it('names a local default, a var missing from the environment and a missing binding', () => {
    const file = filledConfig((text) =>
      text
        .replace('RESEND_BASE_URL = "https://api.resend.com"\nMAIL_FROM = "HyperMotion Licensing <licenses@mail', 'RESEND_BASE_URL = "http://localhost:8789"\nMAIL_FROM = "HyperMotion Licensing <licenses@mail')
        .replace(/\[env\.production\.vars\][\s\S]*?POLL_BATCH = "5"\n/, (section) => section.replace('POLL_BATCH = "5"\n', ''))
        .replace(/\[\[env\.production\.ratelimits\]\]\nname = "SUBMIT_RATE_LIMITER"\nnamespace_id = "1001"\nsimple = \{ limit = 10, period = 60 \}\n/, ''),
    )
    const problems = problemsOf(file, 'production')
    expect(problems.map((problem) => problem.setting).sort()).toEqual(['ratelimits.SUBMIT_RATE_LIMITER', 'vars.POLL_BATCH', 'vars.RESEND_BASE_URL', 'vars.RESEND_BASE_URL'].sort())
    expect(problems.find((problem) => problem.setting === 'vars.POLL_BATCH')?.problem).toMatch(/not inherited/)
  })

  it('asks for an https Access team domain and at least one console operator', () => {
    const file = filledConfig((text) =>
      text
        .replace('ACCESS_TEAM_DOMAIN = "https://hypermotion.cloudflareaccess.com"', 'ACCESS_TEAM_DOMAIN = "http://hypermotion.cloudflareaccess.com"')
        .replace('ADMIN_OPERATORS = "li.lei@hypermotion.cn, wang.fang@hypermotion.cn"', 'ADMIN_OPERATORS = " "'),
    )
    expect(problemsOf(file, 'production').map((problem) => problem.setting).sort()).toEqual(['vars.ACCESS_TEAM_DOMAIN', 'vars.ADMIN_OPERATORS'])
  })

  it('takes an operator group instead of operator emails', () => {
    const file = filledConfig((text) =>
      text
        .replace('ADMIN_OPERATORS = "li.lei@hypermotion.cn, wang.fang@hypermotion.cn"', 'ADMIN_OPERATORS = ""')
        .replace('ADMIN_OPERATOR_GROUPS = ""', 'ADMIN_OPERATOR_GROUPS = "License Desk Operators"'),
    )
    expect(problemsOf(file, 'production').map((problem) => problem.setting)).toEqual([])
  })

  it('names every required secret that wrangler secret list lacks', () => {
    const listed = JSON.stringify([{ name: 'WORKER_PRIVATE_JWK', type: 'secret_text' }, { name: 'RESEND_API_KEY', type: 'secret_text' }])
    expect(missingSecrets(listed).map((problem) => problem.setting)).toEqual(
      REQUIRED_SECRETS.filter((name) => name !== 'WORKER_PRIVATE_JWK' && name !== 'RESEND_API_KEY').map((name) => `secret ${name}`),
    )
    expect(missingSecrets(JSON.stringify(REQUIRED_SECRETS.map((name) => ({ name, type: 'secret_text' }))))).toEqual([])
    expect(missingSecrets('You are not authenticated')).toHaveLength(1)
  })

  it('names each migration wrangler d1 migrations list still shows, and accepts none to apply', () => {
    const pending = 'Migrations to be applied:\n┌──────────────────────────────┐\n│ name                         │\n├──────────────────────────────┤\n│ 0007_create_submit_idempotency.sql │\n│ 0008_create_proxies.sql │\n└──────────────────────────────┘'
    expect(unappliedMigrations(pending).map((problem) => problem.problem)).toEqual([expect.stringMatching(/^0007_create_submit_idempotency\.sql is not applied/), expect.stringMatching(/^0008_create_proxies\.sql is not applied/)])
    expect(unappliedMigrations('✅ No migrations to apply!')).toEqual([])
  })

  it('makes `npm run deploy -- --dry-run` refuse the repository and bundle a filled config', { timeout: 120_000 }, () => {
    const deploy = (config: string) =>
      spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings=ExperimentalWarning', 'worker/deploy/deploy.ts', '--env', 'production', '--dry-run', '--config', config], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
      })
    const refused = deploy(REPO_CONFIG)
    expect(refused.status).toBe(1)
    expect(refused.stderr).toContain('refusing to deploy production')
    expect(refused.stderr).toContain('vars.DINGTALK_PROCESS_CODE')
    const passed = deploy(filledConfig())
    expect(passed.stdout + passed.stderr).toContain('preflight passed')
    expect(passed.status).toBe(0)
  })
})

describe('the asset headers a deploy build ships', () => {
  it('allow Turnstile but never this machine, and no inline script', async () => {
    const { assetHeadersFile } = await import('../src/security-headers.ts')
    const deploy = assetHeadersFile('deploy')
    expect(deploy).toContain('script-src \'self\' https://challenges.cloudflare.com;')
    expect(deploy).toContain('frame-src https://challenges.cloudflare.com;')
    expect(deploy).not.toMatch(/localhost|127\.0\.0\.1|unsafe-inline|unsafe-eval/)
    expect(assetHeadersFile('local')).toContain('http://localhost:*')
  })

  it('include the console page, which the worker serves under its own CSP: own scripts only, no Turnstile', async () => {
    const { CONSOLE_CSP, cspValue } = await import('../src/security-headers.ts')
    const csp = cspValue(CONSOLE_CSP)
    expect(csp).toContain("script-src 'self';")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toMatch(/localhost|127\.0\.0\.1|unsafe-inline|unsafe-eval|challenges\.cloudflare\.com/)
    // Built to admin/index.html, under /admin/*, which runs the worker (and its Access guard) first.
    // A build of its own, so that none of its code rides in the applicant's chunks.
    const { default: config, consoleBuild } = await import('../web/vite.config.ts')
    const page = (config as { build: { rollupOptions: { input: Record<string, string> } } }).build.rollupOptions.input
    expect(Object.keys(page)).toEqual(['apply'])
    const input = consoleBuild('deploy', 'warn').build!.rollupOptions!.input as Record<string, string>
    expect(input.admin).toMatch(/worker\/web\/admin\/index\.html$/)
    const wrangler = await import('node:fs').then((fs) => fs.readFileSync(new URL('../../wrangler.toml', import.meta.url), 'utf8'))
    expect(wrangler).toMatch(/run_worker_first = \[[^\]]*"\/admin\/\*"/)
  })
})
