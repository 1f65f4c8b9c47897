/**
 * Loud skips. A test that cannot run here is registered with uvu's `test.skip` (so it is counted) and a
 * `SKIP: <file>: <test>: <reason>` line goes to stderr, which the runner lists in its summary.
 * The only reason a suite may give is that the machine cannot run it (for example: not root).
 */
import { basename } from 'node:path'
import type { Test } from 'uvu'

/** Why root-only tests (namespaces, dockerd, sshd) cannot run here, or undefined when they can. */
export function whyNotRoot(): string | undefined {
  return process.getuid?.() === 0
    ? undefined
    : 'needs root (network namespaces, sshd, dockerd); CI runs as root'
}

/** Register `fn` as a test, or as a loud, counted skip when `reason` is set. */
export function testUnless(
  suite: Test,
  reason: string | undefined,
  name: string,
  fn: () => void | Promise<void>,
  file: string = basename(process.argv[1] ?? 'test'),
): void {
  if (reason === undefined) {
    suite(name, fn)
    return
  }
  process.stderr.write(`SKIP: ${file}: ${name}: ${reason}\n`)
  suite.skip(name, fn)
}
