/**
 * The `state` verbs and `operator:init` through the real scripts, with a SEALED identity: every command runs in a
 * real pseudo-terminal with a clean environment, where the passphrase is typed as a person would (once per
 * terminal session: later commands of the session use the unlock), and verbs that show secrets or decide what
 * the state is also need the operator's name typed. The real sops reads the state only with the passphrase.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { VerifiedFile } from '../../lib/state/store.ts'
import { sopsBinary, toolCacheRoot } from '../../lib/tools/paths.ts'
import { answerPassphrase, PASSPHRASE_PROMPT, testPassphrase } from '../helpers/operator.ts'
import { spawnPty, spawnTsxPty, TSX } from '../helpers/pty.ts'
import { makeTempEnv } from './env.ts'

const root = join(import.meta.dirname, '..', '..')
const t = makeTempEnv()
test.after(() => t.cleanup())
const passphrase = testPassphrase()
const env: Record<string, string> = {
  ...(t.env as Record<string, string>),

  XDG_CACHE_HOME: join(toolCacheRoot(), '..', '..'),
  TERM: 'xterm',
}
const stateFile = join(t.secrets, 'operators/alice/state.sops.yaml')

interface Ran {
  code: number
  stdout: string
  stderr: string
}

/**
 * Run `commands` (argv lists of our scripts) one after another in ONE terminal session, stdout and stderr of each
 * to files, the passphrase typed when asked (the first command unlocks the session for the rest).
 */
async function inSession(...commands: string[][]): Promise<Ran[]> {
  const lines = commands.map(
    (argv, i) =>
      `"$TSX" ${argv.map((a) => `'${a}'`).join(' ')} >"$DIR/out${i}" 2>"$DIR/err${i}"; echo "EXIT${i}=$?"`,
  )
  const session = answerPassphrase(
    spawnPty(['/bin/bash', '--noprofile', '--norc', '-c', lines.join('\n')], {
      env: { ...env, TSX, DIR: t.dir },
    }),
    passphrase,
  )
  await session.exitCode(120_000)
  return commands.map((_, i) => ({
    code: Number(new RegExp(`EXIT${i}=(\\d+)`).exec(session.transcript)?.[1] ?? -1),
    stdout: readFileSync(join(t.dir, `out${i}`), 'utf8'),
    stderr: readFileSync(join(t.dir, `err${i}`), 'utf8'),
  }))
}

const state = (...args: string[]) => ['scripts/state.ts', ...args, '--operator', 'alice']

/** One command whose output is read from files, in its own session (the passphrase typed when asked). */
async function run(argv: string[]): Promise<Ran> {
  const [ran] = await inSession(argv)
  return ran as Ran
}

/**
 * A verb that shows secrets or decides what the state is, in a pty: the passphrase, then the operator name, as
 * a person types them (and the passphrase again where the real sops asks it itself, in `edit`). Its output is
 * the terminal transcript after the approval.
 */
async function approvedState(args: string[], extra: Record<string, string> = {}) {
  const session = answerPassphrase(
    spawnTsxPty(join(root, 'scripts', 'state.ts'), [...args, '--operator', 'alice'], {
      env: { ...env, ...extra },
    }),
    passphrase,
  )
  session.answerWhenAsked(/Enter passphrase for identity/, /\n/, passphrase)
  await session.expect('Type alice to continue', 60_000)
  session.type('alice\r')
  await session.expect('Approved by you.')
  const code = await session.exitCode(60_000)
  const { signal } = await session.exited
  const transcript = session.transcript
  return {
    code,
    signal,
    output: transcript.slice(transcript.indexOf('Approved by you.') + 'Approved by you.'.length),
    session,
  }
}

test('operator:init seals the identity with the passphrase typed twice; short or empty ones are asked again', async () => {
  const session = spawnTsxPty('scripts/operator-init.ts', ['--operator', 'alice', '--json'], { env })
  await session.expect('New passphrase')
  session.type('\r')
  await session.expect('use at least 12')
  await session.expect('New passphrase')
  session.type('short\r')
  await session.expect('use at least 12')
  await session.expect('New passphrase')
  session.type(`${passphrase}\r`)
  await session.expect('The same passphrase again')
  session.type(`${passphrase}\r`)
  assert.is(await session.exitCode(60_000), 0, session.transcript)
  const keys = readFileSync(t.keysFile, 'utf8')
  assert.match(keys, /^-----BEGIN AGE ENCRYPTED FILE-----/)
  assert.not.match(keys, 'AGE-SECRET-KEY')
  const [again, bad] = await inSession(
    ['scripts/operator-init.ts', '--operator', 'alice'],
    ['scripts/operator-init.ts', '--operator', 'a b'],
  )
  assert.is(again?.code, 64)
  assert.match(again?.stderr ?? '', 'already exists')
  assert.is(bad?.code, 64)
  assert.match(bad?.stderr ?? '', 'not allowed')
})

