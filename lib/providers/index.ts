/** The provider registry: every provider module by name (see types.ts for what a module says). */
import { contabo } from './contabo.ts'
import { hetzner } from './hetzner.ts'
import { local } from './local.ts'
import type { ProviderName } from './names.ts'
import type { ProviderModule } from './types.ts'

export { isProviderName, PROVIDERS, type ProviderName } from './names.ts'

const registry: Record<ProviderName, ProviderModule> = { hetzner, contabo, local }

/** The module of one provider. */
export function providerModule(name: ProviderName): ProviderModule {
  return registry[name]
}
