// Regenerates docs/license-vectors.json:
//   node --experimental-strip-types license/vectors/generate.ts
import { writeFile } from 'node:fs/promises'
import { buildVectors } from './build.ts'

export const VECTORS_FILE = new URL('../../docs/license-vectors.json', import.meta.url)

if (import.meta.main) {
  await writeFile(VECTORS_FILE, `${JSON.stringify(await buildVectors(), null, 2)}\n`)
  console.log(`wrote ${VECTORS_FILE.pathname}`)
}
