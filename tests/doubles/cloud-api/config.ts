/**
 * How a test sets the double up: the wrapper script linked into a temp dir as `tofu-cloud-api-double` (the
 * launcher takes the flavor from the name) and, next to it, the JSON naming the test host that plays the VM.
 * The launcher runs Terraform with a minimal environment, so this file is how the double learns its host.
 */
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const DOUBLE_NAME = 'tofu-cloud-api-double'
const WRAPPER = join(import.meta.dirname, '..', DOUBLE_NAME)

export interface DoubleConfig {
  /** The real pinned OpenTofu that runs everything outside the host stacks (the launcher's env has no XDG_CACHE_HOME). */
  tofu: string
  /** The bench host that stands in for the new VM (tests/harness/types.ts TestHost name and address). */
  host: { name: string; address: string }
  /**
   * What "cloud-init" installs as the sshd host key on apply: the key from the user data (a real boot), or a
   * freshly generated other key (the host-key-mismatch fault).
   */
  hostKey: 'user-data' | 'foreign'
}

/** Install the double in `dir`; returns the path to pass as `--tf-bin`. */
export function installDouble(dir: string, config: DoubleConfig): string {
  const bin = join(dir, DOUBLE_NAME)
  symlinkSync(WRAPPER, bin)
  writeDoubleConfig(dir, config)
  return bin
}

/** Replace the configuration of a double installed in `dir`. */
export function writeDoubleConfig(dir: string, config: DoubleConfig): void {
  writeFileSync(join(dir, `${DOUBLE_NAME}.json`), `${JSON.stringify(config, null, 2)}\n`)
}

export function readDoubleConfig(path: string): DoubleConfig {
  const config = JSON.parse(readFileSync(path, 'utf8')) as DoubleConfig
  if (
    typeof config.tofu !== 'string' ||
    typeof config.host?.address !== 'string' ||
    !['user-data', 'foreign'].includes(config.hostKey)
  )
    throw new Error(`${path} is not a cloud-API double configuration.`)
  return config
}
