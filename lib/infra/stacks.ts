/**
 * The Terraform root configurations under infra/terraform and which phase each one is. HOST stacks create a
 * VM; the APP stack (local_docker_node) runs the container on a Docker host that already answers.
 */
import { join } from 'node:path'

export type StackProvider = 'hetzner' | 'contabo' | 'local'

export interface StackInfo {
  dir: string
  phase: 'host' | 'app'
}

export const STACKS: Readonly<Record<StackProvider, StackInfo>> = {
  hetzner: { dir: 'hetzner_docker_node', phase: 'host' },
  contabo: { dir: 'contabo_docker_node', phase: 'host' },
  local: { dir: 'local_docker_node', phase: 'app' },
}

/** infra/terraform inside the repository. */
export const TERRAFORM_ROOT = join(import.meta.dirname, '..', '..', 'infra', 'terraform')

/** Absolute directory of a provider's stack (for the app phase of every provider: `stackDir('local')`). */
export function stackDir(provider: StackProvider, root: string = TERRAFORM_ROOT): string {
  return join(root, STACKS[provider].dir)
}
