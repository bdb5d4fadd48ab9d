import { afterEach, describe, expect, it } from 'vitest'
import { call, createBody, createInstance, fromAllowed, fromElsewhere, startSandbox, tokenFor, type TestSandbox } from './test-support.ts'

const REQUEST_ID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/
const API_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/
const LEGACY_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/

let sandbox: TestSandbox
afterEach(async () => {
  await sandbox?.close()
})

function auth(token: string) {
  return { 'x-acs-dingtalk-access-token': token }
}

describe('DingTalk IP whitelist', () => {
  it('answers the new API from a non-whitelisted address with 403 IpNotInWhiteList', async () => {
    sandbox = await startSandbox()
    const { appKey, appSecret } = sandbox.config.dingtalk
    const res = await call(sandbox.url, '/v1.0/oauth2/accessToken', { body: { appKey, appSecret }, from: fromElsewhere })
    expect(res.status).toBe(403)
    expect(res.body.code).toBe('Forbidden.AccessDenied.IpNotInWhiteList')
    expect(res.body.message).toBe(`访问ip不在白名单之中，request ip=127.0.0.1, appKey(${appKey})`)
    expect(res.body.requestid).toMatch(REQUEST_ID)
  })

  it('answers the legacy API from a non-whitelisted address with HTTP 200 errcode 60020', async () => {
    sandbox = await startSandbox()
    const { appKey, appSecret } = sandbox.config.dingtalk
    const res = await call(sandbox.url, `/gettoken?appkey=${appKey}&appsecret=${appSecret}`, { from: fromElsewhere })
    expect(res.status).toBe(200)
    expect(res.body.errcode).toBe(60020)
    expect(res.body.errmsg).toMatch(/^访问ip不在白名单之中，request ip=127\.0\.0\.1/)
  })

  it('checks the whitelist on workflow calls too, before the token', async () => {
    sandbox = await startSandbox()
    const res = await call(sandbox.url, '/v1.0/workflow/processInstances?processInstanceId=x', { from: fromElsewhere })
    expect(res.status).toBe(403)
    expect(res.body.code).toBe('Forbidden.AccessDenied.IpNotInWhiteList')
  })

  it('accepts any address when the whitelist is empty', async () => {
    sandbox = await startSandbox({ dingtalk: { allowedIps: [] } })
    const { appKey, appSecret } = sandbox.config.dingtalk
    const res = await call(sandbox.url, '/v1.0/oauth2/accessToken', { body: { appKey, appSecret }, from: fromElsewhere })
    expect(res.status).toBe(200)
  })
})

