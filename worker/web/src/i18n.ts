// The page's two languages: typed dictionaries (every key in both), interpolation and the rule
// that picks the first language. This file holds the texts every page needs; a lazily loaded
// page brings its own dictionary (defineMessages). No DOM here, so unit tests run it as is.

export type Locale = 'zh-CN' | 'en'

export const LOCALES: readonly Locale[] = ['zh-CN', 'en']

const zhCN = {
  'app.title': '许可证申请',
  'lang.group': '语言 / Language',
  'loading': '正在加载…',
  'retry': '重试',

  'apply.heading': '申请软件许可证',
  'apply.intro': '填写以下信息并提交。审批通过后，许可证文件将发送到您的邮箱。',
  'label.name': '姓名',
  'label.company': '公司',
  'label.email': '邮箱',
  'label.phone': '电话（选填）',
  'label.featureCode': '特征码',
  'label.quantity': '数量',
  'label.validityDays': '有效期',
  'label.note': '备注（选填）',
  'hint.email': '许可证将发送到此邮箱',
  'hint.featureCodeFromQr': '已从产品二维码自动填入',
  'hint.featureCode': '可在 {product} 的许可证页面找到',
  'hint.quantity': '可填 {min} 到 {max}',
  'quantity.decrease': '减一',
  'quantity.increase': '加一',
  'validity.day': '1 天',
  'validity.days': '{n} 天',
  'validity.year': '1 年',
  'validity.years': '{n} 年',
  'submit': '提交申请',
  'submitting': '正在提交…',

  'field.name': '姓名',
  'field.company': '公司',
  'field.email': '邮箱',
  'field.phone': '电话',
  'field.featureCode': '特征码',
  'field.quantity': '数量',
  'field.validityDays': '有效期',
  'field.note': '备注',
  'field.product': '产品',
  'field.locale': '语言',

  'err.REQUIRED': '请填写{field}',
  'err.TOO_LONG': '{field}最多 {limit} 个字符',
  'err.INVALID_EMAIL': '请输入有效的邮箱地址，例如 name@example.com',
  'err.INVALID_FORMAT': '{field}格式不正确',
  'err.OUT_OF_RANGE': '{field}超出允许范围',
  'err.NOT_ALLOWED': '不接受此{field}',
  'err.INVALID': '{field}无效',
  'err.name.REQUIRED': '请填写您的姓名',
  'err.company.REQUIRED': '请填写公司名称',
  'err.email.REQUIRED': '请填写邮箱，许可证将发送到这里',
  'err.featureCode.REQUIRED': '请填写特征码',
  'err.featureCode.INVALID_FORMAT':
    '特征码格式不正确。请重新扫描产品中的二维码，或从产品中完整复制。',
  'err.phone.INVALID_FORMAT': '请输入有效的电话号码，例如 138 0013 8000 或 010-1234 5678 转 801',
  'err.featureCode.CHECK_MISMATCH':
    '此二维码已损坏：请重新扫描，或手动输入产品中显示的特征码。',
  'err.featureCodeConfirm.REQUIRED': '请核对特征码与产品中显示的一致，并勾选确认。',
  'hint.featureCodeVerified': '已从产品二维码填入并核对',
  'confirmCode.title': '请核对特征码',
  'confirmCode.label': '我已核对，上面的特征码与 {product} 中显示的一致',
  'err.quantity.REQUIRED': '请填写数量',
  'err.quantity.INVALID_FORMAT': '请输入整数',
  'err.quantity.OUT_OF_RANGE': '数量须在 {min} 到 {max} 之间',
  'err.validityDays.REQUIRED': '请选择有效期',
  'err.validityDays.OUT_OF_RANGE': '请选择列出的有效期之一',
  'err.validityDays.NOT_ALLOWED': '请选择列出的有效期之一',
  'err.product.NOT_ALLOWED': '此产品不支持在线申请',

  'form.fixErrors': '请修改标出的内容后再提交。',
  'error.NETWORK_ERROR': '无法连接服务器。请检查网络后重试，您填写的内容已保留。',
  'error.PAYLOAD_TOO_LARGE': '提交的内容过多，请缩短备注后重试。',
  'error.RATE_LIMITED': '提交过于频繁，请稍等一分钟后再试。',
  'error.TURNSTILE_REQUIRED': '请先完成提交按钮上方的人机验证。',
  'error.TURNSTILE_FAILED': '人机验证已过期或未通过，请重新完成验证后再提交。',
  'error.TURNSTILE_UNAVAILABLE': '暂时无法完成人机验证，请稍等一分钟后再试。',
  'error.APPLICATION_PENDING':
    '这台设备已有一个申请正在等待审批（申请编号 {id}），暂时不能再次提交。如果该申请不是您提交的，请联系您的供应商。',
  'error.TOO_MANY_PENDING': '该邮箱已有多个申请正在等待审批。请等收到审批结果后再提交新的申请。',
  'renewal.heading': '许可证续期',
  'renewal.of': '续期许可证',
  'renewal.ends': '，该许可证将于 {ends} 到期，新许可证自到期时起生效。',
  'renewal.ended': '，该许可证已于 {ends} 到期，新许可证自签发时起生效。',
  'hint.featureCodeFromLicense': '与续期的许可证相同',
  'renewal.choose': '请选择新的有效期。特征码、产品与原许可证相同。',
  'renewal.NOT_FOUND': '此续期链接不完整或已失效。请打开提醒邮件中的链接，或联系您的供应商。',
  'error.RENEWAL_INVALID': '此续期链接不完整或已失效。请打开提醒邮件中的链接，或联系您的供应商。',
  'error.RENEWAL_MISMATCH': '续期须保持原许可证的产品和特征码。如需其他设备的许可证，请提交新的申请。',
  'error.RENEWAL_EXISTS': '这份许可证已有续期申请（申请编号 {id}），正在审批或已签发。',
  'error.LICENSE_REVOKED': '这份许可证已被吊销，不能续期。请联系您的供应商。',
  'pickup.note': '审批通过后，许可证除发送到您的邮箱外，还会自动送达产品。',
  'error.PICKUP_INVALID': '此链接中的领取码无效。请在产品上重新显示二维码并扫描。',
  'error.PICKUP_EXPIRED': '此链接中的领取码已过期。请在产品上重新显示二维码并扫描。',
  'error.PICKUP_USED': '此链接中的领取码已用于另一个申请。请在产品上重新显示二维码。',
  'error.generic': '提交未成功（{code}）。请稍后重试，您填写的内容已保留。',
  'config.UNKNOWN_PRODUCT':
    '此链接无效：找不到该产品。请重新扫描产品中的二维码，或联系您的供应商。',
  'config.failed': '页面加载失败（{code}）。',

  'done.heading': '申请已提交',
  'done.number': '申请编号',
  'done.emailed': '审批通过后，许可证文件将发送到 {email}。',
  'done.link': '您的专属进度链接（请妥善保存，不要分享给他人）：',
  'done.view': '查看进度',
  'done.copy': '复制链接',
  'done.copied': '链接已复制',
  'done.copyFailed': '无法自动复制，请长按上方链接手动复制。',
  'done.SUBMITTING':
    '您的申请已保存，正在提交审批，无需重新提交。可通过上方链接查看进度。',
  'done.DINGTALK_UNAVAILABLE':
    '审批系统暂时无法连接。您的申请已保存，系统恢复后将自动发起审批，无需重新提交。',
  'done.DINGTALK_REJECTED':
    '审批系统暂未受理此申请。您的申请已保存，系统将自动重试，无需重新提交。',
  'done.LATER':
    '您的申请已保存。由于当前申请较多，将稍后进入审批，无需重新提交。可通过下方链接随时查看进度。',
  'done.existingHeading': '您已提交过此申请',
  'done.existing': '这台设备已有您的申请正在等待审批，本次没有重复提交。',
  'done.existingEmailed': '审批结果将发送到您第一次申请时填写的邮箱；进度链接在您第一次提交后的页面上。',


  'notFound.heading': '页面不存在',
  'notFound.body': '请扫描产品中的二维码打开申请页面。',
}

