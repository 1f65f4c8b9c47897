/**
 * The provider names alone, without their modules: the schema, flag specs and `--help` need only these, and
 * the modules pull in the cloud-init renderer (and its YAML library) that a read of the state never uses.
 */
export const PROVIDERS = ['hetzner', 'contabo', 'local'] as const

export type ProviderName = (typeof PROVIDERS)[number]

/** True for the name of a registered provider. */
export function isProviderName(value: string): value is ProviderName {
  return (PROVIDERS as readonly string[]).includes(value)
}