describe('DingTalk access tokens', () => {
  it('issues a token for 7200 s and returns the same one, renewed, while it is valid', async () => {
    let clock = Date.UTC(2026, 4, 1)
    sandbox = await startSandbox({}, { now: () => clock })
    const { appKey, appSecret } = sandbox.config.dingtalk
    const first = await call(sandbox.url, '/v1.0/oauth2/accessToken', { body: { appKey, appSecret } })
    expect(first.status).toBe(200)
    expect(first.body).toEqual({ accessToken: expect.stringMatching(/^[0-9a-f]{32}$/), expireIn: 7200 })
    clock += 7000_000
    const second = await call(sandbox.url, '/v1.0/oauth2/accessToken', { body: { appKey, appSecret } })
    expect(second.body.accessToken).toBe(first.body.accessToken)
    clock += 7000_000 // valid still: renewed at the second call
    const get = await call(sandbox.url, '/v1.0/workflow/processInstances?processInstanceId=nope', { headers: auth(first.body.accessToken) })
    expect(get.body.code).toBe('processInstanceNotExist')
    clock += 7201_000
    const expired = await call(sandbox.url, '/v1.0/workflow/processInstances?processInstanceId=nope', { headers: auth(first.body.accessToken) })
    expect(expired.status).toBe(400)
    expect(expired.body.code).toBe('InvalidAuthentication')
    const third = await call(sandbox.url, '/v1.0/oauth2/accessToken', { body: { appKey, appSecret } })
    expect(third.body.accessToken).not.toBe(first.body.accessToken)
  })

  it('rejects wrong credentials with 400 invalidClientIdOrSecret', async () => {
    sandbox = await startSandbox()
    const res = await call(sandbox.url, '/v1.0/oauth2/accessToken', { body: { appKey: sandbox.config.dingtalk.appKey, appSecret: 'wrong' } })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ requestid: expect.stringMatching(REQUEST_ID), code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret' })
  })

  it('serves the legacy gettoken with the same token as the new API', async () => {
    sandbox = await startSandbox()
    const { appKey, appSecret } = sandbox.config.dingtalk
    const fresh = await tokenFor(sandbox)
    const res = await call(sandbox.url, `/gettoken?appkey=${appKey}&appsecret=${encodeURIComponent(appSecret)}`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ errcode: 0, access_token: fresh, errmsg: 'ok', expires_in: 7200 })
  })

  it('answers gettoken without parameters with 40035 and with wrong ones with 40096', async () => {
    sandbox = await startSandbox()
    const missing = await call(sandbox.url, '/gettoken')
    expect(missing.status).toBe(200)
    expect(missing.body).toMatchObject({ errcode: 40035, errmsg: '缺少参数 corpid or appkey' })
    const wrong = await call(sandbox.url, '/gettoken?appkey=x&appsecret=y')
    expect(wrong.body).toMatchObject({ errcode: 40096, errmsg: '不合法的appKey或appSecret' })
  })

  it('requires the token in x-acs-dingtalk-access-token on the new API', async () => {
    sandbox = await startSandbox()
    const token = await tokenFor(sandbox)
    for (const attempt of [{ path: '/v1.0/workflow/processInstances?processInstanceId=x' }, { path: `/v1.0/workflow/processInstances?processInstanceId=x&access_token=${token}` }]) {
      const res = await call(sandbox.url, attempt.path, { headers: { authorization: `Bearer ${token}` } })
      expect(res.status).toBe(400)
      expect(res.body).toMatchObject({ code: 'AuthenticationFailed.MissingParameter', message: '缺少参数：x-acs-dingtalk-access-token' })
    }
  })

  it('answers a bad or expired token on the new API with 400 InvalidAuthentication', async () => {
    sandbox = await startSandbox()
    const bad = await call(sandbox.url, '/v1.0/workflow/processInstances?processInstanceId=x', { headers: auth('nope') })
    expect(bad.status).toBe(400)
    expect(bad.body).toEqual({ requestid: expect.stringMatching(REQUEST_ID), code: 'InvalidAuthentication', message: '不合法的access_token' })
    const token = await tokenFor(sandbox)
    expect((await call(sandbox.url, '/_sandbox/tokens/expire', { method: 'POST' })).status).toBe(200)
    const expired = await call(sandbox.url, '/v1.0/workflow/processInstances?processInstanceId=x', { headers: auth(token) })
    expect(expired.body.code).toBe('InvalidAuthentication')
  })

  it('answers the legacy API with errcode 88 for a bad (40014) or missing (40000) token', async () => {
    sandbox = await startSandbox()
    const bad = await call(sandbox.url, '/topapi/processinstance/get?access_token=nope', { body: { process_instance_id: 'x' } })
    expect(bad.status).toBe(200)
    expect(bad.body).toMatchObject({
      errcode: 88,
      sub_code: '40014',
      sub_msg: '不合法的access_token',
      errmsg: 'ding talk error[subcode=40014,submsg=不合法的access_token]',
      request_id: expect.any(String),
    })
    const missing = await call(sandbox.url, '/topapi/processinstance/get', { body: { process_instance_id: 'x' } })
    expect(missing.body).toMatchObject({ errcode: 88, sub_code: '40000', sub_msg: 'access_token is blank' })
  })
})

