import { describe, expect, it } from 'vitest'
import {
  compilePattern,
  toApplicationInput,
  validateDraft,
  validateField,
} from './validation.ts'
import type { ApplicationDraft, ValidationRules } from './validation.ts'

const rules: ValidationRules = {
  validityDays: [30, 90, 365],
  quantity: { min: 1, max: 50 },
  featureCodePattern: '[A-F0-9]{64,128}',
}
const CODE = 'A1'.repeat(40)
const valid: ApplicationDraft = {
  name: '张三',
  company: 'Acme 有限公司',
  email: 'zhang@example.com',
  phone: '',
  featureCode: CODE,
  quantity: '2',
  validityDays: 90,
  note: '',
}
const draft = (patch: Partial<ApplicationDraft>) => ({ ...valid, ...patch })

describe('validateDraft', () => {
  it('finds nothing wrong with a complete draft', () => {
    expect(validateDraft(valid, rules)).toEqual({})
  })

  it('reports every missing required field as REQUIRED', () => {
    const empty = draft({
      name: ' ',
      company: '',
      email: '',
      featureCode: '',
      quantity: '',
      validityDays: null,
    })
    expect(validateDraft(empty, rules)).toEqual({
      name: 'REQUIRED',
      company: 'REQUIRED',
      email: 'REQUIRED',
      featureCode: 'REQUIRED',
      quantity: 'REQUIRED',
      validityDays: 'REQUIRED',
    })
  })

  it('leaves the optional phone and note alone when empty', () => {
    expect(validateField('phone', draft({ phone: '  ' }), rules)).toBeNull()
    expect(validateField('note', draft({ note: '' }), rules)).toBeNull()
  })
})

describe('validateField', () => {
  it('rejects email addresses without a user, domain or dot with INVALID_EMAIL', () => {
    for (const email of ['zhang', 'zhang@', '@example.com', 'zhang@example', 'a b@example.com']) {
      expect(validateField('email', draft({ email }), rules), email).toBe('INVALID_EMAIL')
    }
    expect(validateField('email', draft({ email: ' z.hang+x@mail.example.cn ' }), rules)).toBeNull()
  })

  it('checks the feature code against the configured pattern, anchored to the whole code', () => {
    for (const featureCode of ['XYZ', `${CODE}!`, `x${CODE}`]) {
      expect(validateField('featureCode', draft({ featureCode }), rules), featureCode).toBe(
        'INVALID_FORMAT',
      )
    }
  })

  it('ignores whitespace that a wrapped copy put into the feature code', () => {
    const wrapped = `${CODE.slice(0, 30)}\n ${CODE.slice(30)} `
    expect(validateField('featureCode', draft({ featureCode: wrapped }), rules)).toBeNull()
  })

  it('accepts any feature code when the configured pattern cannot be compiled', () => {
    const broken = { ...rules, featureCodePattern: '[unclosed' }
    expect(validateField('featureCode', draft({ featureCode: 'anything' }), broken)).toBeNull()
  })

  it('wants a whole quantity within the configured bounds', () => {
    expect(validateField('quantity', draft({ quantity: '1.5' }), rules)).toBe('INVALID_FORMAT')
    expect(validateField('quantity', draft({ quantity: '-1' }), rules)).toBe('INVALID_FORMAT')
    expect(validateField('quantity', draft({ quantity: '0' }), rules)).toBe('OUT_OF_RANGE')
    expect(validateField('quantity', draft({ quantity: '51' }), rules)).toBe('OUT_OF_RANGE')
    expect(validateField('quantity', draft({ quantity: '1' }), rules)).toBeNull()
    expect(validateField('quantity', draft({ quantity: ' 50 ' }), rules)).toBeNull()
  })

  it('allows only the configured validity periods', () => {
    expect(validateField('validityDays', draft({ validityDays: 7 }), rules)).toBe('NOT_ALLOWED')
    expect(validateField('validityDays', draft({ validityDays: 365 }), rules)).toBeNull()
  })

  it('reports over-long text as TOO_LONG, counting characters not UTF-16 units', () => {
    expect(validateField('name', draft({ name: 'x'.repeat(101) }), rules)).toBe('TOO_LONG')
    expect(validateField('name', draft({ name: '😀'.repeat(100) }), rules)).toBeNull()
    expect(validateField('note', draft({ note: 'n'.repeat(1001) }), rules)).toBe('TOO_LONG')
  })

  it('accepts common phone shapes and rejects letters', () => {
    for (const phone of ['+86 138 0013 8000', '010-12345678', '(021) 5555 1234']) {
      expect(validateField('phone', draft({ phone }), rules), phone).toBeNull()
    }
    expect(validateField('phone', draft({ phone: 'call me' }), rules)).toBe('INVALID_FORMAT')
  })
})

describe('toApplicationInput', () => {
  it('trims text, numbers the quantity and omits empty optional fields', () => {
    const input = toApplicationInput(
      draft({ name: ' 张三 ', quantity: ' 3 ', featureCode: ` ${CODE}\n` }),
      { locale: 'zh-CN', product: 'hypermotion' },
      rules,
    )
    expect(input).toEqual({
      name: '张三',
      company: 'Acme 有限公司',
      email: 'zhang@example.com',
      featureCode: CODE,
      quantity: 3,
      validityDays: 90,
      locale: 'zh-CN',
      product: 'hypermotion',
    })
  })

  it('keeps phone and note when given and leaves product out when the link had none', () => {
    const input = toApplicationInput(draft({ phone: '010-1234567', note: ' urgent ' }), {
      locale: 'en',
      product: null,
    }, rules)
    expect(input.phone).toBe('010-1234567')
    expect(input.note).toBe('urgent')
    expect('product' in input).toBe(false)
  })
})

describe('compilePattern', () => {
  it('anchors a pattern that has no anchors and tolerates one that has', () => {
    expect(compilePattern('[a-z]+')?.test('abc1')).toBe(false)
    expect(compilePattern('^[a-z]+$')?.test('abc')).toBe(true)
    expect(compilePattern('')).toBeNull()
  })
})

describe('the shared schema', () => {
  it('accepts the phone numbers and digits people type in China, as the worker does', () => {
    for (const phone of ['138.0013.8000', '+86 138 0013 8000 转 801', '0086-10-1234-5678', '(0755) 1234 5678 ext. 801', '138 0013 8000 x801', '１３８ ００１３ ８０００']) {
      expect(validateField('phone', draft({ phone }), rules), phone).toBeNull()
    }
    expect(validateField('quantity', draft({ quantity: '２５' }), rules)).toBeNull()
    const input = toApplicationInput(draft({ phone: '１３８－００１３－８０００', quantity: '２５' }), { locale: 'en', product: null }, rules)
    expect(input).toMatchObject({ phone: '138-0013-8000', quantity: 25 })
  })
})
