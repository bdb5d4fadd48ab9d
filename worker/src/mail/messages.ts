// The mail texts in each locale, in the status page's words (worker/web/src/status-messages.ts).
// Placeholders are filled (and escaped for HTML) by templates.ts. Chinese uses full-width
// punctuation（：，。）throughout, English whole sentences.
import type { Locale } from '../shapes.ts'

export type MailMessages = {
  licenseSubject: (p: { product: string; licenseId: string }) => string
  rejectionSubject: (p: { product: string; applicationId: string }) => string
  licenseHeading: string
  rejectionHeading: string
  greeting: (name: string) => string
  licenseIntro: (product: string) => string
  /** A reissued license: the one it replaces, which no longer works. */
  licenseReplaces: (oldLicenseId: string) => string
  /** A renewal's license: the one it continues, and when it takes over (docs/renewal.md). */
  licenseRenews: (oldLicenseId: string, starts: string) => string
  /** What to do with the .lic file, step by step. */
  howToHeading: string
  howTo: (p: { product: string; fileName: string }) => string[]
  rejectionIntro: (p: { product: string; applicationId: string }) => string
  /** Introduces the refusing approver's remark (SHOW_APPROVER_COMMENT). */
  commentLabel: string
  /** Who to ask after a refusal. */
  rejectionNext: (p: { vendor: string; email: string; phone: string | null; applicationId: string }) => string
  terms: {
    product: string
    licenseId: string
    applicationId: string
    featureCode: string
    quantity: string
    validFrom: string
    validUntil: string
  }
  /** A label and its value in the plain-text part. */
  term: (label: string, value: string) => string
  /** Introduces the private status link. */
  statusLink: string
  statusButton: string
  signature: (vendor: string) => string
  footer: { support: string; phone: string; privacy: string; why: (product: string) => string }
}

export const MESSAGES: Readonly<Record<Locale, MailMessages>> = {
  en: {
    licenseSubject: ({ product, licenseId }) => `Your ${product} license ${licenseId}`,
    rejectionSubject: ({ product, applicationId }) => `Your ${product} license request ${applicationId} was declined`,
    licenseHeading: 'Your license is ready',
    rejectionHeading: 'Your request was not approved',
    greeting: (name) => `Hello ${name},`,
    licenseIntro: (product) => `Your request has been approved. Your ${product} license is attached to this email.`,
    licenseReplaces: (old) => `This corrected license replaces license ${old}, which has been revoked and no longer works.`,
    licenseRenews: (old, starts) => `This license renews license ${old}. It is valid from ${starts}: install it now, and it takes over when the old one ends.`,
    howToHeading: 'How to activate it',
    howTo: ({ product, fileName }) => [
      `Save the attached file ${fileName} on the computer where ${product} runs.`,
      `Open ${product} and import the file where it asks for a license (usually in its license or activation settings).`,
      'Keep the file: you need it again if you reinstall. Do not edit it; a changed file no longer works.',
    ],
    rejectionIntro: ({ product, applicationId }) =>
      `We are sorry: your request ${applicationId} for a ${product} license was not approved.`,
    commentLabel: 'The approver’s comment:',
    rejectionNext: ({ vendor, email, phone, applicationId }) =>
      `If you have questions, please contact ${vendor} at ${email}${phone ? ` or ${phone}` : ''} and quote application number ${applicationId}.`,
    terms: {
      product: 'Product',
      licenseId: 'License ID',
      applicationId: 'Application number',
      featureCode: 'Feature code',
      quantity: 'Quantity',
      validFrom: 'Valid from',
      validUntil: 'Valid until',
    },
    term: (label, value) => `${label}: ${value}`,
    statusLink: 'Follow your application on its status page. The link is private: do not share it.',
    statusButton: 'View application status',
    signature: (vendor) => `${vendor} Licensing`,
    footer: {
      support: 'Support',
      phone: 'Phone',
      privacy: 'Privacy notice',
      why: (product) => `You receive this email because you applied for a ${product} license.`,
    },
  },
  'zh-CN': {
    licenseSubject: ({ product, licenseId }) => `您的 ${product} 许可证 ${licenseId}`,
    rejectionSubject: ({ product, applicationId }) => `您的 ${product} 许可证申请 ${applicationId} 未获批准`,
    licenseHeading: '您的许可证已签发',
    rejectionHeading: '您的申请未获批准',
    greeting: (name) => `${name}，您好：`,
    licenseIntro: (product) => `您的申请已获批准，${product} 许可证文件已附在本邮件中。`,
    licenseReplaces: (old) => `这份更正后的许可证取代许可证 ${old}，原许可证已吊销，不再有效。`,
    licenseRenews: (old, starts) => `这份许可证是许可证 ${old} 的续期，自 ${starts} 起生效：现在即可导入，原许可证到期后自动接续。`,
    howToHeading: '如何激活',
    howTo: ({ product, fileName }) => [
      `将附件 ${fileName} 保存到运行 ${product} 的电脑上。`,
      `打开 ${product}，在要求提供许可证的位置（通常在“许可证”或“激活”设置中）导入该文件。`,
      '请妥善保存该文件，重新安装时还需要它。请勿修改文件内容，修改后的文件将无法使用。',
    ],
    rejectionIntro: ({ product, applicationId }) => `很抱歉，您的 ${product} 许可证申请（${applicationId}）未获批准。`,
    commentLabel: '审批意见：',
    rejectionNext: ({ vendor, email, phone, applicationId }) =>
      `如有疑问，请联系 ${vendor}（邮箱 ${email}${phone ? `，电话 ${phone}` : ''}），并提供申请编号 ${applicationId}。`,
    terms: {
      product: '产品',
      licenseId: '许可证编号',
      applicationId: '申请编号',
      featureCode: '特征码',
      quantity: '数量',
      validFrom: '生效时间',
      validUntil: '有效期至',
    },
    term: (label, value) => `${label}：${value}`,
    statusLink: '您可以通过以下专属链接查看申请进度（请勿分享给他人）：',
    statusButton: '查看申请进度',
    signature: (vendor) => `${vendor} 许可证中心`,
    footer: {
      support: '客服邮箱',
      phone: '电话',
      privacy: '隐私声明',
      why: (product) => `您收到这封邮件，是因为您申请了 ${product} 许可证。`,
    },
  },
}