test('operator:init refuses a passphrase from anywhere but a terminal (piped stdin, CI)', async () => {
  const other = makeTempEnv()
  try {
    const piped = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/operator-init.ts', '--operator', 'bob'],
      {
        cwd: root,
        env: { ...other.env },
        input: `${passphrase}\n${passphrase}\n`,
        encoding: 'utf8',
      },
    )
    assert.ok(piped.status !== null && piped.status >= 41 && piped.status <= 49, piped.stderr)
    const ci = spawnTsxPty('scripts/operator-init.ts', ['--operator', 'bob'], {
      env: { ...(other.env as Record<string, string>), CI: 'true' },
    })
    assert.is(await ci.exitCode(), 41, ci.transcript)
    assert.not.match(ci.transcript, 'New passphrase')
  } finally {
    other.cleanup()
  }
})

test('the real sops reads the state only with the passphrase, typed on the terminal', async () => {
  const [pinned] = await inSession(['scripts/sessions.ts', 'pin', 'warmup', '--stack', 'none'])
  assert.is(pinned?.code, 66, 'a write needs a stack; the session was unlocked all the same')
  await inSession(['scripts/credentials.ts', 'list'])
  // Any state write creates the file; credentials set reads the value from a file.
  writeFileSync(join(t.dir, 'token.txt'), `${'h'.repeat(64)}\n`, { mode: 0o600 })
  const [set] = await inSession([
    'scripts/credentials.ts',
    'set',
    'HCLOUD_TOKEN',
    '--from-file',
    join(t.dir, 'token.txt'),
  ])
  assert.is(set?.code, 0, set?.stderr)
  const sopsEnv = {
    PATH: env.PATH ?? '',
    HOME: env.HOME ?? '',
    XDG_CONFIG_HOME: env.XDG_CONFIG_HOME ?? '',
    GPG_AGENT_INFO: '/nonexistent',
  }
  const noTerminal = spawnSync(sopsBinary(), ['-d', stateFile], { env: sopsEnv, encoding: 'utf8', input: '' })
  assert.ok(noTerminal.status !== 0, 'without the passphrase sops cannot open it')
  const wrong = spawnPty([sopsBinary(), '-d', stateFile], { env: sopsEnv })
  await wrong.expect(/Enter passphrase for identity/)
  wrong.type('not the passphrase\r')
  assert.ok((await wrong.exitCode()) !== 0)
  const right = spawnPty([sopsBinary(), '-d', stateFile], { env: sopsEnv })
  await right.expect(/Enter passphrase for identity/)
  right.type(`${passphrase}\r`)
  assert.is(await right.exitCode(), 0, right.transcript)
  assert.match(right.transcript, 'HCLOUD_TOKEN:')
})

test('edit through the real sops edit (which asks the passphrase itself): valid kept and sealed, invalid rolled back', async () => {
  const editor = join(t.dir, 'add-stack.sh')
  const stack = `  lab:\\n    provider: local\\n    env: dev\\n    status: planned\\n    createdAt: "2025-01-01T00:00:00Z"\\n    updatedAt: "2025-01-01T00:00:00Z"\\n    image: img\\n    ports: []\\n    size: null\\n    location: null\\n    address: null\\n    ssh: null\\n    dockerHost: null\\n    endpoints: []\\n    tokens:\\n      api: sekrit-api\\n      runner: sekrit-runner\\n    providerIds: {}\\n    outputs: {}\\n    terraform:\\n      statePassphrase: sekrit-pass\\n    lastError: null\\n    releasedAt: null\\n`
  writeFileSync(
    editor,
    `#!/bin/sh\nsed -i 's/^stacks: {}$/stacks:/' "$1"\nawk -v s="${stack}" '{print} /^stacks:$/{printf "%s", s}' "$1" > "$1.new" && cat "$1.new" > "$1" && rm "$1.new"\n`,
    { mode: 0o755 },
  )
  const ok = await approvedState(['edit'], { EDITOR: editor })
  assert.is(ok.code, 0, ok.output)
  const [shown, verified] = await inSession(state('show', '--json'), state('verify', '--json'))
  assert.is(JSON.parse(shown?.stdout ?? '').stacks.lab.status, 'planned')
  assert.ok(JSON.parse(verified?.stdout ?? '').ok, 'the edit is sealed by the identity')
  const before = readFileSync(stateFile, 'utf8')
  const breaker = join(t.dir, 'break.sh')
  writeFileSync(breaker, '#!/bin/sh\nsed -i "s/status: planned/status: exploded/" "$1"\n', { mode: 0o755 })
  const bad = await approvedState(['edit'], { EDITOR: breaker })

  assert.is(bad.code, 31, bad.output)
  assert.match(bad.output, 'stacks.lab.status: expected one of planned')
  assert.is(readFileSync(stateFile, 'utf8'), before)
})