describe('DingTalk workflow API', () => {
  async function create(body: unknown) {
    const token = await tokenFor(sandbox)
    return call(sandbox.url, '/v1.0/workflow/processInstances', { body, headers: auth(token) })
  }

  it('creates an instance and answers 200 {instanceId}', async () => {
    sandbox = await startSandbox()
    const res = await create(createBody(sandbox))
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['instanceId'])
    expect(res.body.instanceId).toMatch(/^[0-9a-f-]{36}$/)
    expect(sandbox.state.instances.get(res.body.instanceId)?.status).toBe('RUNNING')
  })

  it('rejects another processCode with 400 processCodeError', async () => {
    sandbox = await startSandbox()
    const res = await create({ ...createBody(sandbox), processCode: 'PROC-OTHER' })
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('processCodeError')
    expect(res.body.requestid).toMatch(REQUEST_ID)
  })

  it('rejects a missing originatorUserId with 400 invalidParameter', async () => {
    sandbox = await startSandbox()
    const { originatorUserId: _, ...body } = createBody(sandbox)
    const res = await create(body)
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('invalidParameter')
  })

  it('requires deptId unless approvers are given, and accepts it as a numeric string', async () => {
    sandbox = await startSandbox()
    const { deptId: _, ...body } = createBody(sandbox)
    expect((await create(body)).body.code).toBe('invalidParameter')
    expect((await create({ ...body, approvers: [{ actionType: 'NONE', userIds: ['boss'] }] })).status).toBe(200)
    const asString = await create({ ...body, deptId: '-1' })
    expect(asString.status).toBe(200)
    expect(sandbox.state.instances.get(asString.body.instanceId)?.deptId).toBe('-1')
    expect((await create({ ...body, deptId: 'sales' })).body.code).toBe('processInstanceInvalidParameter')
  })

  it('rejects a non-string form value with formConverterError naming the field', async () => {
    sandbox = await startSandbox()
    const res = await create(createBody(sandbox, [{ name: '数量', value: 5 }]))
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ code: 'formConverterError', message: '表单数据校验失败，失败控件：数量' })
    const long = await create(createBody(sandbox, [{ name: '备注', value: 'x'.repeat(65_536) }]))
    expect(long.body.code).toBe('formConverterError')
    expect((await create(createBody(sandbox, [{ name: '备注', value: 'x'.repeat(65_535) }]))).status).toBe(200)
  })

  it('requires 1 to 150 form values', async () => {
    sandbox = await startSandbox()
    expect((await create(createBody(sandbox, []))).body.code).toBe('invalidParameter')
    const many = Array.from({ length: 151 }, (_, i) => ({ name: `f${i}`, value: 'v' }))
    expect((await create(createBody(sandbox, many))).body.code).toBe('invalidParameter')
    expect((await create(createBody(sandbox, many.slice(0, 150)))).status).toBe(200)
  })

  it('answers GET processInstances with the §3.1 shape while RUNNING', async () => {
    sandbox = await startSandbox()
    const id = await createInstance(sandbox, [{ name: '申请编号', value: 'APP-7' }, { name: '公司', value: 'ACME' }])
    const token = await tokenFor(sandbox)
    const res = await call(sandbox.url, `/v1.0/workflow/processInstances?processInstanceId=${id}`, { headers: auth(token) })
    expect(res.status).toBe(200)
    expect(res.body.success).toBe('true')
    const result = res.body.result
    expect(result).toMatchObject({
      title: 'user-1提交的软件许可申请',
      originatorUserId: 'user-1',
      originatorDeptId: '1',
      status: 'RUNNING',
      result: '',
      approverUserIds: ['manager1'],
      formComponentValues: [
        { name: '申请编号', value: 'APP-7', componentType: 'TextField', id: expect.any(String) },
        { name: '公司', value: 'ACME', componentType: 'TextField', id: expect.any(String) },
      ],
    })
    expect(result.createTime).toMatch(API_TIME)
    expect(result).not.toHaveProperty('finishTime')
    expect(result.businessId).toMatch(/^\d{21}$/)
    expect(result.operationRecords[0]).toMatchObject({ userId: 'user-1', type: 'START_PROCESS_INSTANCE' })
    expect(result.tasks[0]).toMatchObject({ userId: 'manager1', status: 'RUNNING', processInstanceId: id, taskId: expect.any(Number) })
  })

  it('shows COMPLETED/agree with finishTime, a record and a finished task after approval', async () => {
    sandbox = await startSandbox()
    const id = await createInstance(sandbox)
    await call(sandbox.url, `/_sandbox/instances/${id}/approve`, { method: 'POST', body: { remark: 'ok' } })
    const token = await tokenFor(sandbox)
    const { body } = await call(sandbox.url, `/v1.0/workflow/processInstances?processInstanceId=${id}`, { headers: auth(token) })
    expect(body.result).toMatchObject({ status: 'COMPLETED', result: 'agree', finishTime: expect.stringMatching(API_TIME) })
    expect(body.result.operationRecords.at(-1)).toMatchObject({ userId: 'manager1', type: 'EXECUTE_TASK_NORMAL', result: 'AGREE', remark: 'ok' })
    expect(body.result.tasks[0]).toMatchObject({ status: 'COMPLETED', result: 'AGREE', finishTime: expect.stringMatching(API_TIME) })
  })

  it('answers an unknown instance with processInstanceNotExist and a missing id with invalidParameter', async () => {
    sandbox = await startSandbox()
    const token = await tokenFor(sandbox)
    const unknown = await call(sandbox.url, '/v1.0/workflow/processInstances?processInstanceId=nope', { headers: auth(token) })
    expect(unknown.status).toBe(400)
    expect(unknown.body.code).toBe('processInstanceNotExist')
    const missing = await call(sandbox.url, '/v1.0/workflow/processInstances', { headers: auth(token) })
    expect(missing.status).toBe(400)
    expect(missing.body.code).toBe('invalidParameter')
  })

  it('answers the legacy processinstance/get with the snake_case §3.2 shape', async () => {
    sandbox = await startSandbox()
    const id = await createInstance(sandbox)
    await call(sandbox.url, `/_sandbox/instances/${id}/reject`, { method: 'POST' })
    const token = await tokenFor(sandbox)
    const res = await call(sandbox.url, `/topapi/processinstance/get?access_token=${token}`, { body: { process_instance_id: id } })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ errcode: 0, errmsg: 'ok', request_id: expect.any(String) })
    const instance = res.body.process_instance
    expect(instance).toMatchObject({
      status: 'COMPLETED',
      result: 'refuse',
      originator_userid: 'user-1',
      originator_dept_id: '1',
      form_component_values: [{ name: '申请编号', value: 'APP-0001', component_type: 'TextField' }],
    })
    expect(instance.create_time).toMatch(LEGACY_TIME)
    expect(instance.finish_time).toMatch(LEGACY_TIME)
    expect(instance.operation_records.at(-1)).toMatchObject({ userid: 'manager1', operation_type: 'EXECUTE_TASK_NORMAL', operation_result: 'REFUSE' })
    expect(instance.tasks[0]).toMatchObject({ userid: 'manager1', task_status: 'COMPLETED', task_result: 'REFUSE' })
  })

  it('answers legacy get without an id with 40035 and for an unknown id with an errcode', async () => {
    sandbox = await startSandbox()
    const token = await tokenFor(sandbox)
    const missing = await call(sandbox.url, `/topapi/processinstance/get?access_token=${token}`, { body: {} })
    expect(missing.body.errcode).toBe(40035)
    const unknown = await call(sandbox.url, `/topapi/processinstance/get?access_token=${token}`, { body: { process_instance_id: 'nope' } })
    expect(unknown.status).toBe(200)
    expect(unknown.body.errcode).not.toBe(0)
  })

  it('answers unknown paths like DingTalk: legacy errcode 22, new API 404 InvalidAction.NotFound', async () => {
    sandbox = await startSandbox()
    const legacy = await call(sandbox.url, '/topapi/nothing/here')
    expect(legacy.status).toBe(200)
    expect(legacy.body).toMatchObject({ errcode: 22, errmsg: 'Invalid method[topapi/nothing/here]' })
    const api = await call(sandbox.url, '/v1.0/nothing')
    expect(api.status).toBe(404)
    expect(api.body.code).toBe('InvalidAction.NotFound')
    const wrongMethod = await call(sandbox.url, '/v1.0/workflow/processInstances/terminate')
    expect(wrongMethod.status).toBe(404)
  })
})

