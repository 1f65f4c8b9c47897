/**
 * A ServerFarm of booted machines (tests/harness/machine.ts): each server a stand-in creates is a Debian 12
 * machine with systemd as PID 1 in which the real cloud-init runs the user data the provider sent — Docker
 * installed from Debian's packages, the pinned host key, the deploy user, nftables on Contabo. Deleting the
 * server powers the machine off and removes it. The faults change what the machine receives, so real
 * cloud-init acts them out: `foreignHostKey` (another key in the user data), `cloudInitStuck` (a runcmd that
 * never ends), `cloudInitFails` (a runcmd that fails), `bootDelayMs`.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { parse, stringify } from 'yaml'
import { generateHostKey } from '../../lib/infra/host-key.ts'
import { type Machine, startMachine } from '../harness/machine.ts'
import type { BootRequest, ServerBackend, ServerFarm } from './backend.ts'

/** The user data with the faults applied (it stays a #cloud-config document). */
function withFaults(
  userData: string,
  faults: { foreignHostKey: boolean; cloudInitStuck: boolean; cloudInitFails: boolean },
): string {
  if (!faults.foreignHostKey && !faults.cloudInitStuck && !faults.cloudInitFails) return userData
  const doc = parse(userData) as Record<string, unknown>
  if (faults.foreignHostKey) {
    const other = generateHostKey('not-the-pinned-key')
    doc.ssh_keys = { ed25519_private: other.privateKey, ed25519_public: other.publicKey }
  }
  const runcmd = Array.isArray(doc.runcmd) ? doc.runcmd : []
  if (faults.cloudInitStuck) doc.runcmd = [['sleep', '86400'], ...runcmd]
  if (faults.cloudInitFails)
    doc.runcmd = [...runcmd, ['sh', '-c', 'echo "debug-cloud test: this step fails" >&2; exit 3']]
  return `#cloud-config\n${stringify(doc)}`
}

export class BootedMachines implements ServerFarm {
  foreignHostKey = false
  cloudInitStuck = false
  cloudInitFails = false
  bootDelayMs = 0
  readonly requests: BootRequest[] = []
  private readonly running = new Map<string, Machine>()

  get inUse(): string[] {
    return [...this.running.keys()]
  }

  dockerSocketOf(address: string): string | undefined {
    return this.running.get(address)?.dockerSocket
  }

  readonly backend: ServerBackend = async (request) => {
    this.requests.push(request)
    await sleep(this.bootDelayMs)
    const machine = await startMachine({
      serverName: request.serverName,
      userData: withFaults(request.userData, this),
    })
    this.running.set(machine.address, machine)
    return {
      address: machine.address,
      stop: async () => {
        this.running.delete(machine.address)
        await machine.stop()
      },
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.running.values()].map((m) => m.stop()))
    this.running.clear()
  }
}
