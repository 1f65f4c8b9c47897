/**
 * `npm run credentials -- set|list|remove`: the operator's provider credentials in the sealed state. A value is
 * typed hidden on the terminal or read from a file (never from argv or the environment), and is never printed.
 */
import { readFile } from 'node:fs/promises'
import { closest } from './cli/args.ts'
import { formatTable, type Output } from './cli/output.ts'
import { locateCredentials } from './credentials.ts'
import type { CredentialVerb } from './credentials-verbs.ts'
import { UsageError } from './errors.ts'
import { refuse } from './gate/index.ts'
import { askHidden } from './gate/prompt.ts'
import { PROVIDERS, providerModule } from './providers/index.ts'
import type { StateStore } from './state/store.ts'

export { CREDENTIAL_VERBS, type CredentialVerb } from './credentials-verbs.ts'

/** Every credential name some provider asks for, with the providers that ask. */
export function knownCredentials(): Map<string, string[]> {
  const known = new Map<string, string[]>()
  for (const p of PROVIDERS)
    for (const c of providerModule(p).credentials) known.set(c.name, [...(known.get(c.name) ?? []), p])
  return known
}

function verifyName(name: string | undefined): string {
  const known = [...knownCredentials().keys()]
  if (name !== undefined && known.includes(name)) return name
  const suggestion = name === undefined ? undefined : closest(name, known)
  throw new UsageError(
    name === undefined
      ? 'Name the credential, e.g. HCLOUD_TOKEN.'
      : `${name} is not a credential any provider uses.`,
    suggestion ? `Did you mean ${suggestion}? Known: ${known.join(', ')}.` : `Known: ${known.join(', ')}.`,
  )
}

/** The value: the file's content without its final line break, or typed hidden on the terminal. */
async function readValue(store: StateStore, name: string, fromFile: string | undefined): Promise<string> {
  if (fromFile !== undefined) return (await readFile(fromFile, 'utf8')).replace(/\r?\n$/, '')
  const asked = await askHidden(`value of ${name}`, `${name} (typed hidden):`)
  if ('reason' in asked)
    return refuse({ command: 'credentials set', operator: store.operator, confirmName: name, yes: false }, [
      asked.reason,
    ])
  return asked.answer
}

export interface CredentialsRequest {
  store: StateStore
  out: Output
  verb: CredentialVerb
  args: string[]
  fromFile: string | undefined
}

/** Run one verb; returns the exit code. */
export async function runCredentials(req: CredentialsRequest): Promise<number> {
  const { store, out } = req
  if (req.verb === 'list') {
    const { doc } = await store.read()
    const known = knownCredentials()
    const located = locateCredentials([...known.keys()], { state: doc.credentials })
    const rows = [...known].map(([name, providers]) => ({
      name,
      providers,
      source: located[name]?.source ?? null,
    }))
    if (out.json) out.emitJson({ ok: true, credentials: rows })
    else
      out.data(
        formatTable(
          ['NAME', 'PROVIDERS', 'WHERE'],
          rows.map((r) => [r.name, r.providers.join(','), r.source ?? '-']),
        ),
      )
    return 0
  }
  const name = verifyName(req.args[0])
  if (req.args.length > 1) throw new UsageError(`Unexpected argument "${req.args[1]}".`, 'Give one name.')
  if (req.verb === 'remove') {
    await store.update((d) => {
      delete d.credentials[name]
      return d
    })
    out.success(`${name} is no longer in your sealed state.`)
    return 0
  }
  const value = await readValue(store, name, req.fromFile)
  if (value === '') throw new UsageError(`The value of ${name} is empty; nothing was stored.`)
  await store.update((d) => {
    d.credentials[name] = value
    return d
  })
  out.success(
    `${name} is stored in your sealed state (${store.paths.state}). Delete any copy in .env or your shell.`,
  )
  return 0
}
