/**
 * A STAND-IN for the Contabo API (https://api.contabo.com) and its OAuth2 token endpoint
 * (https://auth.contabo.com/…/token), not Contabo: a stateful in-process server on 127.0.0.1 that answers
 * what the unmodified Contabo provider 0.1.30 calls for infra/terraform/contabo_docker_node — the password
 * grant (and refresh), secrets, instances (create, read, patch, reinstall by PUT, cancel) — in the formats of
 * Contabo's OpenAPI description. Point the provider at it with `CNTB_API=<api>` and
 * `CNTB_OAUTH2_TOKEN_URL=<tokenUrl>`. A created instance is a machine from the ServerBackend.
 * Not implemented: images, snapshots, object storage, private networks, tags, pagination past one page.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { BootedServer, ServerBackend } from './backend.ts'
import { HttpStandin, now, parseJson, type Route, type StandinRequest, type StandinResponse } from './http.ts'

type Json = Record<string, unknown>

/**
 * The credentials the stand-in's token endpoint accepts (the shapes `.env` holds); the secret and the
 * password are random per process, so the leak scan finds any copy of them, even in this repository.
 */
export const CONTABO_TEST_CREDENTIALS = {
  CNTB_OAUTH2_CLIENT_ID: 'standin-client-id',
  CNTB_OAUTH2_CLIENT_SECRET: `standin-client-secret-${randomBytes(12).toString('hex')}`,
  CNTB_OAUTH2_USER: 'operator@example.test',
  CNTB_OAUTH2_PASS: `standin-api-password-${randomBytes(12).toString('hex')}`,
  CNTB_IMAGE_ID: 'd64d5c6c-9dda-4e38-8174-0ee282474d8a',
} as const satisfies Record<string, string>

const TOKEN_PATH = '/auth/realms/contabo/protocol/openid-connect/token'
const TENANT = { tenantId: 'DE', customerId: '54321' }

interface Instance {
  instanceId: number
  displayName: string
  productId: string
  region: string
  imageId: string
  sshKeys: number[]
  userData: string
  defaultUser: string
  status: 'provisioning' | 'installing' | 'running' | 'error' | 'stopped'
  errorMessage?: string
  createdDate: string
  cancelDate: string
  address: string | null
  machine?: BootedServer
  /** After the end of the cancelled period the API answers 404 for it. */
  gone: boolean
}

interface Secret {
  secretId: number
  name: string
  type: 'password' | 'ssh'
  value: string
  createdAt: string
  updatedAt: string
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** An unsigned-looking JWT (the provider reads `sub` from it and never checks the signature). */
function jwt(payload: Json): string {
  return `${base64url({ alg: 'RS256', typ: 'JWT' })}.${base64url(payload)}.${Buffer.from(randomUUID()).toString('base64url')}`
}

function apiError(status: number, message: string): StandinResponse {
  return { status, body: { statusCode: status, message } }
}

export class ContaboApiStandin {
  readonly http: HttpStandin
  readonly instances = new Map<number, Instance>()
  readonly secrets = new Map<number, Secret>()
  /** Access tokens issued (only these are accepted). */
  private readonly tokens = new Set<string>()
  /** Every access and refresh token issued, for the leak scan. */
  readonly issuedTokens: string[] = []
  /** Fault: the token endpoint answers this status (with Keycloak's error body) until cleared. */
  refuseTokens: number | undefined
  /** Fault: the next instance ends in `error` with this message instead of booting. */
  failNextCreate: string | undefined
  private nextInstanceId = 200_100_000
  private nextSecretId = 1
  private readonly pending = new Set<Promise<unknown>>()

  constructor(private readonly backend: ServerBackend) {
    this.http = new HttpStandin(
      '/v1',
      this.routes(),
      (r) => this.authorize(r),
      (r) => apiError(404, `Cannot ${r.method} ${r.path}`),
      (r) => this.token(r),
    )
  }

  async start(): Promise<this> {
    await this.http.start()
    return this
  }

  /** CNTB_API: the base URL without /v1. */
  get api(): string {
    return this.http.origin
  }

  /** CNTB_OAUTH2_TOKEN_URL */
  get tokenUrl(): string {
    return `${this.http.origin}${TOKEN_PATH}`
  }

