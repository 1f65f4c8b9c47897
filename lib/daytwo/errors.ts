/** The errors of the day-two commands: a stack with nothing to reach, a missing container, busy ports, a second connect. */
import { CliError, ExitCode } from '../errors.ts'

export class ContainerNotFoundError extends CliError {
  constructor(container: string, stack: string) {
    super(`The app container ${container} of stack ${stack} does not exist on its host.`, {
      hint: 'It was removed outside this tool: `npm run cloud:status -- --refresh` shows the drift, `npm run cloud:up` recreates it.',
      exitCode: ExitCode.notFound,
    })
  }
}

export class AlreadyConnectedError extends CliError {
  constructor(stack: string, pid: number) {
    super(`Stack ${stack} already has an open connection (ssh pid ${pid}).`, {
      hint: `Use it, or end it first with \`npm run cloud:connect -- --stack-name ${stack} --close\`.`,
      exitCode: ExitCode.failure,
    })
  }
}

export class PortsBusyError extends CliError {
  constructor(readonly ports: readonly number[]) {
    super(`Local port${ports.length > 1 ? 's' : ''} ${ports.join(', ')} already in use on 127.0.0.1.`, {
      hint: 'Stop what listens there (see `ss -ltnp`), close an older tunnel with `npm run cloud:connect -- --close`, or drop --strict-ports to get free ports instead.',
      exitCode: ExitCode.failure,
    })
  }
}

export class StackNotReadyError extends CliError {
  constructor(stack: string, status: string) {
    super(`Stack ${stack} is ${status}: it has no running app to reach.`, {
      hint: `Bring it up with \`npm run cloud:up -- --stack-name ${stack}\`, or see \`npm run cloud:status\`.`,
      exitCode: ExitCode.notFound,
    })
  }
}