test('edit without sops: a private temp file, validated, removed on every exit path', async () => {
  const noSops = { XDG_CACHE_HOME: join(t.dir, 'no-tools') }
  const editor = join(t.dir, 'fallback.sh')
  writeFileSync(
    editor,
    `#!/bin/sh\nstat -c %a "$1" > ${t.dir}/mode\nstat -c %a "$(dirname "$1")" >> ${t.dir}/mode\nsed -i "s/image: img/image: img2/" "$1"\n`,
    { mode: 0o755 },
  )
  const ok = await approvedState(['edit'], { ...noSops, EDITOR: editor })
  assert.is(ok.code, 0, ok.output)
  assert.is(readFileSync(join(t.dir, 'mode'), 'utf8'), '600\n700\n')
  assert.is(JSON.parse((await run(state('show', '--json'))).stdout).stacks.lab.image, 'img2')
  const failing = join(t.dir, 'fail.sh')
  writeFileSync(failing, '#!/bin/sh\nexit 3\n', { mode: 0o755 })
  const bad = await approvedState(['edit'], { ...noSops, EDITOR: failing })
  assert.is(bad.code, 1)
  assert.match(bad.output, 'exited with 3; nothing was changed')
  assert.equal(
    readdirSync(t.env.TMPDIR ?? '').filter((n) => n.startsWith('debug-cloud-edit-')),
    [],
    'no temp file left',
  )
  assert.equal(editDirs(), [], 'no private edit directory left')
})

const operatorDir = () => join(t.secrets, 'operators', 'alice')
const editDirs = () => readdirSync(operatorDir()).filter((n) => n.startsWith('edit-'))

test('edit without sops killed by SIGKILL: the plaintext stays in the 0700 operator directory, the next edit removes it', async () => {
  const noSops = { XDG_CACHE_HOME: join(t.dir, 'no-tools') }
  const killer = join(t.dir, 'killer.sh')
  // The editor's parent is the node process of state.ts (lib/proc execs the editor in place of its shell).
  writeFileSync(killer, `#!/bin/sh\necho "$1" > ${t.dir}/edited-path\nkill -KILL $PPID\n`, { mode: 0o755 })
  const killed = await approvedState(['edit'], { ...noSops, EDITOR: killer })
  assert.is(killed.signal, 9, `ended by the SIGKILL: ${killed.output}`)
  const left = readFileSync(join(t.dir, 'edited-path'), 'utf8').trim()
  assert.match(left, new RegExp(`^${operatorDir()}/edit-[^/]+/state\\.yaml$`))
  assert.is(statSync(dirname(left)).mode & 0o777, 0o700)
  assert.is(statSync(left).mode & 0o777, 0o600)
  // tsx keeps its compile cache there; nothing of ours may be.
  assert.equal(
    readdirSync(t.env.TMPDIR!).filter((n) => !n.startsWith('tsx-')),
    [],
    'nothing in TMPDIR',
  )
  const touch = join(t.dir, 'touch.sh')
  writeFileSync(touch, '#!/bin/sh\ntrue\n', { mode: 0o755 })
  const next = await approvedState(['edit'], { ...noSops, EDITOR: touch })
  assert.is(next.code, 0, next.output)
  assert.not.ok(existsSync(left), 'the leftover of the killed edit was removed')
  assert.equal(editDirs(), [])
})

