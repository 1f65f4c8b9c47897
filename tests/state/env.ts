/**
 * A throwaway operator environment: HOME, XDG_CONFIG_HOME, TMPDIR and DEBUG_CLOUD_SECRETS_DIR all point into
 * one temp directory, so tests never touch the real ~/.config or secrets/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TempEnv {
  dir: string
  env: NodeJS.ProcessEnv
  keysFile: string
  secrets: string
  cleanup(): void
}

/** A fresh temp environment (the PATH of this process, nothing else inherited that sops or we would read). */
export function makeTempEnv(): TempEnv {
  const dir = mkdtempSync(join(tmpdir(), 'dc-state-'))
  const home = join(dir, 'home')
  const config = join(home, '.config')
  const tmp = join(dir, 'tmp')
  for (const d of [home, tmp]) mkdirSync(d, { recursive: true })
  const secrets = join(dir, 'secrets')
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: config,
    TMPDIR: tmp,
    DEBUG_CLOUD_SECRETS_DIR: secrets,
    NO_COLOR: '1',
  }
  return {
    dir,
    env,
    secrets,
    keysFile: join(config, 'sops', 'age', 'keys.txt'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** The error `promise` rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    if (error instanceof Error) return error
    throw new Error(`rejected with a non-Error: ${String(error)}`)
  }
  throw new Error('expected a rejection, but the promise resolved')
}
