/**
 * The provider filesystem mirror and the CLI config that points OpenTofu at it, so `tofu init` needs no
 * network for the pinned providers.
 */
import { join } from 'node:path'
import { cliConfigPath, providerMirrorDir } from './paths.ts'
import { providerType, type ToolSpec } from './spec.ts'

/** The platform directory name OpenTofu uses (`linux_amd64`). */
export function buildPlatform(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): string {
  const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' }
  return `${platform}_${goArch[arch] ?? arch}`
}

/**
 * Where a provider's binary lives in the unpacked mirror layout:
 * `<mirror>/<host>/<namespace>/<type>/<version>/<os>_<arch>/terraform-provider-<type>_v<version>`.
 */
export function mirrorBinaryPath(
  provider: NonNullable<ToolSpec['provider']>,
  env: NodeJS.ProcessEnv = process.env,
  platform: string = buildPlatform(),
): string {
  const file = `terraform-provider-${providerType(provider.source)}_v${provider.version}`
  return join(providerMirrorDir(env), ...provider.source.split('/'), provider.version, platform, file)
}

/** The CLI config: the listed providers come only from the mirror, everything else as usual. */
export function buildCliConfig(mirrorDir: string, sources: readonly string[]): string {
  const list = sources.map((s) => JSON.stringify(s)).join(', ')
  return [
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(mirrorDir)}`,
    `    include = [${list}]`,
    '  }',
    '  direct {',
    `    exclude = [${list}]`,
    '  }',
    '}',
    '',
  ].join('\n')
}

/** Environment for children that run tofu: the CLI config with the offline mirror. */
export function toolEnv(env: NodeJS.ProcessEnv = process.env): { TF_CLI_CONFIG_FILE: string } {
  return { TF_CLI_CONFIG_FILE: cliConfigPath(env) }
}
