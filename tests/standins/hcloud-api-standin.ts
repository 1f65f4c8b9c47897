/**
 * A STAND-IN for the Hetzner Cloud API (https://api.hetzner.cloud/v1), not Hetzner Cloud: a stateful
 * in-process server on 127.0.0.1 that answers what the unmodified hcloud provider 1.68.0 calls for the
 * resources of infra/terraform/hetzner_docker_node — server types, images, locations, ssh keys, firewalls,
 * servers and their actions — in the formats of Hetzner's OpenAPI description. Point the provider at it with
 * `HCLOUD_ENDPOINT=<endpoint>`. A created server is a machine from the ServerBackend (a bench host today).
 * Not implemented: networks, volumes, primary IPs, placement groups, pagination past one page, rate limits
 * (except injected 429s), label selectors.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { BootedServer, ServerBackend } from './backend.ts'
import { HttpStandin, now, parseJson, type Route, type StandinRequest, type StandinResponse } from './http.ts'

/** The token the stand-in accepts: random per process, 64 characters like a real one (the provider checks). */
export const HCLOUD_TEST_TOKEN = randomBytes(32).toString('hex')

type Json = Record<string, unknown>

interface Action {
  id: number
  command: string
  status: 'running' | 'success' | 'error'
  progress: number
  started: string
  finished: string | null
  error: { code: string; message: string } | null
  resources: { id: number; type: string }[]
}

interface Server {
  id: number
  name: string
  status: 'initializing' | 'starting' | 'running' | 'stopping' | 'off' | 'deleting'
  created: string
  serverType: string
  image: string
  location: string
  labels: Record<string, string>
  sshKeys: number[]
  firewalls: number[]
  userData: string
  address: string | null
  machine?: BootedServer
}

interface SshKey {
  id: number
  name: string
  public_key: string
  fingerprint: string
  labels: Record<string, string>
  created: string
}

interface Firewall {
  id: number
  name: string
  labels: Record<string, string>
  rules: Json[]
  created: string
}

const LOCATIONS: Record<string, { city: string; country: string; zone: string; dc: string }> = {
  fsn1: { city: 'Falkenstein', country: 'DE', zone: 'eu-central', dc: 'fsn1-dc14' },
  nbg1: { city: 'Nuremberg', country: 'DE', zone: 'eu-central', dc: 'nbg1-dc3' },
  hel1: { city: 'Helsinki', country: 'FI', zone: 'eu-central', dc: 'hel1-dc2' },
}

function locationJson(name: string): Json {
  const l = LOCATIONS[name] ?? LOCATIONS.fsn1!
  return {
    id: Object.keys(LOCATIONS).indexOf(name) + 1,
    name,
    description: `${l.city} DC Park 1`,
    country: l.country,
    city: l.city,
    latitude: 50.47612,
    longitude: 12.370071,
    network_zone: l.zone,
  }
}

const SERVER_TYPES = ['cx23', 'cx33', 'cx43', 'cpx22', 'cpx32', 'ccx13', 'ccx23']

function serverTypeJson(name: string): Json {
  return {
    id: 100 + SERVER_TYPES.indexOf(name),
    name,
    description: name.toUpperCase(),
    category: 'cost_optimized',
    cores: 2,
    memory: 4,
    disk: 40,
    deprecated: false,
    deprecation: null,
    prices: [
      {
        location: 'fsn1',
        price_hourly: { net: '0.0080', gross: '0.0095' },
        price_monthly: { net: '4.9900', gross: '5.9381' },
        included_traffic: 21990232555520,
        price_per_tb_traffic: { net: '1.0000', gross: '1.1900' },
      },
    ],
    storage_type: 'local',
    cpu_type: 'shared',
    architecture: name.startsWith('cax') ? 'arm' : 'x86',
    locations: Object.keys(LOCATIONS).map((l, i) => ({ id: i + 1, name: l, deprecation: null })),
  }
}

