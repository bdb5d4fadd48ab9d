// Every alert a person can receive, with its stable code: what it means and what to do. The same
// text is in docs/alerts.md (a test keeps the two in step) and in each alert's notice.

export type AlertInfo = Readonly<{
  /** One line, English (the notice's subject). */
  title: string
  /** The same line in Chinese, for the DingTalk group and bilingual mail. */
  titleZh: string
  /** What to do, first step first. */
  action: string
  /** Resolved by the worker itself once the condition clears (else by a person's action). */
  resolvesItself: boolean
}>

export const ALERTS = {
  PROXY_NONE_READY: {
    title: 'No egress proxy is ready: DingTalk cannot be reached',
    titleZh: '没有可用的出口代理：无法访问钉钉',
    action: 'Check the proxy instances (docs/proxy.md, "Readiness"): are they running, is /readyz 200, can they reach DingTalk and the worker? Submissions are kept and go out when a proxy is back.',
    resolvesItself: true,
  },
  SUBMIT_BACKLOG: {
    title: 'Applications have waited more than 5 minutes to reach DingTalk',
    titleZh: '有申请超过 5 分钟仍未提交到钉钉',
    action: 'Read the applications\' last error (details) and the worker logs: DingTalk down, a proxy problem, or a refused template. They are retried on every cron run.',
    resolvesItself: true,
  },
  EVENT_NOT_RECORDED: {
    title: 'A DingTalk approval event could not be recorded',
    titleZh: '一条钉钉审批事件未能记录',
    action: 'DingTalk retries the push and the reconciler polls the instance; if this does not resolve within an hour, look the instance up in DingTalk and in the worker logs.',
    resolvesItself: true,
  },
  MAIL_FAILED: {
    title: 'An email to an applicant failed for good',
    titleZh: '一封发给申请人的邮件最终发送失败',
    action: 'Read the delivery\'s last error (details): a bad address, or a refusal by Resend. Correct it and send the mail again from the operator console.',
    resolvesItself: false,
  },
  MAIL_MISCONFIGURED: {
    title: 'Resend refuses the API key or the sender',
    titleZh: 'Resend 拒绝了 API 密钥或发件人',
    action: 'Check RESEND_API_KEY (wrangler secret put) and that MAIL_FROM\'s domain is verified in Resend (docs/production.md, "Resend"). Mail is retried and goes out once fixed.',
    resolvesItself: true,
  },
  APPLICATION_FAILED: {
    title: 'An application failed and needs a person',
    titleZh: '一个申请处理失败，需要人工处理',
    action: 'Open the application (details) in the operator console: read its timeline and last error, then retry or answer the applicant.',
    resolvesItself: false,
  },
  DINGTALK_API_BUDGET_80: {
    title: 'DingTalk API calls this month are at 80 % of the budget',
    titleZh: '本月钉钉 API 调用已达预算的 80%',
    action: 'Look for unusual volume (details). Raise DINGTALK_MONTHLY_BUDGET only if the DingTalk plan allows it.',
    resolvesItself: true,
  },
  DINGTALK_API_BUDGET_100: {
    title: 'DingTalk API budget used up: submissions and polling are paused',
    titleZh: '钉钉 API 预算已用完：提交与轮询已暂停',
    action: 'Applications are kept and go out next month, or when DINGTALK_MONTHLY_BUDGET is raised within the DingTalk plan. Pushed decisions are still recorded.',
    resolvesItself: true,
  },
  DINGTALK_PUSH_BUDGET_80: {
    title: 'DingTalk event pushes this month are at 80 % of the quota',
    titleZh: '本月钉钉事件推送已达配额的 80%',
    action: 'Check that the event subscription is filtered to this approval template (docs/proxy.md, "Events of this process only"); other templates\' events use the same quota.',
    resolvesItself: true,
  },
  DINGTALK_PUSH_BUDGET_100: {
    title: 'DingTalk event push quota used up: decisions now arrive only by polling',
    titleZh: '钉钉事件推送配额已用完：审批结果只能靠轮询获取',
    action: 'Decisions are still found by the reconciler, more slowly. Filter the subscription or move to a DingTalk plan with a larger push quota.',
    resolvesItself: true,
  },
  SUBMIT_CAP_REACHED: {
    title: 'The cap on new DingTalk submissions is reached: applications wait',
    titleZh: '新提交钉钉审批的数量已达上限：申请在排队',
    action: 'Applications are kept and submitted when the day (or month) turns. If the volume is real, raise SUBMIT_DAILY_CAP / SUBMIT_MONTHLY_CAP; if not, look for abuse in the applications.',
    resolvesItself: true,
  },
  KEY_MISMATCH: {
    title: 'The worker and an egress proxy do not accept each other\'s keys',
    titleZh: 'Worker 与出口代理的密钥不匹配',
    action: 'Follow docs/key-rotation.md: the proxy\'s WORKER_PUBLIC_JWK must hold the worker\'s key, and the worker\'s PROXY_PUBLIC_JWK the proxy\'s.',
    resolvesItself: true,
  },
  DUPLICATE_INSTANCE: {
    title: 'A second DingTalk approval exists for one application',
    titleZh: '同一个申请在钉钉中存在第二个审批实例',
    action: 'Withdraw the extra instance in DingTalk (details name both); only the first decides the application.',
    resolvesItself: false,
  },
} as const satisfies Record<string, AlertInfo>

export type AlertCode = keyof typeof ALERTS
export const ALERT_CODES = Object.keys(ALERTS) as AlertCode[]
