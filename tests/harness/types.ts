/**
 * The test bench (`startBench` in tests/harness/hosts.ts). Each host looks like a fresh cloud VM after cloud-init: own network namespace and address, sshd with a
 * host key generated beforehand, a non-root `deploy` user in the `docker` group, dockerd with its own data
 * root and socket, and the reference debug-server image (lib/image) loaded.
 */
export interface TestHost {
  name: string
  /** Network namespace name (`ip netns`). */
  netns: string
  /** The host's address, reachable from the root namespace. */
  address: string
  sshPort: number
  sshUser: string
  /** Private key file (0600) of the operator that may log in as sshUser. */
  clientKeyPath: string
  /** The host's ed25519 public host key, `ssh-ed25519 AAAA…`. */
  hostPublicKey: string
  /** A known_hosts file (0600) pinning exactly this host's key for `address`. */
  knownHostsPath: string
  /** `ssh://deploy@address:port` */
  dockerHost: string
  /** ssh options pinning the host key and the client key, for the docker provider's ssh_opts. */
  sshOpts: string[]
  /** The reference debug server image loaded on this host, usable in `docker run` / the module's app_image. */
  image: string
  /** Run a command on the host as root inside its namespace (for fault injection). */
  exec(argv: string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }>
  /** Stop sshd (the host stops answering) without cleaning up. */
  stopSsh(): Promise<void>
  /**
   * What the real `cloud-init status --wait` on the host reports: 'done' (the default, a finished boot) or
   * 'running' (stuck in modules-final until set back), for the "host never ready" fault test.
   */
  setCloudInitStatus(status: 'running' | 'done'): Promise<void>
  /** The host's dockerd socket, reachable from the root namespace (for debugging and assertions). */
  dockerSocket: string
  /** Directory with the host's dockerd.log, sshd.log, config and keys. */
  logDir: string
}

export interface TestBench {
  hosts: TestHost[]
  /** Stops every process and removes namespaces, mounts and temp dirs. Idempotent. */
  stop(): Promise<void>
}