const en: Record<MessageKey, string> = {
  'app.title': 'License request',
  'lang.group': '语言 / Language',
  'loading': 'Loading…',
  'retry': 'Try again',

  'apply.heading': 'Apply for a license',
  'apply.intro':
    'Fill in the form and submit it. Once it is approved, the license file is emailed to you.',
  'label.name': 'Name',
  'label.company': 'Company',
  'label.email': 'Email',
  'label.phone': 'Phone (optional)',
  'label.featureCode': 'Feature code',
  'label.quantity': 'Quantity',
  'label.validityDays': 'Validity',
  'label.note': 'Note (optional)',
  'hint.email': 'The license will be sent to this address',
  'hint.featureCodeFromQr': 'Filled in from the product’s QR code',
  'hint.featureCode': 'Shown on the license page of {product}',
  'hint.quantity': 'From {min} to {max}',
  'quantity.decrease': 'One less',
  'quantity.increase': 'One more',
  'validity.day': '1 day',
  'validity.days': '{n} days',
  'validity.year': '1 year',
  'validity.years': '{n} years',
  'submit': 'Submit application',
  'submitting': 'Submitting…',

  'field.name': 'Name',
  'field.company': 'Company',
  'field.email': 'Email',
  'field.phone': 'Phone',
  'field.featureCode': 'Feature code',
  'field.quantity': 'Quantity',
  'field.validityDays': 'Validity',
  'field.note': 'Note',
  'field.product': 'Product',
  'field.locale': 'Language',

  'err.REQUIRED': '{field} is required',
  'err.TOO_LONG': '{field} must be at most {limit} characters',
  'err.INVALID_EMAIL': 'Enter a valid email address, like name@example.com',
  'err.INVALID_FORMAT': '{field} is not in a valid format',
  'err.OUT_OF_RANGE': '{field} is out of range',
  'err.NOT_ALLOWED': '{field} is not accepted',
  'err.INVALID': '{field} is invalid',
  'err.name.REQUIRED': 'Please enter your name',
  'err.company.REQUIRED': 'Please enter your company',
  'err.email.REQUIRED': 'Please enter your email: the license is sent there',
  'err.featureCode.REQUIRED': 'Please enter the feature code',
  'err.featureCode.INVALID_FORMAT':
    'This is not a valid feature code. Scan the QR code in the product again, or copy the code exactly.',
  'err.phone.INVALID_FORMAT': 'Enter a valid phone number, like 138 0013 8000 or +86 10 1234 5678 ext. 801',
  'err.featureCode.CHECK_MISMATCH':
    'This QR code is damaged — rescan it or type the code shown by the product.',
  'err.featureCodeConfirm.REQUIRED': 'Compare the code with the product’s screen and tick the box.',
  'hint.featureCodeVerified': 'Filled in from the product’s QR code and verified',
  'confirmCode.title': 'Check the feature code',
  'confirmCode.label': 'I checked that the code above matches the one shown by {product}',
  'err.quantity.REQUIRED': 'Please enter a quantity',
  'err.quantity.INVALID_FORMAT': 'Enter a whole number',
  'err.quantity.OUT_OF_RANGE': 'Enter a number from {min} to {max}',
  'err.validityDays.REQUIRED': 'Please choose a validity period',
  'err.validityDays.OUT_OF_RANGE': 'Choose one of the listed periods',
  'err.validityDays.NOT_ALLOWED': 'Choose one of the listed periods',
  'err.product.NOT_ALLOWED': 'This product cannot be requested here',

  'form.fixErrors': 'Please correct the highlighted fields.',
  'error.NETWORK_ERROR':
    'Could not reach the server. Check your connection and try again; your entries are kept.',
  'error.PAYLOAD_TOO_LARGE': 'The request is too large. Shorten the note and try again.',
  'error.RATE_LIMITED': 'Too many attempts. Please wait a minute and try again.',
  'error.TURNSTILE_REQUIRED': 'Please complete the human check above the submit button first.',
  'error.TURNSTILE_FAILED': 'The human check expired or did not pass. Please complete it again, then submit.',
  'error.TURNSTILE_UNAVAILABLE': 'The human check cannot be completed right now. Please wait a minute and try again.',
  'error.APPLICATION_PENDING':
    'A request for this machine is already awaiting review (application {id}), so another one cannot be submitted now. If you did not submit it, please contact your vendor.',
  'error.TOO_MANY_PENDING':
    'This email address already has several requests awaiting review. Please wait for a decision before submitting another.',
  'renewal.heading': 'Renew your license',
  'renewal.of': 'Renewal of license',
  'renewal.ends': ', which ends on {ends}. The new license starts then.',
  'renewal.ended': ', which ended on {ends}. The new license starts when it is issued.',
  'hint.featureCodeFromLicense': 'The feature code of the license you renew',
  'renewal.choose': 'Choose the new period. The feature code and product stay those of the license.',
  'renewal.NOT_FOUND': 'This renewal link is incomplete or no longer valid. Open the link in the reminder email, or contact your vendor.',
  'error.RENEWAL_INVALID': 'This renewal link is incomplete or no longer valid. Open the link in the reminder email, or contact your vendor.',
  'error.RENEWAL_MISMATCH': 'A renewal keeps the product and feature code of the license. For another machine, submit a new application.',
  'error.RENEWAL_EXISTS': 'This license already has a renewal request (application {id}), awaiting review or issued.',
  'error.LICENSE_REVOKED': 'This license was revoked and cannot be renewed. Please contact your vendor.',
  'pickup.note': 'Once approved, the license is emailed to you and also arrives in the product automatically.',
  'error.PICKUP_INVALID': "This link's pickup code is not valid. Show the QR code on the product again and scan it.",
  'error.PICKUP_EXPIRED': "This link's pickup code has expired. Show the QR code on the product again and scan it.",
  'error.PICKUP_USED': "This link's pickup code was already used for another application. Show a new QR code on the product.",
  'error.generic':
    'The application was not sent ({code}). Please try again later; your entries are kept.',
  'config.UNKNOWN_PRODUCT':
    'This link is not valid: the product is unknown. Scan the QR code in the product again or contact your vendor.',
  'config.failed': 'The page could not be loaded ({code}).',

  'done.heading': 'Application submitted',
  'done.number': 'Application number',
  'done.emailed': 'Once approved, the license file will be emailed to {email}.',
  'done.link': 'Your private status link (keep it safe and do not share it):',
  'done.view': 'View status',
  'done.copy': 'Copy link',
  'done.copied': 'Link copied',
  'done.copyFailed': 'Could not copy automatically. Press and hold the link above to copy it.',
  'done.SUBMITTING':
    'Your application is saved and is being submitted for approval. No need to submit again; follow its progress with the link above.',
  'done.DINGTALK_UNAVAILABLE':
    'The approval system cannot be reached right now. Your application is saved, and approval will start automatically as soon as it is reachable. No need to submit again.',
  'done.DINGTALK_REJECTED':
    'The approval system did not accept the application yet. Your application is saved and will be retried automatically. No need to submit again.',
  'done.LATER':
    'Your application is saved. There are many requests right now, so it will be reviewed a little later. No need to submit again; follow its progress with the link below.',
  'done.existingHeading': 'You have already applied for this machine',
  'done.existing':
    'Your earlier request for this machine is still awaiting review, so no new one was made.',
  'done.existingEmailed': 'The decision will be emailed to the address of your first request; its status link was on the page shown after you first submitted it.',


  'notFound.heading': 'Page not found',
  'notFound.body': 'Scan the QR code in the product to open the application form.',
}