const IMAGES = ['debian-12', 'debian-13', 'ubuntu-24.04', 'ubuntu-22.04']

function imageJson(name: string): Json {
  const [flavor, version] = name.split('-')
  return {
    id: 200 + IMAGES.indexOf(name),
    type: 'system',
    status: 'available',
    name,
    description: `${flavor} ${version}`,
    image_size: null,
    disk_size: 5,
    created: '2023-06-13T06:00:02+00:00',
    created_from: null,
    bound_to: null,
    os_flavor: flavor,
    os_version: version,
    rapid_deploy: true,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: {},
    architecture: 'x86',
  }
}

function meta(total: number): Json {
  return {
    pagination: {
      page: 1,
      per_page: 50,
      previous_page: null,
      next_page: null,
      last_page: 1,
      total_entries: total,
    },
  }
}

function error(status: number, code: string, message: string): StandinResponse {
  return { status, body: { error: { code, message, details: {} } } }
}

/** `SHA-256`-free MD5 fingerprint of an OpenSSH key, as Hetzner reports it (aa:bb:…). */
function md5Fingerprint(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? '', 'base64')
  return (createHash('md5').update(blob).digest('hex').match(/../g) ?? []).join(':')
}

export class HcloudApiStandin {
  readonly http: HttpStandin
  readonly servers = new Map<number, Server>()
  readonly sshKeys = new Map<number, SshKey>()
  readonly firewalls = new Map<number, Firewall>()
  readonly actions = new Map<number, Action>()
  /** Fault: the next server create's action ends in `error` with this message (the machine is not booted). */
  failNextCreate: string | undefined
  /** Fault: created servers report `initializing` even after they booted. */
  holdInitializing = false
  private nextId = 1
  private readonly booting = new Set<Promise<unknown>>()

  constructor(private readonly backend: ServerBackend) {
    this.http = new HttpStandin(
      '/v1',
      this.routes(),
      (r) => this.authorize(r),
      (r) => error(404, 'not_found', `no route for ${r.method} ${r.path}`),
    )
  }

  async start(): Promise<this> {
    await this.http.start()
    return this
  }

  /** The value of HCLOUD_ENDPOINT. */
  get endpoint(): string {
    return `${this.http.origin}/v1`
  }

  /** Waits for the boots and deletions under way: a server deleted while it booted stops when its boot ends. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.booting)
  }

  /** Stops the server and every machine still running (a test's cleanup). */
  async stop(): Promise<void> {
    await this.settled()
    await Promise.allSettled([...this.servers.values()].map((s) => s.machine?.stop()))
    await this.http.stop()
  }

  private authorize(r: StandinRequest): StandinResponse | undefined {
    if (r.headers.authorization !== `Bearer ${HCLOUD_TEST_TOKEN}`)
      return error(401, 'unauthorized', 'unable to authenticate')
    if (r.text !== '' && !String(r.headers['content-type'] ?? '').startsWith('application/json'))
      return error(400, 'invalid_input', 'request body must be JSON')
    return undefined
  }

  private id(): number {
    return this.nextId++
  }

  private action(
    command: string,
    resources: Action['resources'],
    status: Action['status'] = 'success',
  ): Action {
    const started = now()
    const action: Action = {
      id: this.id(),
      command,
      status,
      progress: status === 'running' ? 0 : 100,
      started,
      finished: status === 'running' ? null : started,
      error: null,
      resources,
    }
    this.actions.set(action.id, action)
    return action
  }

  private finish(action: Action, failure?: string): void {
    action.status = failure === undefined ? 'success' : 'error'
    action.progress = 100
    action.finished = now()
    if (failure !== undefined) action.error = { code: 'action_failed', message: failure }
  }

