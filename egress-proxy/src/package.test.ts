// The proxy image carries only the proxy (issue 6, item 8): egress-proxy/package.json lists exactly
// what the proxy's sources import, its own lock stays small, and Dockerfile.proxy installs only that.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')
const pkg = JSON.parse(read('egress-proxy/package.json'))
const lock = JSON.parse(read('egress-proxy/package-lock.json'))
const dockerfile = read('Dockerfile.proxy')
const dockerignore = read('.dockerignore')

/** Files the image runs: every .ts under the folder except tests and the test kit. */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && entry.name !== 'test-kit.ts')
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
}

/** Package names of bare imports (`from 'x'`, `import('x')`, `export … from 'x'`), `node:` built-ins aside. */
function bareImports(file: string): string[] {
  const text = read(file)
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'([^']+)'/gm)].map((m) => m[1])
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:'))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]))
}

describe('the proxy package', () => {
  const files = [...sources('egress-proxy/src'), ...sources('proof/src')]
  const imported = [...new Set(files.flatMap(bareImports))].sort()

  it('lists every package the proxy and proof sources import as a dependency, and nothing else', () => {
    expect(files.length).toBeGreaterThan(10)
    expect(Object.keys(pkg.dependencies).sort()).toEqual(imported)
    expect(pkg.devDependencies).toBeUndefined()
  })

  it('has its own lock for exactly those dependencies, with a small package count', () => {
    expect(lock.lockfileVersion).toBe(3)
    expect(lock.packages[''].dependencies).toEqual(pkg.dependencies)
    const installed = Object.keys(lock.packages).filter((path) => path.startsWith('node_modules/'))
    console.log(`egress-proxy/package-lock.json: ${installed.length} packages`)
    for (const name of imported) expect(installed).toContain(`node_modules/${name}`)
    for (const heavy of ['hono', 'vue', 'resend', 'typescript', 'vite', 'wrangler', 'esbuild']) expect(installed).not.toContain(`node_modules/${heavy}`)
    expect(installed.length).toBeLessThanOrEqual(25)
  })

  it('builds the image from a pinned base with only that package, installed without dev dependencies or scripts', () => {
    expect(dockerfile).toMatch(/^FROM node:\d+\.\d+\.\d+-[a-z]+-slim(@sha256:[0-9a-f]{64})?$/m)
    expect(dockerfile).toContain('COPY egress-proxy/package.json egress-proxy/package-lock.json ./')
    expect(dockerfile).toContain('npm ci --omit=dev --ignore-scripts')
    expect(dockerfile).not.toMatch(/^COPY package(-lock)?\.json/m)
    expect(dockerfile).not.toMatch(/apt-get|build-essential|gcc|python3|vue|worker\//)
    expect(dockerignore).toMatch(/^\*$/m)
    expect(dockerignore).toMatch(/^\*\*\/\*\.test\.ts$/m)
    expect(dockerignore).not.toMatch(/^!package(-lock)?\.json$/m)
  })
})
