/**
 * The ancestry tripwire's parts: /proc/<pid>/stat parsed with command names that hold spaces and ')', and the
 * agent CLIs recognised by their executable, script or package name — but not a process merely mentioning one.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { detectAncestryReason, matchAgentCli } from '../../lib/gate/ancestry.ts'
import { parseProcStat, readProcStat } from '../../lib/gate/proc.ts'

/** A stat line as the kernel writes it, fields 3.. after the command name. */
function statLine(
  pid: number,
  comm: string,
  ppid: number,
  session: number,
  tty: number,
  start: number,
): string {
  const fields = ['S', ppid, 0, session, tty, -1, 4194304, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 1, 0, start]
  return `${pid} (${comm}) ${fields.join(' ')} 0 0\n`
}

test('stat fields are counted from the last ")": names with spaces and parentheses parse', () => {
  for (const comm of ['bash', 'my cmd', 'a) b (c', ') )', 'x)']) {
    const stat = parseProcStat(statLine(4321, comm, 17, 4300, 34816, 987654))
    assert.equal(stat, {
      pid: 4321,
      name: comm,
      parentPid: 17,
      sessionId: 4300,
      ttyDevice: 34816,
      startTime: 987654,
    })
  }
  assert.is(parseProcStat('garbage'), undefined)
  assert.is(parseProcStat('12 (x) S a b c'), undefined)
})

test("this process's own stat reads back its pid and parent", () => {
  const own = readProcStat('self')
  assert.is(own?.pid, process.pid)
  assert.is(own?.parentPid, process.ppid)
})

const stat = (name: string) => ({ pid: 9, name, parentPid: 1, sessionId: 9, ttyDevice: 0, startTime: 1 })

test('agent CLIs are recognised by comm, executable, script path or package', () => {
  const cases: [string, string[], string][] = [
    ['claude', ['claude', '--print'], 'claude'],
    ['node', ['node', '/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js'], 'claude'],
    ['node', ['/usr/bin/node', '/home/u/.npm/_npx/1/node_modules/@openai/codex/bin/codex.js'], 'codex'],
    ['cursor-agent', ['/opt/cursor-agent'], 'cursor-agent'],
    ['node', ['node', '/usr/local/lib/node_modules/@google/gemini-cli/dist/index.js'], 'gemini'],
    ['python3', ['/usr/bin/python3', '/home/u/.local/bin/aider'], 'aider'],
    ['goose', ['goose', 'session'], 'goose'],
    ['opencode', ['opencode'], 'opencode'],
    ['node', ['node', '/x/node_modules/@github/copilot/index.js'], 'copilot'],
    ['amp', ['amp'], 'amp'],
    ['devin', ['devin'], 'devin'],
  ]
  for (const [comm, argv, agent] of cases) assert.is(matchAgentCli(stat(comm), argv), agent, argv.join(' '))
})

test('ordinary processes, and ones that only mention an agent in later arguments, are not agents', () => {
  assert.is(matchAgentCli(stat('bash'), ['bash', '-c', 'claude --help']), undefined)
  assert.is(matchAgentCli(stat('vim'), ['vim', 'notes-about-codex.md']), undefined)
  assert.is(matchAgentCli(stat('node'), ['node', '/srv/app/server.js']), undefined)
  assert.is(matchAgentCli(stat('node'), ['node', '/home/u/projects/amp/server.js']), undefined)

  assert.is(matchAgentCli(stat('sshd'), ['sshd: alice [priv]']), undefined)
})

test('the reason names the ancestor and its pid; a clean chain gives none', () => {
  const chain = [
    { stat: stat('bash'), argv: ['bash'] },
    {
      stat: { ...stat('node'), pid: 77 },
      argv: ['node', '/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js'],
    },
  ]
  const reason = detectAncestryReason(chain)
  assert.is(reason?.code, 'agent')
  assert.match(reason?.text ?? '', 'ancestor process 77 (node) is claude')
  assert.equal(reason?.signals, ['ancestor claude'])
  assert.is(detectAncestryReason([{ stat: stat('bash'), argv: ['bash'] }]), undefined)
})

test.run()