  private serverJson(s: Server): Json {
    const l = LOCATIONS[s.location] ?? LOCATIONS.fsn1!
    return {
      id: s.id,
      name: s.name,
      status: this.holdInitializing && s.status === 'running' ? 'initializing' : s.status,
      created: s.created,
      public_net: {
        ipv4:
          s.address === null
            ? null
            : {
                id: s.id + 10_000,
                ip: s.address,
                blocked: false,
                dns_ptr: `static.${s.address}.clients.example`,
              },
        ipv6: { id: s.id + 20_000, ip: '2001:db8::/64', blocked: false, dns_ptr: [] },
        floating_ips: [],
        firewalls: s.firewalls.map((id) => ({ id, status: 'applied' })),
      },
      private_net: [],
      server_type: serverTypeJson(s.serverType),
      datacenter: {
        id: 1,
        name: l.dc,
        description: `${l.city} 1 virtual DC 14`,
        location: locationJson(s.location),
        server_types: {
          supported: SERVER_TYPES.map((_, i) => 100 + i),
          available: SERVER_TYPES.map((_, i) => 100 + i),
          available_for_migration: [],
        },
      },
      location: locationJson(s.location),
      image: imageJson(s.image),
      iso: null,
      rescue_enabled: false,
      locked: false,
      backup_window: null,
      outgoing_traffic: 0,
      ingoing_traffic: 0,
      included_traffic: 21990232555520,
      protection: { delete: false, rebuild: false },
      labels: s.labels,
      volumes: [],
      load_balancers: [],
      primary_disk_size: 40,
      placement_group: null,
    }
  }

  private firewallJson(f: Firewall): Json {
    const appliedTo = [...this.servers.values()]
      .filter((s) => s.firewalls.includes(f.id))
      .map((s) => ({ type: 'server', server: { id: s.id } }))
    return {
      id: f.id,
      name: f.name,
      labels: f.labels,
      created: f.created,
      rules: f.rules,
      applied_to: appliedTo,
    }
  }

  private sshKeyJson(k: SshKey): Json {
    return { ...k }
  }

  private boot(server: Server, action: Action): void {
    const failure = this.failNextCreate
    this.failNextCreate = undefined
    const boot = (async () => {
      if (failure !== undefined) {
        this.finish(action, failure)
        server.status = 'off'
        return
      }
      try {
        const machine = await this.backend({ serverName: server.name, userData: server.userData })
        // Deleted while it booted (a create interrupted, then destroyed): the machine goes at once.
        if (!this.servers.has(server.id)) return await machine.stop()
        server.machine = machine
        server.address = machine.address
        server.status = 'running'
        this.finish(action)
      } catch (e) {
        server.status = 'off'
        this.finish(action, `the machine did not boot: ${e instanceof Error ? e.message : String(e)}`)
      }
    })()
    this.booting.add(boot)
    void boot.finally(() => this.booting.delete(boot))
  }

  private findServer(id: string): Server | undefined {
    return this.servers.get(Number(id))
  }

