/**
 * CI and AI-agent signals. Our own variable lists are checked together with std-env and
 * @vercel/detect-agent, because no single source covers the union (docs/spec.md, "Human gate"). Only
 * variable NAMES are ever reported: AI_AGENT's value, for example, is free text and stays out of logs.
 * Both packages read the live process.env, so the detectors do too; the find* helpers take any env.
 */
import { existsSync } from 'node:fs'
import { determineAgent } from '@vercel/detect-agent'
import { detectAgent, detectProvider } from 'std-env'
import type { GateReason } from './errors.ts'

/** Present with ANY value (also empty, also `CI=false`) means CI. */
export const CI_VARIABLES = [
  'CI',
  'CONTINUOUS_INTEGRATION',
  'BUILD_ID',
  'BUILD_NUMBER',
  'RUN_ID',
  'GITHUB_ACTIONS',
  'GITLAB_CI',
  'BUILDKITE',
  'JENKINS_URL',
  'TF_BUILD',
  'CIRCLECI',
] as const

/** Present with any value means an AI coding agent (anchors §5.1 and §5.4: both packages and the agents' own). */
export const AGENT_VARIABLES = [
  'AI_AGENT',
  'AGENT',
  'CLAUDECODE',
  'CLAUDE_CODE',
  'CLAUDE_CODE_IS_COWORK',
  'CURSOR_AGENT',
  'CURSOR_TRACE_ID',
  'GEMINI_CLI',
  'ANTIGRAVITY_AGENT',
  'AUGMENT_AGENT',
  'GOOSE_PROVIDER',
  'GOOSE_TERMINAL',
  'AMP_CURRENT_THREAD_ID',
  'CODEIUM_EDITOR_APP_ROOT',
  'REPL_ID',
] as const

/**
 * Vendor families whose every variable is an agent signal: CODEX_SANDBOX, CODEX_THREAD_ID, CODEX_CI,
 * COPILOT_AGENT, COPILOT_CLI, COPILOT_MODEL, …
 */
export const AGENT_PREFIXES = ['CODEX_', 'OPENCODE', 'COPILOT_', 'JUNIE_'] as const

/** Files an agent's sandbox leaves behind. */
export const AGENT_FILES = ['/opt/.devin'] as const

/** Names of the CI variables present in `env`, in CI_VARIABLES order. */
export function findCiVariables(env: NodeJS.ProcessEnv): string[] {
  return CI_VARIABLES.filter((name) => env[name] !== undefined)
}

/** Names of the agent variables present in `env`, sorted. */
export function findAgentVariables(env: NodeJS.ProcessEnv): string[] {
  const found = new Set<string>(AGENT_VARIABLES.filter((name) => env[name] !== undefined))
  for (const name of Object.keys(env)) {
    if (AGENT_PREFIXES.some((prefix) => name.startsWith(prefix))) found.add(name)
  }
  if (env.CURSOR_EXTENSION_HOST_ROLE === 'agent-exec') found.add('CURSOR_EXTENSION_HOST_ROLE')
  return [...found].sort()
}

/**
 * The CI reason, if any. std-env's provider table is re-run now (its exported `isCI` is frozen at import);
 * a provider it knows as non-CI (a Vercel or Netlify dev shell) does not count on its own.
 */
export function detectCiReason(): GateReason | undefined {
  const signals = findCiVariables(process.env)
  const provider = detectProvider()
  if (provider.ci !== false) signals.push(`std-env provider ${provider.name || 'unknown'}`)
  if (signals.length === 0) return undefined
  const named = signals.filter((s) => !s.startsWith('std-env'))
  const text =
    named.length > 0
      ? `This looks like a CI job: ${named.join(', ')} ${named.length === 1 ? 'is' : 'are'} set (any value counts, also CI=false).`
      : 'This looks like a CI job: std-env recognises a CI provider in the environment.'
  return { code: 'ci', text, signals }
}

/** The AI-agent reason, if any: our variables and files, std-env's detectAgent() and detect-agent's determineAgent(). */
export async function detectAgentReason(): Promise<GateReason | undefined> {
  const signals = [...findAgentVariables(process.env), ...AGENT_FILES.filter((f) => existsSync(f))]
  const variables = signals.length
  if (detectAgent().name !== undefined) signals.push('std-env detectAgent')
  if ((await determineAgent()).isAgent) signals.push('@vercel/detect-agent')
  if (signals.length === 0) return undefined
  const text =
    variables > 0
      ? `An AI coding agent is running this command: ${signals.slice(0, variables).join(', ')} ${variables === 1 ? 'is' : 'are'} set.`
      : `An AI coding agent is running this command (detected by ${signals.join(' and ')}).`
  return { code: 'agent', text, signals }
}
