/**
 * What `status --refresh` observed about one stack, and the drift between that and the record: pure
 * functions over the observation, so every rule is tested without a host.
 */

import type { StackRecord } from '../state/schema.ts'
import type { Phase } from '../state/workspace.ts'

export interface ContainerState {
  id: string
  running: boolean
  /** Docker's State.Status: running, exited, restarting… */
  status: string
  /** State.Health.Status when the container has a health check. */
  health: string | undefined
  restartCount: number
  startedAt: string
}

export type HostObservation =
  | { state: 'ok' }
  | { state: 'host-key-changed' }
  | { state: 'unreachable'; detail: string }
  | { state: 'docker-unavailable'; detail: string }

export interface Observation {
  /** Per Terraform phase of the stack: does its state still hold the stack's resources? */
  terraform: { phase: Phase; hasResources: boolean }[]
  host: HostObservation
  /** undefined when the host could not be asked; 'gone' when Docker has no such container. */
  container: ContainerState | 'gone' | undefined
}

export type DriftKind =
  | 'terraform-missing'
  | 'host-unreachable'
  | 'host-key-changed'
  | 'docker-unavailable'
  | 'container-gone'
  | 'container-replaced'
  | 'container-stopped'
  | 'container-restarted'
  | 'container-unhealthy'

export interface Drift {
  kind: DriftKind
  message: string
}

/** Parse `docker inspect` output (a one-element array) into the fields status compares. */
export function parseInspect(stdout: string): ContainerState {
  const [c] = JSON.parse(stdout) as {
    Id: string
    RestartCount: number
    State: { Running: boolean; Status: string; StartedAt: string; Health?: { Status: string } }
  }[]
  if (!c) throw new Error('docker inspect returned no container')
  return {
    id: c.Id,
    running: c.State.Running,
    status: c.State.Status,
    health: c.State.Health?.Status,
    restartCount: c.RestartCount,
    startedAt: c.State.StartedAt,
  }
}

/** One word for the app's health column. */
export function describeHealth(obs: Observation): string {
  if (obs.host.state === 'unreachable') return 'unreachable'
  if (obs.host.state === 'host-key-changed') return 'host key changed'
  if (obs.host.state === 'docker-unavailable') return 'docker down'
  const c = obs.container
  if (c === undefined) return 'unknown'
  if (c === 'gone') return 'gone'
  if (!c.running) return c.status
  return c.health ?? 'running'
}

function describeContainer(record: StackRecord, c: ContainerState, recordedId: string | undefined): Drift[] {
  const drift: Drift[] = []
  if (recordedId !== undefined && c.id !== recordedId)
    drift.push({
      kind: 'container-replaced',
      message: `the container is ${c.id.slice(0, 12)}, not the ${recordedId.slice(0, 12)} Terraform created`,
    })
  if (!c.running) drift.push({ kind: 'container-stopped', message: `the container is ${c.status}` })
  if (c.restartCount > 0)
    drift.push({
      kind: 'container-restarted',
      message: `the container was restarted ${c.restartCount} time(s) by its restart policy`,
    })
  else if (c.running && record.status === 'ready' && Date.parse(c.startedAt) > Date.parse(record.updatedAt))
    drift.push({
      kind: 'container-restarted',
      message: `the container (re)started at ${c.startedAt}, after cloud:up recorded it ready at ${record.updatedAt}`,
    })
  if (c.health === 'unhealthy') drift.push({ kind: 'container-unhealthy', message: 'its health check fails' })
  return drift
}

/** Every difference between the record and what was observed. */
export function buildDrift(
  record: StackRecord,
  obs: Observation,
  recordedContainerId: string | undefined,
): Drift[] {
  const drift: Drift[] = obs.terraform
    .filter((t) => !t.hasResources)
    .map((t) => ({
      kind: 'terraform-missing' as const,
      message: `the record says ${record.status}, but Terraform's ${t.phase} state holds no resources for it`,
    }))
  const address = record.address ?? 'the host'
  switch (obs.host.state) {
    case 'unreachable':
      drift.push({
        kind: 'host-unreachable',
        message: `${address} does not answer SSH (VM gone or down): ${obs.host.detail}`,
      })
      break
    case 'host-key-changed':
      drift.push({
        kind: 'host-key-changed',
        message: `${address} answers with a host key that is not the pinned one`,
      })
      break
    case 'docker-unavailable':
      drift.push({
        kind: 'docker-unavailable',
        message: `Docker on ${address} does not answer: ${obs.host.detail}`,
      })
      break
  }
  if (obs.container === 'gone')
    drift.push({ kind: 'container-gone', message: 'the app container no longer exists on the host' })
  else if (obs.container) drift.push(...describeContainer(record, obs.container, recordedContainerId))
  return drift
}