test('state edit and its sops killed by SIGKILL: the plaintext temp file is in a private operator directory, removed by the next edit', async () => {
  const killer = join(t.dir, 'sops-killer.sh')
  // Kill the sops that started this editor (its nearest ancestor named sops) and state.ts (the parent of sops):
  // sops's own temp file stays behind, as after a crash of the machine.
  const findSops =
    'p=$PPID; while [ "$(cat /proc/$p/comm)" != sops ]; do p=$(cut -d" " -f4 /proc/$p/stat); done'
  const parent = 'pp=$(cut -d" " -f4 /proc/$p/stat)'
  writeFileSync(
    killer,
    `#!/bin/sh\necho "$1" > ${t.dir}/sops-edited-path\n${findSops}\n${parent}\nkill -KILL $pp $p\n`,
    { mode: 0o755 },
  )
  const killed = await approvedState(['edit'], { EDITOR: killer })
  const left = readFileSync(join(t.dir, 'sops-edited-path'), 'utf8').trim()
  assert.ok(existsSync(left), `sops's temp file is left: ${killed.output}`)
  assert.ok(left.startsWith(`${operatorDir()}/edit-`), left)
  assert.is(statSync(left).mode & 0o777, 0o600)
  assert.ok(existsSync(join(t.secrets, 'operators', 'alice', 'state.lock')), 'the killed edit held the lock')
  const touch = join(t.dir, 'touch.sh')
  writeFileSync(touch, '#!/bin/sh\ntrue\n', { mode: 0o755 })
  const next = await approvedState(['edit'], { EDITOR: touch })
  assert.is(next.code, 0, next.output)
  assert.not.ok(existsSync(left), 'the leftover of the killed sops edit was removed')
  assert.equal(editDirs(), [])
})

test('show redacts secrets; --reveal needs the typed name and then shows them; export needs --redacted', async () => {
  const [shown, exported, unflagged] = await inSession(
    state('show'),
    state('export', '--redacted', '--json'),
    state('export'),
  )
  assert.is(shown?.code, 0, shown?.stderr)
  assert.match(shown?.stdout ?? '', 'api: <redacted>')
  assert.not.match(shown?.stdout ?? '', 'sekrit')
  assert.is(JSON.parse(exported?.stdout ?? '').stacks.lab.terraform.statePassphrase, '<redacted>')
  assert.is(unflagged?.code, 64)
  const revealed = await approvedState(['show', '--reveal'])
  assert.is(revealed.code, 0, revealed.output)
  assert.match(revealed.output, 'api: sekrit-api')
})

test('history, verify; restore and reseal are approved by a person, and seal what they accept', async () => {
  const [history, verified] = await inSession(state('history', '--json'), state('verify', '--json'))
  const entries = JSON.parse(history?.stdout ?? '')
  assert.ok(entries.length >= 2)
  assert.ok(JSON.parse(verified?.stdout ?? '').ok)
  const restored = await approvedState(['restore', '1'])
  assert.is(restored.code, 0, restored.output)
  assert.match(
    restored.session.transcript,
    /Make history entry 1 \(saved .*, sealed version \d+\) the current state/,
  )
  const [after, reverified, badNumber] = await inSession(
    state('show', '--json'),
    state('verify', '--json'),
    state('restore', 'x'),
  )
  assert.is(JSON.parse(after?.stdout ?? '').stacks.lab.image, 'img')
  const files = JSON.parse(reverified?.stdout ?? '').files
  // The state, its history (one more after the restore) and the audit log.
  assert.is(files.length, entries.length + 3)
  assert.match(files.at(-1).file, /audit\.jsonl$/)
  assert.is(badNumber?.code, 64)
  // A damaged history entry is named by verify; nothing else changes.
  writeFileSync(files[1].file, 'garbage: [')
  const broken = await run(state('verify', '--json'))
  assert.is(broken.code, 20)
  assert.is(JSON.parse(broken.stdout).files.filter((f: { ok: boolean }) => !f.ok).length, 1)
  // A hand edit with the real sops: every command refuses (33) until a person accepts it with reseal.
  const sopsEnv = { ...env, GPG_AGENT_INFO: '/nonexistent' }
  const set = spawnPty([sopsBinary(), 'set', stateFile, '["stacks"]["lab"]["env"]', '"staging"'], {
    env: sopsEnv,
  })
  await set.expect(/Enter passphrase for identity/)
  set.type(`${passphrase}\r`)
  assert.is(await set.exitCode(), 0, set.transcript)
  const refused = await run(state('show', '--json'))
  assert.is(refused.code, 33, refused.stdout)
  assert.match(refused.stdout, 'npm run state -- reseal')
  const resealed = await approvedState(['reseal'])
  assert.is(resealed.code, 0, resealed.output)
  assert.match(resealed.session.transcript, 'its content or seal changed since your identity sealed it')
  assert.is(JSON.parse((await run(state('show', '--json'))).stdout).stacks.lab.env, 'staging')
  // The hand-edited version, now in history, verifies through the reseal that accepted it; only the damaged
  // entry is still named.
  const accepted = JSON.parse((await run(state('verify', '--json'))).stdout).files as VerifiedFile[]
  assert.equal(
    accepted.filter((f) => !f.ok).map((f) => f.file),
    [files[1].file],
  )
  assert.is(accepted.filter((f) => f.acceptedBy === stateFile).length, 1)
})

