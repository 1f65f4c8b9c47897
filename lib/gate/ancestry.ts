/**
 * One more tripwire: the processes this command descends from. An AI agent CLI that runs the command (even in
 * a pseudo-terminal of its own, with a clean environment) is usually still an ancestor. The ancestors' command
 * names and first arguments are compared with known agent CLIs. Like the variables, a tripwire: a process can
 * rename itself or start the command from a detached daemon (docs/spec.md, "Honest limits").
 */
import { basename } from 'node:path'
import type { GateReason } from './errors.ts'
import { type ProcStat, readProcCommandLine, readProcStat } from './proc.ts'

/** Agent CLIs by the name a person knows them by, with the executable or package names that give them away. */
export const AGENT_CLIS: Readonly<Record<string, readonly string[]>> = {
  claude: ['claude', 'claude-code', '@anthropic-ai/claude-code'],
  codex: ['codex', '@openai/codex'],
  'cursor-agent': ['cursor-agent'],
  gemini: ['gemini', '@google/gemini-cli'],
  aider: ['aider', 'aider-chat'],
  goose: ['goose'],
  opencode: ['opencode', 'opencode-ai'],
  copilot: ['copilot', 'github-copilot-cli', '@github/copilot'],
  amp: ['amp', '@sourcegraph/amp'],
  devin: ['devin'],
}

/** Ancestors further up than this are not looked at (a loop in /proc would be a kernel bug, not a reason). */
const MAX_DEPTH = 64

/** What of a process is compared: its comm name, the file names of its first two arguments, their npm package. */
function namesOf(stat: ProcStat, argv: readonly string[]): string[] {
  const names = [stat.name]
  for (const arg of argv.slice(0, 2)) {
    names.push(basename(arg).replace(/\.(m?js|cjs|py|exe)$/, ''))
    // …/node_modules/@scope/package/… → "@scope/package", …/node_modules/package/… → "package"
    const parts = arg.split('/')
    const at = parts.lastIndexOf('node_modules')
    const first = parts[at + 1]
    if (at >= 0 && first) names.push(first.startsWith('@') ? `${first}/${parts[at + 2] ?? ''}` : first)
  }
  return names
}

/** The agent CLI a process is, if any. */
export function matchAgentCli(stat: ProcStat, argv: readonly string[]): string | undefined {
  const names = namesOf(stat, argv)
  return Object.keys(AGENT_CLIS).find((agent) => AGENT_CLIS[agent]?.some((n) => names.includes(n)))
}

/** This process's ancestors, nearest first: pid, stat and argv, up to (not including) pid 1. */
export function readAncestors(from: number = process.ppid): { stat: ProcStat; argv: string[] }[] {
  const chain: { stat: ProcStat; argv: string[] }[] = []
  for (let pid = from; pid > 1 && chain.length < MAX_DEPTH; ) {
    const stat = readProcStat(pid)
    if (stat === undefined) break
    chain.push({ stat, argv: readProcCommandLine(pid) })
    pid = stat.parentPid
  }
  return chain
}

/** The ancestry reason, if any ancestor is a known agent CLI: named, with its pid. */
export function detectAncestryReason(ancestors = readAncestors()): GateReason | undefined {
  for (const { stat, argv } of ancestors) {
    const agent = matchAgentCli(stat, argv)
    if (agent !== undefined)
      return {
        code: 'agent',
        text: `An AI coding agent started this command: ancestor process ${stat.pid} (${stat.name}) is ${agent}.`,
        signals: [`ancestor ${agent}`],
      }
  }
  return undefined
}
