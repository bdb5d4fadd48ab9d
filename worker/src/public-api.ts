// The worker's public routes checked against the route-only type the apply page's client uses
// (contract/public-api.ts): a handler that changes what it takes or answers fails the typecheck.
import { Hono } from 'hono'
import type { ExtractSchema } from 'hono/types'
import type { PublicSchema } from './contract/public-api.ts'
import type { AppEnv } from './env.ts'
import { applications } from './routes/applications.ts'
import { config } from './routes/config.ts'

export const publicApi = new Hono<AppEnv>().route('/api/applications', applications).route('/api/config', config)

type Actual = ExtractSchema<typeof publicApi>
type Expect<T extends true> = T
type Assignable<A, B> = [A] extends [B] ? true : false

// What the page sends is what the validator takes (the POST's answers are typed by the contract:
// its helper handlers answer untyped Responses).
export type PublicApiChecks = [
  Expect<Assignable<PublicSchema['/api/applications']['$post']['input']['json'], Actual['/api/applications']['$post']['input']['json']>>,
  Expect<Assignable<Actual['/api/applications']['$post']['input']['json'], PublicSchema['/api/applications']['$post']['input']['json']>>,
  Expect<Assignable<Actual['/api/applications/:id']['$get']['output'], PublicSchema['/api/applications/:id']['$get']['output']>>,
  Expect<Assignable<Actual['/api/config']['$get']['output'], PublicSchema['/api/config']['$get']['output']>>,
]