test('rotate-key: approved, a new identity in the sealed keys file, everything re-encrypted and re-sealed to it', async () => {
  const oldRecipient = /age1\w{58}/.exec(
    readFileSync(join(t.secrets, 'operators/alice/profile.yaml'), 'utf8'),
  )?.[0]
  const rotated = await approvedState(['rotate-key', '--json'])
  // The keys file is sealed: adding the new identity asks its passphrase.
  assert.is(rotated.code, 0, rotated.output)
  const newRecipient = /age1\w{58}/.exec(
    readFileSync(join(t.secrets, 'operators/alice/profile.yaml'), 'utf8'),
  )?.[0]
  assert.ok(newRecipient && newRecipient !== oldRecipient)
  assert.not.match(readFileSync(stateFile, 'utf8'), oldRecipient ?? '')
  const verified = await run(state('verify', '--json'))
  const files = JSON.parse(verified.stdout).files as { ok: boolean; file: string }[]
  // The damaged entry of the previous test stays damaged; every other file verifies under the new identity.
  assert.equal(files.filter((f) => !f.ok).length, 1)
})

test('decrypt prints any SOPS file readable with the operator keys, like sops -d, after a person approves', async () => {
  const plain = join(t.dir, 'other.json')
  writeFileSync(plain, JSON.stringify({ db: { password: 'pw', port: 5432 }, list: [1, 'two'] }))
  const recipient =
    /age1\w{58}/.exec(readFileSync(join(t.secrets, 'operators/alice/profile.yaml'), 'utf8'))?.[0] ?? ''
  const enc = spawnSync(sopsBinary(), ['--encrypt', '--age', recipient, plain], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  })
  assert.is(enc.status, 0, enc.stderr)
  const file = join(t.dir, 'other.enc.json')
  writeFileSync(file, enc.stdout)
  const out = await approvedState(['decrypt', file, '--json'])
  assert.is(out.code, 0, out.output)
  assert.equal(JSON.parse(out.output.slice(out.output.indexOf('{'))), {
    db: { password: 'pw', port: 5432 },
    list: [1, 'two'],
  })
  // Outside a terminal (as in CI) the same commands are refused: the identity cannot even be opened.
  const piped = spawnSync(process.execPath, ['--import', 'tsx', ...state('decrypt', file, '--json')], {
    cwd: root,
    env,
    encoding: 'utf8',
  })
  assert.ok(piped.status !== null && piped.status >= 41 && piped.status <= 49, piped.stderr)
  assert.not.match(piped.stdout, 'pw')
  assert.not.match(piped.stderr, PASSPHRASE_PROMPT)
})

test('a bad verb suggests the list', async () => {
  const out = await run(state('shwo'))
  assert.is(out.code, 64)
  assert.match(out.stderr, 'show, edit, history')
})

test('state verify checks the audit chain and names the line after an edit', async () => {
  const audit = join(operatorDir(), 'audit.jsonl')
  // (A history file was garbled on purpose above; only the audit log's own result is looked at here.)
  const auditResult = (out: string) =>
    (
      JSON.parse(out) as { files: { file: string; ok: boolean; error?: string; exitCode?: number }[] }
    ).files.find((f) => f.file === audit)
  const [intact, intactJson] = await inSession(state('verify'), state('verify', '--json'))
  assert.match(intact?.stderr ?? '', `${audit}: audit chain verified (`)
  assert.equal(auditResult(intactJson?.stdout ?? '')?.ok, true)
  const original = readFileSync(audit, 'utf8')
  const lines = original.trimEnd().split('\n')
  assert.ok(lines.length >= 3, 'the approvals above were audited')
  lines[1] = lines[1]?.replace(/"pid":\d+/, '"pid":1') ?? ''
  writeFileSync(audit, `${lines.join('\n')}\n`)
  const [broken, brokenJson] = await inSession(state('verify'), state('verify', '--json'))
  writeFileSync(audit, original)
  assert.ok(broken?.code !== 0)
  assert.match(broken?.stderr ?? '', `${audit} line 3 does not follow line 2: a line was edited`)
  const json = auditResult(brokenJson?.stdout ?? '')
  assert.equal([json?.ok, json?.exitCode], [false, 34])
})

test.run()