  /** The end of the cancelled instances' paid period: from now on they are 404. */
  expireCancelled(): void {
    for (const i of this.instances.values()) if (i.cancelDate !== '') i.gone = true
  }

  /** Waits for the boots and cancellations under way: an instance cancelled while it booted stops when its boot ends. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.pending)
  }

  async stop(): Promise<void> {
    await this.settled()
    await Promise.allSettled([...this.instances.values()].map((i) => i.machine?.stop()))
    await this.http.stop()
  }

  private track(work: Promise<unknown>): void {
    this.pending.add(work)
    void work.finally(() => this.pending.delete(work))
  }

  /** The OAuth2 token endpoint: password grant (client credentials by Basic auth or in the form) and refresh. */
  private token(r: StandinRequest): StandinResponse {
    if (r.method !== 'POST' || r.path !== TOKEN_PATH) return apiError(404, `Cannot ${r.method} ${r.path}`)
    if (this.refuseTokens !== undefined)
      return {
        status: this.refuseTokens,
        body: { error: 'invalid_grant', error_description: 'Invalid user credentials' },
      }
    const form = new URLSearchParams(r.text)
    const basic = /^Basic (.+)$/.exec(String(r.headers.authorization ?? ''))?.[1]
    const [basicId, basicSecret] = basic
      ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent)
      : []
    const clientId = form.get('client_id') ?? basicId
    const clientSecret = form.get('client_secret') ?? basicSecret
    const c = CONTABO_TEST_CREDENTIALS
    if (clientId !== c.CNTB_OAUTH2_CLIENT_ID || clientSecret !== c.CNTB_OAUTH2_CLIENT_SECRET)
      return {
        status: 401,
        body: { error: 'unauthorized_client', error_description: 'Invalid client credentials' },
      }
    const grant = form.get('grant_type')
    const ok =
      (grant === 'password' &&
        form.get('username') === c.CNTB_OAUTH2_USER &&
        form.get('password') === c.CNTB_OAUTH2_PASS) ||
      (grant === 'refresh_token' && (form.get('refresh_token') ?? '').split('.').length === 3)
    if (!ok)
      return { status: 401, body: { error: 'invalid_grant', error_description: 'Invalid user credentials' } }
    const exp = Math.floor(Date.now() / 1000)
    const access = jwt({
      sub: randomUUID(),
      exp: exp + 300,
      iat: exp,
      typ: 'Bearer',
      email: c.CNTB_OAUTH2_USER,
    })
    // A JWT too: the provider's token cache splits it on "." and panics on a token without one.
    const refresh = jwt({ sub: randomUUID(), exp: exp + 1800, iat: exp, typ: 'Refresh' })
    this.tokens.add(access)
    this.issuedTokens.push(access, refresh)
    return {
      status: 200,
      body: {
        access_token: access,
        expires_in: 300,
        refresh_expires_in: 1800,
        refresh_token: refresh,
        token_type: 'Bearer',
        'not-before-policy': 0,
        scope: 'email profile',
      },
    }
  }

  private authorize(r: StandinRequest): StandinResponse | undefined {
    const bearer = /^Bearer (.+)$/.exec(String(r.headers.authorization ?? ''))?.[1]
    if (bearer === undefined || !this.tokens.has(bearer)) return apiError(401, 'Unauthorized')
    if (typeof r.headers['x-request-id'] !== 'string') return apiError(400, 'x-request-id header is required')
    if (r.text !== '' && !String(r.headers['content-type'] ?? '').startsWith('application/json'))
      return apiError(415, 'Unsupported Media Type')
    return undefined
  }

  private links(path: string): Json {
    return { self: `/v1${path}` }
  }

