// Texts of the pickup page (/pickup), loaded with it (see defineMessages in i18n.ts).
import { defineMessages } from './i18n.ts'

export const PICKUP_MESSAGES = defineMessages(
  {
    'pickup.heading': '输入产品上显示的代码',
    'pickup.intro': '无法扫描二维码时，请输入产品在二维码旁显示的 8 位字母代码，然后继续填写申请。',
    'pickup.label': '代码',
    'pickup.hint': '例如 WDJB-MJHT，不区分大小写，短横线可不填',
    'pickup.continue': '继续',
    'pickup.checking': '正在查找…',
    'pickup.opening': '正在打开申请表…',
    'pickup.REQUIRED': '请输入产品上显示的代码',
    'pickup.INVALID_FORMAT': '代码由 8 个字母组成，例如 WDJB-MJHT。请对照产品屏幕检查。',
    'pickup.PICKUP_INVALID': '没有产品在等待这个代码。请对照产品屏幕检查字母后重试。',
    'pickup.PICKUP_EXPIRED': '这个代码已过期。请在产品上重新显示代码后再输入。',
    'pickup.PICKUP_USED': '这个代码已用于一份申请。如需再次申请，请在产品上重新显示代码。',
    'pickup.scanInstead': '也可以直接用手机扫描产品上的二维码。',
  },
  {
    'pickup.heading': 'Enter the code shown by the product',
    'pickup.intro': 'If you cannot scan the QR code, enter the 8-letter code the product shows beside it, then go on to the application.',
    'pickup.label': 'Code',
    'pickup.hint': 'Like WDJB-MJHT; any case, the dash may be left out',
    'pickup.continue': 'Continue',
    'pickup.checking': 'Looking it up…',
    'pickup.opening': 'Opening the application form…',
    'pickup.REQUIRED': 'Please enter the code shown by the product',
    'pickup.INVALID_FORMAT': 'The code is 8 letters, like WDJB-MJHT. Compare it with the product’s screen.',
    'pickup.PICKUP_INVALID': 'No product is waiting with this code. Compare the letters with the product’s screen and try again.',
    'pickup.PICKUP_EXPIRED': 'This code has expired. Show a new code on the product and enter that one.',
    'pickup.PICKUP_USED': 'This code was already used for an application. To apply again, show a new code on the product.',
    'pickup.scanInstead': 'You can also scan the QR code on the product with your phone instead.',
  },
)
