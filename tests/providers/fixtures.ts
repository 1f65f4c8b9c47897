/** A host-input request with deterministic values, for the provider modules' exact-input tests. */
import type { HostInputRequest } from '../../lib/providers/types.ts'
import { HOST_KEY, OPERATOR_KEY } from '../infra/fixtures.ts'

export function buildHostRequestFixture(credentials: Record<string, string>): HostInputRequest {
  return {
    stackName: 'lab',
    env: 'qa',
    size: 'cx33',
    location: 'nbg1',
    operatorPublicKey: OPERATOR_KEY,
    hostKey: HOST_KEY,
    sshSourceRanges: ['203.0.113.7/32'],
    credentials,
  }
}

/** The parsed cloud-config's parts every host gets (values pinned here, not rendered by the code under test). */
export const HOST_USER_DATA = {
  ssh_pwauth: false,
  ssh_keys: { ed25519_private: HOST_KEY.privateKey, ed25519_public: HOST_KEY.publicKey },
  deployUser: {
    name: 'deploy',
    shell: '/bin/bash',
    lock_passwd: true,
    ssh_authorized_keys: [OPERATOR_KEY],
  },
  packages: ['docker.io', 'nftables'],
}