export type Dictionary<K extends string> = Readonly<Record<Locale, Readonly<Record<K, string>>>>

/** A dictionary whose English half must have exactly the Chinese half's keys. */
export function defineMessages<K extends string>(
  zh: Record<K, string>,
  english: Record<NoInfer<K>, string>,
): Dictionary<K> {
  return { 'zh-CN': zh, en: english }
}

export const MESSAGES = defineMessages(zhCN, en)

export type MessageKey = keyof typeof zhCN

export type MessageParams = Record<string, string | number>

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(zhCN, key)
}

export function isLocale(value: unknown): value is Locale {
  return value === 'zh-CN' || value === 'en'
}

/** The text for `key` in `locale`, with `{name}` placeholders filled from `params`. */
export function translate<K extends string>(
  messages: Dictionary<K>,
  locale: Locale,
  key: K,
  params?: MessageParams,
): string {
  const text = messages[locale][key]
  if (!params) return text
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  )
}

/**
 * The language to start in: the remembered choice, else the first of the browser's languages
 * that is Chinese (any `zh*` → zh-CN) or English; anything else → English.
 */
export function pickLocale(stored: string | null, languages: readonly string[]): Locale {
  if (isLocale(stored)) return stored
  for (const language of languages) {
    const tag = language.toLowerCase()
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN'
    if (tag === 'en' || tag.startsWith('en-')) return 'en'
  }
  return 'en'
}