  private instanceJson(i: Instance): Json {
    return {
      ...TENANT,
      additionalIps: [],
      name: `vmi${i.instanceId % 1_000_000}`,
      displayName: i.displayName,
      instanceId: i.instanceId,
      dataCenter: 'European Union 7',
      region: i.region,
      regionName: 'European Union',
      productId: i.productId,
      imageId: i.imageId,
      ipConfig: {
        v4: { ip: i.address ?? '', netmaskCidr: 24, gateway: '' },
        v6: { ip: '2001:db8::1', netmaskCidr: 64, gateway: 'fe80::1' },
      },
      macAddress: '00:50:56:4b:00:01',
      ramMb: 8192,
      cpuCores: 4,
      osType: 'Linux',
      diskMb: 76800,
      sshKeys: i.sshKeys,
      createdDate: i.createdDate,
      cancelDate: i.cancelDate,
      status: i.status,
      vHostId: 1234,
      vHostNumber: 56,
      vHostName: 'v56',
      addOns: [],
      ...(i.errorMessage ? { errorMessage: i.errorMessage } : {}),
      productType: 'ssd',
      productName: 'VPS 1 SSD',
      defaultUser: i.defaultUser,
    }
  }

  private secretJson(s: Secret): Json {
    return { ...TENANT, ...s }
  }

  private boot(i: Instance): void {
    const failure = this.failNextCreate
    this.failNextCreate = undefined
    this.track(
      (async () => {
        if (failure !== undefined) {
          i.status = 'error'
          i.errorMessage = failure
          return
        }
        try {
          const machine = await this.backend({ serverName: i.displayName, userData: i.userData })
          // Cancelled while it booted: the machine goes at once.
          if (i.cancelDate !== '') return await machine.stop()
          i.machine = machine
          i.address = machine.address
          i.status = 'running'
        } catch (e) {
          i.status = 'error'
          i.errorMessage = `the machine did not boot: ${e instanceof Error ? e.message : String(e)}`
        }
      })(),
    )
  }

  private find(id: string | undefined): Instance | undefined {
    const i = this.instances.get(Number(id))
    return i?.gone ? undefined : i
  }