describe('DingTalk quotas and faults', () => {
  it('counts API calls per month and API, exempting token endpoints', async () => {
    sandbox = await startSandbox({}, { now: () => Date.UTC(2026, 4, 31, 20, 0) }) // 04:00 on June 1 in China
    const id = await createInstance(sandbox)
    const token = await tokenFor(sandbox)
    await call(sandbox.url, `/v1.0/workflow/processInstances?processInstanceId=${id}`, { headers: auth(token) })
    await call(sandbox.url, `/v1.0/workflow/processInstances?processInstanceId=${id}`, { headers: auth(token) })
    await call(sandbox.url, `/call_back/get_call_back_failed_result?access_token=${token}`)
    const { body } = await call(sandbox.url, '/_sandbox/calls')
    expect(body.data.currentMonth).toBe('2026-06')
    expect(body.data.quota).toBe(5000)
    expect(body.data.months['2026-06']).toEqual({
      total: 4,
      byApi: {
        'POST /v1.0/workflow/processInstances': 1,
        'GET /v1.0/workflow/processInstances': 2,
        'GET /call_back/get_call_back_failed_result': 1,
      },
    })
  })

  it('throttles an API over its QPS with 403 QpsLimitForAppkeyAndApi (legacy 90018)', async () => {
    sandbox = await startSandbox({ dingtalk: { qpsLimit: 3 } }, { now: () => 1_000_000 })
    const token = await tokenFor(sandbox)
    const statuses = []
    for (let i = 0; i < 4; i++) {
      statuses.push((await call(sandbox.url, '/v1.0/workflow/processInstances?processInstanceId=x', { headers: auth(token) })).body.code)
    }
    expect(statuses).toEqual(['processInstanceNotExist', 'processInstanceNotExist', 'processInstanceNotExist', 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi'])
    for (let i = 0; i < 3; i++) await call(sandbox.url, `/call_back/get_call_back_failed_result?access_token=${token}`)
    const legacy = await call(sandbox.url, `/call_back/get_call_back_failed_result?access_token=${token}`)
    expect(legacy.body.errcode).toBe(90018)
  })

  it('answers 503 while dingtalkDown, drops the connection in reset mode, and recovers', async () => {
    sandbox = await startSandbox()
    await call(sandbox.url, '/_sandbox/faults', { body: { dingtalkDown: true } })
    const { appKey, appSecret } = sandbox.config.dingtalk
    const down = await call(sandbox.url, '/v1.0/oauth2/accessToken', { body: { appKey, appSecret } })
    expect(down.status).toBe(503)
    expect(down.body.code).toBe('ServiceUnavailable')
    await call(sandbox.url, '/_sandbox/faults', { body: { dingtalkDown: 'reset' } })
    await expect(call(sandbox.url, '/v1.0/oauth2/accessToken', { body: { appKey, appSecret } })).rejects.toThrow()
    await call(sandbox.url, '/_sandbox/faults', { body: { dingtalkDown: false } })
    expect((await call(sandbox.url, '/v1.0/oauth2/accessToken', { body: { appKey, appSecret }, from: fromAllowed })).status).toBe(200)
  })
})
