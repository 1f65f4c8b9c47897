/**
 * `npm run tools`: build the pinned tools (sops, OpenTofu, the providers) and the unlock agent into the
 * cache, or print where a pinned tool is with `--which <name>`.
 */
import { runMain } from '../lib/cli/main.ts'
import { UsageError } from '../lib/errors.ts'
import { isToolName, listTools } from '../lib/tools/spec.ts'

const names = listTools().map((t) => t.name)

const spec = {
  name: 'npm run tools --',
  summary:
    'Build the pinned tools from the Go module proxy, and the unlock agent from lib/gate/agent, into the tool cache (quick when cached).',
  flags: {
    which: {
      type: 'string',
      description: 'Print the path of one pinned binary and exit.',
      choices: names,
    },
  },
  exitCodes: ['ok', ['toolMissing', 'a tool is missing or failed to build'], 'usage'],
  details: `Tools: ${names.join(', ')} (versions in lib/tools/versions.json).`,
} as const

await runMain(spec, async ({ flags, positionals, out }) => {
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`)
  const { whichTool } = await import('../lib/tools/stamp.ts')
  if (flags.which !== undefined) {
    if (!isToolName(flags.which)) throw new UsageError(`Unknown tool "${flags.which}".`)
    const path = whichTool(flags.which)
    if (flags.json) out.emitJson({ ok: true, name: flags.which, path })
    else out.data(path)
    return 0
  }
  const { installTools } = await import('../lib/tools/install.ts')
  const { realProc } = await import('../lib/proc.ts')
  const results = await installTools({ proc: realProc, out })
  if (flags.json) out.emitJson({ ok: true, tools: results })
  return 0
})
