import { describe, expect, it } from 'vitest'
import { buildFormValues, DEFAULT_FORM_LABELS, parseFormLabels } from './form.ts'

describe('buildFormValues', () => {
  it('sends every field under its label, every value a string, dashes for empty optionals', () => {
    const values = buildFormValues(
      {
        applicationId: 'LD-1',
        productId: 'hypermotion',
        productName: 'HyperMotion',
        featureCode: 'ABC',
        quantity: 3,
        validityDays: 90,
        name: 'n',
        company: 'c',
        email: 'e@example.com',
        phone: null,
        note: '',
      },
      DEFAULT_FORM_LABELS,
    )
    expect(values).toEqual([
      { name: '申请编号', value: 'LD-1' },
      { name: '产品', value: 'HyperMotion (hypermotion)' },
      { name: '特征码', value: 'ABC' },
      { name: '数量', value: '3' },
      { name: '有效期(天)', value: '90' },
      { name: '姓名', value: 'n' },
      { name: '公司', value: 'c' },
      { name: '邮箱', value: 'e@example.com' },
      { name: '电话', value: '-' },
      { name: '备注', value: '-' },
    ])
  })
})

describe('parseFormLabels', () => {
  it('overrides defaults and refuses unknown fields or empty labels', () => {
    expect(parseFormLabels({ note: 'Remarks' })?.note).toBe('Remarks')
    expect(parseFormLabels({ note: 'Remarks' })?.name).toBe('姓名')
    expect(parseFormLabels({ colour: 'x' })).toBeNull()
    expect(parseFormLabels({ name: ' ' })).toBeNull()
    expect(parseFormLabels([])).toBeNull()
  })
})
