/**
 * Policy checks on HCL parsed by @cdktf/hcl2json (the JSON shape of Terraform configuration: each block type
 * maps labels to a list of bodies). Literal values are checked here; values that come from variables are
 * guarded by the variables' own `validation` blocks.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from '@cdktf/hcl2json'
import { DOCKER_API_PORTS } from './validate.ts'

export type PolicyRule =
  | 'variable-typed-described'
  | 'output-described'
  | 'docker-tcp-needs-tls'
  | 'docker-port-not-world'
  | 'no-password-ssh'

export interface PolicyFinding {
  rule: PolicyRule
  file: string
  message: string
}

type Body = Record<string, unknown>
export type ParsedHcl = Record<string, unknown>

const WORLD = ['0.0.0.0/0', '::/0']
const SOURCE_KEYS = ['source_ips', 'source_ranges', 'cidr_blocks', 'ipv6_cidr_blocks']
const TLS_KEYS = ['cert_material', 'cert_path', 'context']

function isBody(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `{ name: [body, …] }` → [[name, body], …]. */
function labelled(section: unknown): [string, Body][] {
  if (!isBody(section)) return []
  return Object.entries(section).flatMap(([name, bodies]) =>
    Array.isArray(bodies) ? bodies.filter(isBody).map((b): [string, Body] => [name, b]) : [],
  )
}

/** Every nested block body (dynamic blocks' content included), depth first. */
function allBodies(value: unknown): Body[] {
  if (Array.isArray(value)) return value.flatMap(allBodies)
  if (!isBody(value)) return []
  return [value, ...Object.values(value).flatMap(allBodies)]
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  if (isBody(value)) return Object.values(value).flatMap(strings)
  return []
}

function portCoversDockerApi(port: unknown): boolean {
  if (port === 'any') return true
  const text = typeof port === 'number' ? String(port) : typeof port === 'string' ? port : ''
  const range = /^(\d+)(?:-(\d+))?$/.exec(text)
  if (!range) return false
  const low = Number(range[1])
  const high = Number(range[2] ?? range[1])
  return DOCKER_API_PORTS.some((p) => p >= low && p <= high)
}

function checkVariablesAndOutputs(file: string, hcl: ParsedHcl): PolicyFinding[] {
  const findings: PolicyFinding[] = []
  for (const [name, body] of labelled(hcl.variable)) {
    if (body.type === undefined || typeof body.description !== 'string' || body.description.trim() === '')
      findings.push({
        rule: 'variable-typed-described',
        file,
        message: `variable "${name}" needs both a type and a description`,
      })
  }
  for (const [name, body] of labelled(hcl.output)) {
    if (typeof body.description !== 'string' || body.description.trim() === '')
      findings.push({ rule: 'output-described', file, message: `output "${name}" needs a description` })
  }
  return findings
}

function checkDockerTcp(file: string, hcl: ParsedHcl): PolicyFinding[] {
  const findings: PolicyFinding[] = []
  for (const [, body] of labelled(hcl.provider).filter(([name]) => name === 'docker')) {
    const host = typeof body.host === 'string' ? body.host : ''
    if (host.startsWith('tcp://') && !TLS_KEYS.some((k) => body[k] !== undefined))
      findings.push({
        rule: 'docker-tcp-needs-tls',
        file,
        message: `provider "docker" uses ${host} without TLS client material (cert_material/key_material)`,
      })
  }
  for (const text of strings(hcl)) {
    if (/tcp:\/\/[^"\s]*:2375\b/.test(text))
      findings.push({
        rule: 'docker-tcp-needs-tls',
        file,
        message: `plain-text Docker API endpoint ${JSON.stringify(text)} (2375 has no TLS)`,
      })
  }
  return findings
}

function checkFirewallRules(file: string, hcl: ParsedHcl): PolicyFinding[] {
  return allBodies(hcl.resource)
    .filter(
      (b) =>
        portCoversDockerApi(b.port) && SOURCE_KEYS.some((k) => strings(b[k]).some((s) => WORLD.includes(s))),
    )
    .map((b) => ({
      rule: 'docker-port-not-world' as const,
      file,
      message: `a firewall rule opens port ${String(b.port)} (Docker API 2375/2376) to the whole internet`,
    }))
}

function checkPasswordSsh(file: string, hcl: ParsedHcl): PolicyFinding[] {
  const findings: PolicyFinding[] = []
  const add = (message: string) => findings.push({ rule: 'no-password-ssh', file, message })
  for (const body of allBodies(hcl))
    if (body.ssh_pwauth === true || body.ssh_pwauth === 'true') add('ssh_pwauth is enabled')
  for (const text of strings(hcl))
    if (/PasswordAuthentication\s+yes/i.test(text)) add('sshd PasswordAuthentication yes')
  const resources = isBody(hcl.resource) ? hcl.resource : {}
  for (const [name, body] of labelled(resources.hcloud_server))
    if (body.ssh_keys === undefined)
      add(`hcloud_server "${name}" has no ssh_keys, so Hetzner would set and e-mail a root password`)
  for (const [name, body] of labelled(resources.contabo_instance)) {
    if (body.root_password !== undefined) add(`contabo_instance "${name}" sets root_password`)
    if (body.ssh_keys === undefined) add(`contabo_instance "${name}" has no ssh_keys`)
  }
  return findings
}

/** All findings for one parsed file (empty when it complies). */
export function checkPolicy(file: string, hcl: ParsedHcl): PolicyFinding[] {
  return [
    ...checkVariablesAndOutputs(file, hcl),
    ...checkDockerTcp(file, hcl),
    ...checkFirewallRules(file, hcl),
    ...checkPasswordSsh(file, hcl),
  ]
}

/** Parse HCL text with hcl2json. */
export function parseHcl(file: string, text: string): Promise<ParsedHcl> {
  return parse(file, text)
}

/** Parse and check every `*.tf` file directly in `dir`. */
export async function checkPolicyDir(dir: string): Promise<PolicyFinding[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.tf')).sort()
  const perFile = await Promise.all(
    files.map(async (f) =>
      checkPolicy(join(dir, f), await parseHcl(f, await readFile(join(dir, f), 'utf8'))),
    ),
  )
  return perFile.flat()
}
