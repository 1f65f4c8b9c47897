/** The provider registry: every provider module by name (see types.ts for what a module says). */
import { contabo } from './contabo.ts'
import { hetzner } from './hetzner.ts'
import { local } from './local.ts'
import type { ProviderModule } from './types.ts'

const registry = { hetzner, contabo, local } satisfies Record<string, ProviderModule>

export type ProviderName = keyof typeof registry
export const PROVIDERS = Object.keys(registry) as ProviderName[]

/** The module of one provider. */
export function providerModule(name: ProviderName): ProviderModule {
  return registry[name]
}

/** True for the name of a registered provider. */
export function isProviderName(value: string): value is ProviderName {
  return Object.hasOwn(registry, value)
}
