/**
 * The shared core of the cloud API STAND-INS (not the clouds): a Node http server on 127.0.0.1 at a random
 * port, a route table keyed by the API's own path templates, a record of every response sent (validated
 * against the cloud's OpenAPI description by spec.test.ts), and a queue of injected faults.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface StandinRequest {
  method: string
  /** The path without the query string. */
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  /** The raw body (form or JSON). */
  text: string
  params: Record<string, string>
}

export interface StandinResponse {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export type Handler = (request: StandinRequest) => StandinResponse | Promise<StandinResponse>

export interface Route {
  method: string
  /** The OpenAPI path template, e.g. `/servers/{id}`; the part after `base` in the URL. */
  template: string
  handler: Handler
}

/** One response the stand-in sent, for the spec check. */
export interface Exchange {
  method: string
  template: string
  status: number
  body: unknown
  /** Served outside the API's base path (the OAuth2 token endpoint): not in the API's description. */
  outside?: boolean
}

/**
 * A fault served instead of the real answer to the next `times` matching requests: a status with a body and
 * headers (429 with Retry-After, a 500/503 burst), or `drop` (the connection is destroyed: API unreachable).
 */
export interface Fault {
  method?: string
  /** Matched against the template, e.g. /^\/servers$/. */
  template?: RegExp
  times?: number
  status?: number
  body?: unknown
  headers?: Record<string, string>
  drop?: boolean
}

function compile(template: string): RegExp {
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '([^/]+)')
  return new RegExp(`^${pattern}$`)
}

function paramNames(template: string): string[] {
  return [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '')
}

export class HttpStandin {
  readonly exchanges: Exchange[] = []
  /** Every request, method and path, in order (for assertions on what the provider called). */
  readonly calls: string[] = []
  private readonly faults: Fault[] = []
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  private port = 0

  constructor(
    /** The prefix every route is under, e.g. `/v1`. */
    private readonly base: string,
    private readonly routes: readonly Route[],
    private readonly authorize: (request: StandinRequest) => StandinResponse | undefined,
    private readonly notFound: (request: StandinRequest) => StandinResponse,
    /** Requests outside `base` (the OAuth2 token endpoint). */
    private readonly outside: Handler = notFound,
  ) {
    this.server = createServer((req, res) => void this.serve(req, res))
    this.server.on('connection', (socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
  }

  /** `http://127.0.0.1:PORT` */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Queue a fault (see Fault); faults are served in the order they were queued. */
  inject(fault: Fault): void {
    this.faults.push({ times: 1, ...fault })
  }

  /** Drop every fault not yet served. */
  clearFaults(): void {
    this.faults.length = 0
  }

  /** Faults still waiting for a matching request. */
  get pendingFaults(): number {
    return this.faults.length
  }

  private takeFault(method: string, template: string): Fault | undefined {
    const index = this.faults.findIndex(
      (f) => (f.method === undefined || f.method === method) && (f.template?.test(template) ?? true),
    )
    const fault = this.faults[index]
    if (fault === undefined) return undefined
    fault.times = (fault.times ?? 1) - 1
    if (fault.times <= 0) this.faults.splice(index, 1)
    return fault
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue
      const found = compile(route.template).exec(path)
      if (!found) continue
      const names = paramNames(route.template)
      return {
        route,
        params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(found[i + 1] ?? '')])),
      }
    }
    return undefined
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const url = new URL(req.url ?? '/', this.origin)
    const method = req.method ?? 'GET'
    this.calls.push(`${method} ${url.pathname}${url.search}`)
    const request: StandinRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      text: Buffer.concat(chunks).toString('utf8'),
      params: {},
    }
    let template = url.pathname
    let answer: StandinResponse
    const outside = !url.pathname.startsWith(this.base)
    try {
      if (outside) answer = await this.outside(request)
      else {
        const found = this.match(method, url.pathname.slice(this.base.length))
        template = found?.route.template ?? url.pathname
        const fault = this.takeFault(method, template)
        if (fault?.drop) {
          req.socket.destroy()
          return
        }
        if (fault) answer = { status: fault.status ?? 500, body: fault.body, headers: fault.headers ?? {} }
        else if (!found) answer = this.notFound(request)
        else
          answer =
            this.authorize(request) ?? (await found.route.handler({ ...request, params: found.params }))
      }
    } catch (error) {
      answer = { status: 500, body: { error: { code: 'standin_bug', message: String(error) } } }
    }
    this.exchanges.push({
      method: method.toLowerCase(),
      template,
      status: answer.status,
      body: answer.body,
      ...(outside ? { outside } : {}),
    })
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body)
    res.writeHead(answer.status, {
      ...(answer.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...answer.headers,
    })
    res.end(text)
  }
}

/** An RFC 3339 timestamp without milliseconds, as both clouds send. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00')
}

/** Parse a JSON request body; undefined when it is not JSON. */
export function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
