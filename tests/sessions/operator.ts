/**
 * A throwaway operator for the sessions tests: a temp environment (tests/state/env.ts), a real operator with
 * an age identity, stacks seeded through the real store, and the real `cloud:sessions` script and `sops`
 * binary run against it.
 */
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import type { StackStatus, StateDocument } from '../../lib/state/schema.ts'
import type { StateStore } from '../../lib/state/store.ts'
import { sopsBinary } from '../../lib/tools/paths.ts'
import { createPlaintextOperator, openTestStore } from '../helpers/operator.ts'
import { makeTempEnv, type TempEnv } from '../state/env.ts'
import { buildSampleStack } from '../state/sample.ts'

const root = join(import.meta.dirname, '..', '..')

/** The warning every command prints for a plaintext identity (tests/gate checks it); these tests compare the rest. */
const PLAINTEXT_WARNING = /^! The identity of operator \w+ is a plaintext file:.*\n/m

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface TestOperator {
  t: TempEnv
  store(): Promise<StateStore>
  /** Replace stacks and sessions through the real store (stacks given as name → status). */
  seed(stacks: Record<string, StackStatus>, sessions?: StateDocument['sessions']): Promise<void>
  /** `tsx scripts/sessions.ts <args>` as a whole process, stdin not a terminal. */
  sessions(args: readonly string[]): Promise<RunResult>
  /** The real sops binary with the operator's keys. */
  sops(args: readonly string[]): RunResult
}

/** A fresh operator "alice" in a temp environment; call `t.cleanup()` after the suite. */
export async function makeTestOperator(): Promise<TestOperator> {
  const t = makeTempEnv()
  await createPlaintextOperator('alice', t.env)
  const store = () => openTestStore('alice', t.env)
  const childEnv = {
    ...t.env,
    XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '', '.cache'),
  }
  return {
    t,
    store,
    async seed(stacks, sessions = {}) {
      await (await store()).update((doc) => {
        doc.stacks = {}
        for (const [name, status] of Object.entries(stacks))
          doc.stacks[name] = {
            ...buildSampleStack(name),
            status,
            releasedAt: status === 'destroyed' ? '2025-02-28T09:00:00.000Z' : null,
          }
        doc.sessions = sessions
        return doc
      })
    },
    sessions: (args) =>
      new Promise((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', join(root, 'scripts', 'sessions.ts'), ...args],
          {
            cwd: root,
            env: childEnv,
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        )
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString()
        })
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString()
        })
        child.on('error', reject)
        child.on('close', (code) => resolve({ code, stdout, stderr: stderr.replace(PLAINTEXT_WARNING, '') }))
      }),
    sops(args) {
      const env = { PATH: process.env.PATH, HOME: t.env.HOME, XDG_CONFIG_HOME: t.env.XDG_CONFIG_HOME }
      const out = spawnSync(sopsBinary(), args, { env, encoding: 'utf8' })
      return { code: out.status, stdout: out.stdout, stderr: out.stderr }
    },
  }
}
