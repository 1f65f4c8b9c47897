/**
 * The stack session every infrastructure flow runs in, set up once: the human gate's preflight (CI and agents
 * are refused before any work), the pinned tools prepared, the operator resolved and its store opened with its
 * identity (the passphrase asked once per terminal session: lib/gate/unlock.ts), the stack
 * lock held, credentials loaded and registered with the redactor, and failures recorded on the stack where the
 * flow says its record exists. The flow itself is only its steps.
 */
import { loadCredentials } from '../credentials.ts'
import { GateDeniedError, requireHuman, verifyMayAsk } from '../gate/index.ts'
import { openOperatorStore } from '../gate/unlock.ts'
import type { ProviderModule } from '../providers/types.ts'
import { resolveOperator } from '../state/operator.ts'
import type { OperatorPaths } from '../state/paths.ts'
import type { StateStore } from '../state/store.ts'
import { acquireStackLock } from '../state/workspace.ts'
import { recordFailure } from './record.ts'
import type { Asker } from './requests.ts'
import type { FlowRuntime } from './runtime.ts'

export interface SessionRequest extends Asker {
  command: string
  stackName: string
  /** False only for what needs no approval (planning a local stack): then nothing is gated. */
  gated: boolean
}

export class StackSession {
  constructor(
    readonly rt: FlowRuntime,
    readonly store: StateStore,
    readonly request: SessionRequest,
  ) {}

  get stackName(): string {
    return this.request.stackName
  }

  get operator(): string {
    return this.store.operator
  }

  get paths(): OperatorPaths {
    return this.store.paths
  }

  /** The human gate: show `summary`, and return only once the person typed the stack name. */
  approve(summary: string[]): Promise<void> {
    const { command, yes, stackName } = this.request
    return this.rt.time('human', () =>
      requireHuman({
        command,
        operator: this.operator,
        confirmName: stackName,
        yes,
        out: this.rt.out,
        summary,
        keyring: this.store.keyring,
      }),
    )
  }

  /**
   * The provider's credentials, from the sealed state (else .env or the environment, warned about); each value is
   * registered with the redactor (they reach Terraform as TF_VAR_*).
   */
  async credentials(provider: ProviderModule): Promise<Record<string, string>> {
    const { doc } = await this.store.read()
    const names = provider.credentials.map((c) => c.name)
    const found = loadCredentials(names, { state: doc.credentials }, (line) => this.rt.out.warn(line))
    this.rt.redactor.add(...Object.values(found))
    return found
  }

  /** Run `steps` on the existing record: a failure or interruption in them is recorded on the stack (a refusal
   * at the gate changed nothing, so it is not). */
  async recordingFailures<T>(steps: () => Promise<T>): Promise<T> {
    try {
      return await steps()
    } catch (error) {
      if (!(error instanceof GateDeniedError)) await recordFailure(this.rt, this.store, this.stackName, error)
      throw error
    }
  }
}

/** Run `steps` inside a stack session (see the module comment); the lock is released on every path. */
export async function runStackSession<T>(
  rt: FlowRuntime,
  request: SessionRequest,
  steps: (session: StackSession) => Promise<T>,
): Promise<T> {
  rt.out.step('Preflight: human gate signals, operator state, tools, stack lock')
  const operator = request.gated
    ? await verifyMayAsk({ ...request, confirmName: request.stackName })
    : await resolveOperator({ flag: request.operator })
  // Tools before the passphrase (CI and agents were refused above): on a first run this builds the unlock agent
  // too, so the passphrase typed next is remembered for the terminal session instead of asked again.
  await rt.prepareTools()
  const store = await openOperatorStore({
    operator,
    command: request.command,
    confirmName: request.stackName,
    out: rt.out,
  })

  rt.useStore(store)
  const release = await acquireStackLock(store.paths, request.stackName, request.command)
  try {
    return await steps(new StackSession(rt, store, request))
  } finally {
    await release()
  }
}
