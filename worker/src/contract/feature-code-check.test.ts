import { describe, expect, it } from 'vitest'
import vectors from '../../../docs/feature-code-vectors.json' with { type: 'json' }
import { featureCodeCheck, verifyFeatureCodeCheck } from './feature-code-check.ts'

describe('featureCodeCheck', () => {
  it('computes the documented test vectors of docs/feature-code-vectors.json', async () => {
    expect(vectors.vectors.length).toBeGreaterThan(3)
    for (const vector of vectors.vectors) {
      expect(await featureCodeCheck(vector.featureCode), vector.featureCode).toBe(vector.c)
    }
  })

  it('verifies in any letter case and refuses a damaged code or check value', async () => {
    expect(await verifyFeatureCodeCheck('HM7F3A9C2B', '015505')).toBe(true)
    expect(await verifyFeatureCodeCheck('hm-7f3a-9c2b', ' 015505 ')).toBe(true)
    expect(await verifyFeatureCodeCheck('HM7F3A9C2C', '015505')).toBe(false)
    expect(await verifyFeatureCodeCheck('HM7F3A9C2B', '015506')).toBe(false)
    expect(await verifyFeatureCodeCheck('HM7F3A9C2B', '0155')).toBe(false)
  })
})
