// Texts of the vendor's contact, the form's privacy notice and the approver's comment.
import { defineMessages } from './i18n.ts'

export const VENDOR_MESSAGES = defineMessages(
  {
    'vendor.questions': '如有疑问，请联系 {vendor}',
    'vendor.email': '客服邮箱',
    'vendor.phone': '电话',
    'vendor.privacy': '隐私声明',
    'privacy.notice':
      '您填写的信息仅用于处理本次许可证申请，并将许可证发送到您的邮箱。详情请见{link}。',
    'comment.label': '审批意见',
  },
  {
    'vendor.questions': 'Questions? Contact {vendor}',
    'vendor.email': 'Email',
    'vendor.phone': 'Phone',
    'vendor.privacy': 'Privacy notice',
    'privacy.notice':
      'We use the details you enter only to handle this license request and to email you the license. See our {link}.',
    'comment.label': 'The approver’s comment',
  },
)

export type VendorMessageKey = keyof (typeof VENDOR_MESSAGES)['en']
