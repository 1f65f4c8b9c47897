/** The errors of reaching a host over SSH: a key that does not match its pin, a host not ready, a tunnel, health. */
import { CliError, ExitCode } from '../errors.ts'

export class HostKeyMismatchError extends CliError {
  constructor(readonly host: string) {
    super(`The SSH host key of ${host} does not match the key pinned for it: refusing to connect.`, {
      hint:
        'Someone may be intercepting the connection, or the host was rebuilt outside this tool. Check the host ' +
        'console; if the rebuild was yours, run `npm run cloud:status -- --refresh` and re-run `cloud:up`.',
      exitCode: ExitCode.hostKeyMismatch,
    })
  }
}

export class HostNotReadyError extends CliError {
  constructor(host: string, seconds: number, lastProblem: string) {
    super(`${host} was not ready after ${seconds}s: ${lastProblem}`, {
      hint: 'The VM may still be booting or cloud-init failed. Re-run the same command to resume waiting, or look at /var/log/cloud-init-output.log on the host.',
      exitCode: ExitCode.hostNotReady,
    })
  }
}

/** cloud-init finished with an error: waiting longer cannot help, so it is reported at once in its words. */
export class CloudInitError extends CliError {
  constructor(host: string, detail: readonly string[]) {
    super(`cloud-init on ${host} reported an error:\n${detail.map((l) => `  ${l}`).join('\n')}`, {
      hint: 'The user data failed on the host: see /var/log/cloud-init-output.log there (`ssh` in with the pinned key works once sshd runs). Fix the cause and re-run `cloud:up`, or run `cloud:destroy`.',
      exitCode: ExitCode.hostNotReady,
    })
  }
}

export class WaitInterruptedError extends CliError {
  constructor(host: string) {
    super(`Interrupted while waiting for ${host}.`, {
      hint: 'Nothing was left half-done by the wait itself; run the same command again to resume.',
      exitCode: ExitCode.interrupted,
    })
  }
}

export class HealthCheckError extends CliError {
  constructor(url: string, seconds: number, lastProblem: string) {
    super(`The debug server did not become healthy at ${url} within ${seconds}s: ${lastProblem}`, {
      hint: 'Look at the container output with `npm run cloud:logs -- --stack-name <name>`; re-run cloud:up once fixed.',
      exitCode: ExitCode.healthCheckFailed,
    })
  }
}

export class TunnelError extends CliError {
  constructor(host: string, detail: string) {
    super(`Could not open the SSH tunnel to ${host}: ${detail}`, {
      hint: 'A local port may be in use (try other ports), or the host does not answer SSH: run `npm run cloud:status -- --refresh`.',
      exitCode: ExitCode.failure,
    })
  }
}
