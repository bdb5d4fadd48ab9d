// The approval form: which of our fields go into which DingTalk form component (by its label).
// DingTalk matches `name` to the component label and wants every value as a string (dingtalk.md §2.1).

export const FORM_FIELDS = [
  'applicationId',
  'product',
  'featureCode',
  'quantity',
  'validityDays',
  'name',
  'company',
  'email',
  'phone',
  'note',
  'renewal',
] as const

export type FormField = (typeof FORM_FIELDS)[number]
export type FormLabels = Readonly<Record<FormField, string>>
export type FormComponentValue = { name: string; value: string }

export const DEFAULT_FORM_LABELS: FormLabels = Object.freeze({
  applicationId: '申请编号',
  product: '产品',
  featureCode: '特征码',
  quantity: '数量',
  validityDays: '有效期(天)',
  name: '姓名',
  company: '公司',
  email: '邮箱',
  phone: '电话',
  note: '备注',
  renewal: '续期',
})

/** Default labels overridden by `value`'s entries; null when `value` is not such a mapping. */
export function parseFormLabels(value: unknown): FormLabels | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null
  const labels: Record<string, string> = { ...DEFAULT_FORM_LABELS }
  for (const [field, label] of Object.entries(value)) {
    if (!(FORM_FIELDS as readonly string[]).includes(field)) return null
    if (typeof label !== 'string' || label.trim() === '') return null
    labels[field] = label.trim()
  }
  return Object.freeze(labels as FormLabels)
}

export type FormInput = {
  applicationId: string
  productId: string
  productName: string
  featureCode: string
  quantity: number
  validityDays: number
  name: string
  company: string
  email: string
  phone: string | null
  note: string | null
  /** A renewal's account of the renewed license (renewal/form-value.ts); null: not a renewal. */
  renewal?: string | null
}

// Empty optional fields are sent as '-' so a template that marks them required still accepts them.
const orDash = (value: string | null): string => (value && value.trim() !== '' ? value : '-')

export function buildFormValues(input: FormInput, labels: FormLabels): FormComponentValue[] {
  const values: Record<FormField, string> = {
    applicationId: input.applicationId,
    product: `${input.productName} (${input.productId})`,
    featureCode: input.featureCode,
    quantity: String(input.quantity),
    validityDays: String(input.validityDays),
    name: input.name,
    company: input.company,
    email: input.email,
    phone: orDash(input.phone),
    note: orDash(input.note),
    renewal: input.renewal ?? '',
  }
  // The renewal component only on renewals: a template without one keeps taking new applications.
  const fields = FORM_FIELDS.filter((field) => field !== 'renewal' || values.renewal !== '')
  return fields.map((field) => ({ name: labels[field], value: values[field] }))
}