  private routes(): Route[] {
    const notFound = (id: string | undefined) =>
      apiError(404, `Entry Instances not found by instanceId ${id}`)
    return [
      {
        method: 'POST',
        template: '/secrets',
        handler: ({ text }) => {
          const body = parseJson(text) ?? {}
          const { name, value, type } = body as { name?: unknown; value?: unknown; type?: unknown }
          if (
            typeof name !== 'string' ||
            typeof value !== 'string' ||
            (type !== 'ssh' && type !== 'password')
          )
            return apiError(400, 'name, value and type (ssh or password) are required')
          const at = now()
          const secret: Secret = {
            secretId: this.nextSecretId++,
            name,
            type,
            value,
            createdAt: at,
            updatedAt: at,
          }
          this.secrets.set(secret.secretId, secret)
          return { status: 201, body: { data: [this.secretJson(secret)], _links: this.links('/secrets') } }
        },
      },
      {
        method: 'GET',
        template: '/secrets/{secretId}',
        handler: ({ params }) => {
          const s = this.secrets.get(Number(params.secretId))
          if (!s) return apiError(404, `Entry Secret not found by secretId ${params.secretId}`)
          return {
            status: 200,
            body: { data: [this.secretJson(s)], _links: this.links(`/secrets/${s.secretId}`) },
          }
        },
      },
      {
        method: 'PATCH',
        template: '/secrets/{secretId}',
        handler: ({ params, text }) => {
          const s = this.secrets.get(Number(params.secretId))
          if (!s) return apiError(404, `Entry Secret not found by secretId ${params.secretId}`)
          const body = parseJson(text) ?? {}
          if (typeof body.name === 'string') s.name = body.name
          if (typeof body.value === 'string') s.value = body.value
          s.updatedAt = now()
          return {
            status: 200,
            body: { data: [this.secretJson(s)], _links: this.links(`/secrets/${s.secretId}`) },
          }
        },
      },
      {
        method: 'DELETE',
        template: '/secrets/{secretId}',
        handler: ({ params }) =>
          this.secrets.delete(Number(params.secretId))
            ? { status: 204 }
            : apiError(404, `Entry Secret not found by secretId ${params.secretId}`),
      },
      {
        method: 'POST',
        template: '/compute/instances',
        handler: ({ text }) => {
          const body = parseJson(text) ?? {}
          if (typeof body.period !== 'number') return apiError(400, 'period is required')
          const sshKeys = ((body.sshKeys as unknown[] | undefined) ?? []).map(Number)
          for (const k of sshKeys)
            if (!this.secrets.has(k)) return apiError(400, `secret ${k} does not exist`)
          const instance: Instance = {
            instanceId: this.nextInstanceId++,
            displayName: typeof body.displayName === 'string' ? body.displayName : '',
            productId: typeof body.productId === 'string' ? body.productId : 'V45',
            region: typeof body.region === 'string' ? body.region : 'EU',
            imageId: typeof body.imageId === 'string' ? body.imageId : CONTABO_TEST_CREDENTIALS.CNTB_IMAGE_ID,
            sshKeys,
            userData: typeof body.userData === 'string' ? body.userData : '',
            defaultUser: typeof body.defaultUser === 'string' ? body.defaultUser : 'root',
            status: 'provisioning',
            createdDate: now(),
            cancelDate: '',
            address: null,
            gone: false,
          }
          this.instances.set(instance.instanceId, instance)
          this.boot(instance)
          const i = instance
          const data = {
            ...TENANT,
            instanceId: i.instanceId,
            createdDate: i.createdDate,
            imageId: i.imageId,
            productId: i.productId,
            region: i.region,
            addOns: [],
            osType: 'Linux',
            status: i.status,
            sshKeys: i.sshKeys,
          }
          return { status: 201, body: { data: [data], _links: this.links('/compute/instances') } }
        },
      },
      {
        method: 'GET',
        template: '/compute/instances/{instanceId}',
        handler: ({ params }) => {
          const i = this.find(params.instanceId)
          if (!i) return notFound(params.instanceId)
          return {
            status: 200,
            body: { data: [this.instanceJson(i)], _links: this.links(`/compute/instances/${i.instanceId}`) },
          }
        },
      },
      {
        method: 'PATCH',
        template: '/compute/instances/{instanceId}',
        handler: ({ params, text }) => {
          const i = this.find(params.instanceId)
          if (!i) return notFound(params.instanceId)
          const body = parseJson(text) ?? {}
          if (typeof body.displayName === 'string') i.displayName = body.displayName
          return {
            status: 200,
            body: {
              data: [{ ...TENANT, instanceId: i.instanceId, createdDate: i.createdDate }],
              _links: this.links(`/compute/instances/${i.instanceId}`),
            },
          }
        },
      },
      {
        // Reinstall: the disk is wiped and the machine boots again from the (new) user data.
        method: 'PUT',
        template: '/compute/instances/{instanceId}',
        handler: ({ params, text }) => {
          const i = this.find(params.instanceId)
          if (!i) return notFound(params.instanceId)
          const body = parseJson(text) ?? {}
          if (typeof body.imageId === 'string') i.imageId = body.imageId
          if (typeof body.userData === 'string') i.userData = body.userData
          if (Array.isArray(body.sshKeys)) i.sshKeys = body.sshKeys.map(Number)
          i.status = 'installing'
          const old = i.machine
          i.machine = undefined
          i.address = null
          this.track(
            (async () => {
              await old?.stop()
              this.boot(i)
            })(),
          )
          return {
            status: 200,
            body: {
              data: [{ ...TENANT, instanceId: i.instanceId, createdDate: i.createdDate }],
              _links: this.links(`/compute/instances/${i.instanceId}`),
            },
          }
        },
      },
      {
        // Cancel: the contract ends at the end of the period; the instance stays readable until then.
        method: 'POST',
        template: '/compute/instances/{instanceId}/cancel',
        handler: ({ params }) => {
          const i = this.find(params.instanceId)
          if (!i) return notFound(params.instanceId)
          i.cancelDate = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10)
          const machine = i.machine
          i.machine = undefined
          i.status = 'stopped'
          this.track(machine?.stop() ?? Promise.resolve())
          return {
            status: 201,
            body: {
              data: [{ ...TENANT, instanceId: i.instanceId, cancelDate: i.cancelDate }],
              _links: this.links(`/compute/instances/${i.instanceId}/cancel`),
            },
          }
        },
      },
    ]
  }

  /** Instances not cancelled (what a person would call "still there"). */
  get activeInstances(): Instance[] {
    return [...this.instances.values()].filter((i) => i.cancelDate === '')
  }
}
