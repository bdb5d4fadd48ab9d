// The mail texts in each locale. Placeholders are filled (and escaped for HTML) by templates.ts.
import type { Locale } from '../config.ts'

export type MailMessages = {
  licenseSubject: (p: { product: string; licenseId: string }) => string
  rejectionSubject: (p: { product: string; applicationId: string }) => string
  greeting: (name: string) => string
  licenseIntro: (product: string) => string
  licenseAttached: (fileName: string) => string
  /** A reissued license: the one it replaces, which no longer works. */
  licenseReplaces: (oldLicenseId: string) => string
  rejectionIntro: (p: { product: string; applicationId: string }) => string
  rejectionNext: string
  terms: {
    product: string
    licenseId: string
    applicationId: string
    featureCode: string
    quantity: string
    validFrom: string
    validUntil: string
  }
  /** Introduces the private status link. */
  statusLink: string
  jwks: string
  signature: (product: string) => string
}

export const MESSAGES: Readonly<Record<Locale, MailMessages>> = {
  en: {
    licenseSubject: ({ product, licenseId }) => `Your ${product} license ${licenseId}`,
    rejectionSubject: ({ product, applicationId }) => `Your ${product} license request ${applicationId} was declined`,
    greeting: (name) => `Hello ${name},`,
    licenseIntro: (product) => `your request has been approved. Your ${product} license is attached to this email.`,
    licenseAttached: (fileName) => `Import the attached file ${fileName} into the product to activate it.`,
    licenseReplaces: (old) => `This corrected license replaces license ${old}, which has been revoked and no longer works.`,
    rejectionIntro: ({ product, applicationId }) =>
      `we are sorry: your request ${applicationId} for a ${product} license was not approved.`,
    rejectionNext: 'If you think this is a mistake, please contact your sales representative.',
    terms: {
      product: 'Product',
      licenseId: 'License ID',
      applicationId: 'Application ID',
      featureCode: 'Feature code',
      quantity: 'Quantity',
      validFrom: 'Valid from',
      validUntil: 'Valid until',
    },
    statusLink: 'Follow your request at your private status link (do not share it):',
    jwks: 'The license is signed; its public keys are published at',
    signature: (product) => `${product} Licensing`,
  },
  'zh-CN': {
    licenseSubject: ({ product, licenseId }) => `您的 ${product} 许可证 ${licenseId}`,
    rejectionSubject: ({ product, applicationId }) => `您的 ${product} 许可证申请 ${applicationId} 未获批准`,
    greeting: (name) => `${name}，您好：`,
    licenseIntro: (product) => `您的申请已获批准，${product} 许可证文件已附在本邮件中。`,
    licenseAttached: (fileName) => `请将附件 ${fileName} 导入产品以完成激活。`,
    licenseReplaces: (old) => `这份更正后的许可证取代许可证 ${old}，原许可证已吊销，不再有效。`,
    rejectionIntro: ({ product, applicationId }) => `很抱歉，您的 ${product} 许可证申请（${applicationId}）未获批准。`,
    rejectionNext: '如有疑问，请联系您的销售代表。',
    terms: {
      product: '产品',
      licenseId: '许可证编号',
      applicationId: '申请编号',
      featureCode: '特征码',
      quantity: '数量',
      validFrom: '生效时间',
      validUntil: '到期时间',
    },
    statusLink: '您可以通过以下专属链接查看申请进度（请勿分享给他人）：',
    jwks: '许可证已签名，公钥发布于',
    signature: (product) => `${product} 许可证中心`,
  },
}