  private routes(): Route[] {
    const list = <T>(key: string, items: T[], json: (t: T) => Json, q: URLSearchParams): StandinResponse => {
      const name = q.get('name')
      const picked = name === null ? items : items.filter((i) => (i as { name: string }).name === name)
      return { status: 200, body: { [key]: picked.map(json), meta: meta(picked.length) } }
    }
    return [
      {
        method: 'GET',
        template: '/server_types',
        handler: ({ query }) => {
          const name = query.get('name')
          const types = SERVER_TYPES.filter((t) => name === null || t === name)
          return { status: 200, body: { server_types: types.map(serverTypeJson), meta: meta(types.length) } }
        },
      },
      {
        method: 'GET',
        template: '/images',
        handler: ({ query }) => {
          const name = query.get('name')
          const arch = query.get('architecture')
          const names = IMAGES.filter((i) => name === null || i === name).filter(
            () => arch === null || arch === 'x86',
          )
          return { status: 200, body: { images: names.map(imageJson), meta: meta(names.length) } }
        },
      },
      {
        method: 'GET',
        template: '/images/{id}',
        handler: ({ params }) => {
          const name = IMAGES[Number(params.id) - 200]
          return name
            ? { status: 200, body: { image: imageJson(name) } }
            : error(404, 'not_found', 'image not found')
        },
      },
      {
        method: 'GET',
        template: '/locations',
        handler: ({ query }) =>
          list(
            'locations',
            Object.keys(LOCATIONS).map((n) => ({ name: n })),
            (l) => locationJson(l.name),
            query,
          ),
      },
      // SSH keys
      {
        method: 'POST',
        template: '/ssh_keys',
        handler: ({ text }) => {
          const body = parseJson(text) ?? {}
          const { name, public_key: publicKey } = body as { name?: string; public_key?: string }
          if (typeof name !== 'string' || typeof publicKey !== 'string')
            return error(400, 'invalid_input', 'name and public_key are required')
          if ([...this.sshKeys.values()].some((k) => k.name === name))
            return error(409, 'uniqueness_error', 'SSH key with the same name already exists')
          const key: SshKey = {
            id: this.id(),
            name,
            public_key: publicKey,
            fingerprint: md5Fingerprint(publicKey),
            labels: (body.labels as Record<string, string> | undefined) ?? {},
            created: now(),
          }
          this.sshKeys.set(key.id, key)
          return { status: 201, body: { ssh_key: this.sshKeyJson(key) } }
        },
      },
      {
        method: 'GET',
        template: '/ssh_keys',
        handler: ({ query }) =>
          list('ssh_keys', [...this.sshKeys.values()], (k) => this.sshKeyJson(k), query),
      },
      {
        method: 'GET',
        template: '/ssh_keys/{id}',
        handler: ({ params }) => {
          const key = this.sshKeys.get(Number(params.id))
          return key
            ? { status: 200, body: { ssh_key: this.sshKeyJson(key) } }
            : error(404, 'not_found', 'SSH key not found')
        },
      },
      {
        method: 'PUT',
        template: '/ssh_keys/{id}',
        handler: ({ params, text }) => {
          const key = this.sshKeys.get(Number(params.id))
          if (!key) return error(404, 'not_found', 'SSH key not found')
          const body = parseJson(text) ?? {}
          if (typeof body.name === 'string') key.name = body.name
          if (typeof body.labels === 'object' && body.labels !== null)
            key.labels = body.labels as Record<string, string>
          return { status: 200, body: { ssh_key: this.sshKeyJson(key) } }
        },
      },
      {
        method: 'DELETE',
        template: '/ssh_keys/{id}',
        handler: ({ params }) =>
          this.sshKeys.delete(Number(params.id))
            ? { status: 204 }
            : error(404, 'not_found', 'SSH key not found'),
      },
      // Firewalls
      {
        method: 'POST',
        template: '/firewalls',
        handler: ({ text }) => {
          const body = parseJson(text) ?? {}
          if (typeof body.name !== 'string') return error(400, 'invalid_input', 'name is required')
          const firewall: Firewall = {
            id: this.id(),
            name: body.name,
            labels: (body.labels as Record<string, string> | undefined) ?? {},
            rules: ((body.rules as Json[] | undefined) ?? []).map((r) => ({
              description: null,
              source_ips: [],
              destination_ips: [],
              port: null,
              ...r,
            })),
            created: now(),
          }
          this.firewalls.set(firewall.id, firewall)
          return { status: 201, body: { firewall: this.firewallJson(firewall), actions: [] } }
        },
      },
      {
        method: 'GET',
        template: '/firewalls',
        handler: ({ query }) =>
          list('firewalls', [...this.firewalls.values()], (f) => this.firewallJson(f), query),
      },
      {
        method: 'GET',
        template: '/firewalls/{id}',
        handler: ({ params }) => {
          const f = this.firewalls.get(Number(params.id))
          return f
            ? { status: 200, body: { firewall: this.firewallJson(f) } }
            : error(404, 'not_found', 'firewall not found')
        },
      },
      {
        method: 'PUT',
        template: '/firewalls/{id}',
        handler: ({ params, text }) => {
          const f = this.firewalls.get(Number(params.id))
          if (!f) return error(404, 'not_found', 'firewall not found')
          const body = parseJson(text) ?? {}
          if (typeof body.name === 'string') f.name = body.name
          if (typeof body.labels === 'object' && body.labels !== null)
            f.labels = body.labels as Record<string, string>
          return { status: 200, body: { firewall: this.firewallJson(f) } }
        },
      },
      {
        method: 'POST',
        template: '/firewalls/{id}/actions/set_rules',
        handler: ({ params, text }) => {
          const f = this.firewalls.get(Number(params.id))
          if (!f) return error(404, 'not_found', 'firewall not found')
          f.rules = ((parseJson(text)?.rules as Json[] | undefined) ?? []).map((r) => ({
            description: null,
            source_ips: [],
            destination_ips: [],
            port: null,
            ...r,
          }))
          return {
            status: 201,
            body: { actions: [this.action('set_firewall_rules', [{ id: f.id, type: 'firewall' }])] },
          }
        },
      },
      {
        method: 'POST',
        template: '/firewalls/{id}/actions/remove_from_resources',
        handler: ({ params }) => {
          const id = Number(params.id)
          for (const s of this.servers.values()) s.firewalls = s.firewalls.filter((f) => f !== id)
          return {
            status: 201,
            body: { actions: [this.action('remove_firewall', [{ id, type: 'firewall' }])] },
          }
        },
      },
      {
        method: 'DELETE',
        template: '/firewalls/{id}',
        handler: ({ params }) => {
          const id = Number(params.id)
          if (!this.firewalls.has(id)) return error(404, 'not_found', 'firewall not found')
          if ([...this.servers.values()].some((s) => s.firewalls.includes(id)))
            return error(422, 'resource_in_use', 'firewall is still applied to a resource')
          this.firewalls.delete(id)
          return { status: 204 }
        },
      },
      // Servers
      {
        method: 'POST',
        template: '/servers',
        handler: ({ text }) => {
          const body = parseJson(text) ?? {}
          const name = body.name
          // hcloud-go sends the id it looked up, or the name.
          const serverType =
            typeof body.server_type === 'number' ? SERVER_TYPES[body.server_type - 100] : body.server_type
          const image = typeof body.image === 'number' ? IMAGES[body.image - 200] : body.image
          if (typeof name !== 'string' || typeof serverType !== 'string' || typeof image !== 'string')
            return error(400, 'invalid_input', 'name, server_type and image are required')
          if (!SERVER_TYPES.includes(serverType))
            return error(404, 'not_found', `server type ${serverType} not found`)
          if (!IMAGES.includes(image)) return error(404, 'not_found', `image ${image} not found`)
          if ([...this.servers.values()].some((s) => s.name === name))
            return error(409, 'uniqueness_error', 'server name is already used')
          const firewalls = ((body.firewalls as { firewall: number }[] | undefined) ?? []).map(
            (f) => f.firewall,
          )
          const sshKeys = ((body.ssh_keys as (number | string)[] | undefined) ?? []).map(Number)
          for (const k of sshKeys)
            if (!this.sshKeys.has(k)) return error(404, 'not_found', `SSH key ${k} not found`)
          for (const f of firewalls)
            if (!this.firewalls.has(f)) return error(404, 'not_found', `firewall ${f} not found`)
          const server: Server = {
            id: this.id(),
            name,
            status: 'initializing',
            created: now(),
            serverType,
            image,
            location: typeof body.location === 'string' ? body.location : 'fsn1',
            labels: (body.labels as Record<string, string> | undefined) ?? {},
            sshKeys,
            firewalls,
            userData: typeof body.user_data === 'string' ? body.user_data : '',
            address: null,
          }
          this.servers.set(server.id, server)
          const action = this.action('create_server', [{ id: server.id, type: 'server' }], 'running')
          this.boot(server, action)
          const next = this.action('start_server', [{ id: server.id, type: 'server' }])
          return {
            status: 201,
            body: { server: this.serverJson(server), action, next_actions: [next], root_password: null },
          }
        },
      },
      {
        method: 'GET',
        template: '/servers',
        handler: ({ query }) => list('servers', [...this.servers.values()], (s) => this.serverJson(s), query),
      },
      {
        method: 'GET',
        template: '/servers/{id}',
        handler: ({ params }) => {
          const s = this.findServer(params.id ?? '')
          return s
            ? { status: 200, body: { server: this.serverJson(s) } }
            : error(404, 'not_found', 'server not found')
        },
      },
      {
        method: 'PUT',
        template: '/servers/{id}',
        handler: ({ params, text }) => {
          const s = this.findServer(params.id ?? '')
          if (!s) return error(404, 'not_found', 'server not found')
          const body = parseJson(text) ?? {}
          if (typeof body.name === 'string') s.name = body.name
          if (typeof body.labels === 'object' && body.labels !== null)
            s.labels = body.labels as Record<string, string>
          return { status: 200, body: { server: this.serverJson(s) } }
        },
      },
      {
        method: 'POST',
        template: '/servers/{id}/actions/shutdown',
        handler: ({ params }) => {
          const s = this.findServer(params.id ?? '')
          if (!s) return error(404, 'not_found', 'server not found')
          s.status = 'off'
          return {
            status: 201,
            body: { action: this.action('shutdown_server', [{ id: s.id, type: 'server' }]) },
          }
        },
      },
      {
        method: 'POST',
        template: '/servers/{id}/actions/poweroff',
        handler: ({ params }) => {
          const s = this.findServer(params.id ?? '')
          if (!s) return error(404, 'not_found', 'server not found')
          s.status = 'off'
          return { status: 201, body: { action: this.action('stop_server', [{ id: s.id, type: 'server' }]) } }
        },
      },
      {
        method: 'POST',
        template: '/firewalls/{id}/actions/apply_to_resources',
        handler: ({ params, text }) => {
          const id = Number(params.id)
          if (!this.firewalls.has(id)) return error(404, 'not_found', 'firewall not found')
          const targets = (parseJson(text)?.apply_to as { server?: { id: number } }[] | undefined) ?? []
          for (const t of targets) {
            const s = t.server && this.servers.get(t.server.id)
            if (s && !s.firewalls.includes(id)) s.firewalls.push(id)
          }
          return {
            status: 201,
            body: { actions: [this.action('apply_firewall', [{ id, type: 'firewall' }])] },
          }
        },
      },
      {
        method: 'DELETE',
        template: '/servers/{id}',
        handler: ({ params }) => {
          const s = this.findServer(params.id ?? '')
          if (!s) return error(404, 'not_found', 'server not found')
          s.status = 'deleting'
          const action = this.action('delete_server', [{ id: s.id, type: 'server' }], 'running')
          const stopping = (async () => {
            await s.machine?.stop()
            this.servers.delete(s.id)
            this.finish(action)
          })()
          this.booting.add(stopping)
          void stopping.finally(() => this.booting.delete(stopping))
          return { status: 200, body: { action } }
        },
      },
      // Actions: hcloud-go polls GET /actions?id=N&id=M…
      {
        method: 'GET',
        template: '/actions',
        handler: ({ query }) => {
          const ids = query.getAll('id').map(Number)
          const found = ids.flatMap((id) => this.actions.get(id) ?? [])
          return { status: 200, body: { actions: found, meta: meta(found.length) } }
        },
      },
      {
        method: 'GET',
        template: '/actions/{id}',
        handler: ({ params }) => {
          const a = this.actions.get(Number(params.id))
          return a ? { status: 200, body: { action: a } } : error(404, 'not_found', 'action not found')
        },
      },
    ]
  }
}
