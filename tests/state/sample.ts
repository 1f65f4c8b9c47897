/**
 * Realistic state documents for tests and the benchmark: every field of a stack filled, secrets included.
 */
import {
  CURRENT_SCHEMA_VERSION,
  type SessionRecord,
  type StackRecord,
  type StateDocument,
} from '../../lib/state/schema.ts'

/** One fully populated stack record named `name`. */
export function buildSampleStack(name: string): StackRecord {
  const at = '2025-01-31T12:00:00.000Z'
  return {
    provider: 'local',
    env: 'dev',
    status: 'ready',
    createdAt: at,
    updatedAt: at,
    image: 'ghcr.io/example/debug-server:1.2.3',
    ports: [{ ip: '127.0.0.1', external: 18080, internal: 8080, protocol: 'tcp' }],
    size: 'cx22',
    location: 'fsn1',
    address: '10.200.0.2',
    ssh: {
      user: 'deploy',
      port: 22,
      hostKeyPublic: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${name}`,
      hostKeyFingerprint: 'SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
      hostKeyPrivate: `-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-${name}\n-----END OPENSSH PRIVATE KEY-----\n`,
      knownHosts: `10.200.0.2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${name}`,
    },
    dockerHost: 'ssh://deploy@10.200.0.2:22',
    endpoints: [{ name: 'api', url: 'http://127.0.0.1:18080' }],
    tokens: { api: `api-token-${name}`, runner: `runner-token-${name}` },
    providerIds: { server: '12345' },
    outputs: { address: '10.200.0.2', ports: [8080, 9090] },
    terraform: { statePassphrase: `passphrase-${name}` },
    lastError: null,
    releasedAt: null,
  }
}

/** One session pinned to `stack`. */
export function buildSampleSession(id: string, stack: string): SessionRecord {
  return {
    id,
    stack,
    label: `session ${id}`,
    note: null,
    createdAt: '2025-01-31T12:00:00.000Z',
    pinnedAt: '2025-01-31T12:05:00.000Z',
    movedFrom: null,
  }
}

/** A state document with `stacks` stacks and `sessions` sessions spread over them. */
export function buildSampleState(operator: string, stacks: number, sessions: number): StateDocument {
  const doc: StateDocument = {
    schemaVersion: CURRENT_SCHEMA_VERSION,
    operator,
    stacks: {},
    credentials: {},
    sessions: {},
  }
  for (let i = 0; i < stacks; i++) doc.stacks[`stack-${i}`] = buildSampleStack(`stack-${i}`)
  for (let i = 0; i < sessions; i++)
    doc.sessions[`s-${i}`] = buildSampleSession(`s-${i}`, `stack-${i % stacks}`)
  return doc
}
