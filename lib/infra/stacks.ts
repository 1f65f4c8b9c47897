/**
 * The Terraform root configurations under infra/terraform: each cloud provider's HOST stack (named by its
 * provider module) creates a VM; the one APP stack runs the container on a Docker host that already answers.
 */
import { join } from 'node:path'

/** infra/terraform inside the repository. */
export const TERRAFORM_ROOT = join(import.meta.dirname, '..', '..', 'infra', 'terraform')

/** The app phase of every provider: the debug-server container through modules/docker_node. */
export const APP_STACK = 'app_docker_node'

/** Absolute directory of a root configuration (a provider's host stack, or APP_STACK). */
export function stackDir(stack: string, root: string = TERRAFORM_ROOT): string {
  return join(root, stack)
}
