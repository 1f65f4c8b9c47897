import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sopsBinary } from '../../lib/tools/paths.ts'
import { spawnTsxPty } from '../helpers/pty.ts'
import { makeTempEnv } from './env.ts'

const root = join(import.meta.dirname, '..', '..')
const t = makeTempEnv()
test.after(() => t.cleanup())

/** Run one of our scripts as a whole process, stdin not a terminal (as in CI). */
function run(script: string, args: string[], extra: NodeJS.ProcessEnv = {}) {
  const env = {
    ...t.env,
    XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '', '.cache'),
    ...extra,
  }
  const out = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', script), ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  return { code: out.status, stdout: out.stdout, stderr: out.stderr }
}

const state = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
  run('state.ts', [...args, '--operator', 'alice'], extra)

/**
 * A verb that shows plaintext secrets (edit, decrypt) in a real pseudo-terminal with the same clean env: the
 * human gate asks, a person types the operator name. Its output is the terminal transcript.
 */
async function approvedState(args: string[], extra: Record<string, string> = {}) {
  const env = {
    ...(t.env as Record<string, string>),
    XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '', '.cache'),
    TERM: 'xterm',
    ...extra,
  }
  const session = spawnTsxPty(join(root, 'scripts', 'state.ts'), [...args, '--operator', 'alice'], { env })
  await session.expect('Type alice to continue')
  session.type('alice\r')
  await session.expect('Approved by you.')
  const code = await session.exitCode()
  const transcript = session.transcript
  return {
    code,
    output: transcript.slice(transcript.indexOf('Approved by you.') + 'Approved by you.'.length),
  }
}

test('operator:init creates the identity 0600 and the profile; a second init is refused', () => {
  const first = run('operator-init.ts', ['--operator', 'alice', '--json'])
  assert.is(first.code, 0, first.stderr)
  const result = JSON.parse(first.stdout)
  assert.is(result.identityFile, t.keysFile)
  assert.match(readFileSync(t.keysFile, 'utf8'), /^AGE-SECRET-KEY-1/m)
  const again = run('operator-init.ts', ['--operator', 'alice'])
  assert.is(again.code, 64)
  assert.match(again.stderr, 'already exists')
  const bad = run('operator-init.ts', ['--operator', 'a b'])
  assert.is(bad.code, 64)
  assert.match(bad.stderr, 'not allowed')
})

test('edit through the real sops edit: a valid change is saved, an invalid one rolled back', async () => {
  const editor = join(t.dir, 'add-stack.sh')
  const stack = `  lab:\\n    provider: local\\n    env: dev\\n    status: planned\\n    createdAt: "2025-01-01T00:00:00Z"\\n    updatedAt: "2025-01-01T00:00:00Z"\\n    image: img\\n    ports: []\\n    size: null\\n    location: null\\n    address: null\\n    ssh: null\\n    dockerHost: null\\n    endpoints: []\\n    tokens:\\n      api: sekrit-api\\n      runner: sekrit-runner\\n    providerIds: {}\\n    outputs: {}\\n    terraform:\\n      statePassphrase: sekrit-pass\\n    lastError: null\\n    releasedAt: null\\n`
  writeFileSync(
    editor,
    `#!/bin/sh\nsed -i 's/^stacks: {}$/stacks:/' "$1"\nawk -v s="${stack}" '{print} /^stacks:$/{printf "%s", s}' "$1" > "$1.new" && cat "$1.new" > "$1" && rm "$1.new"\n`,
    { mode: 0o755 },
  )
  const ok = await approvedState(['edit'], { EDITOR: editor })
  assert.is(ok.code, 0, ok.output)
  const shown = state(['show', '--json'])
  assert.is(JSON.parse(shown.stdout).stacks.lab.status, 'planned')
  const before = readFileSync(join(t.secrets, 'operators/alice/state.sops.yaml'), 'utf8')
  const breaker = join(t.dir, 'break.sh')
  writeFileSync(breaker, '#!/bin/sh\nsed -i "s/status: planned/status: exploded/" "$1"\n', { mode: 0o755 })
  const bad = await approvedState(['edit'], { EDITOR: breaker })
  assert.is(bad.code, 31, bad.output)
  assert.match(bad.output, 'stacks.lab.status: expected one of planned')
  assert.is(readFileSync(join(t.secrets, 'operators/alice/state.sops.yaml'), 'utf8'), before)
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
  assert.is(JSON.parse(state(['show', '--json']).stdout).stacks.lab.image, 'img2')
  const failing = join(t.dir, 'fail.sh')
  writeFileSync(failing, '#!/bin/sh\nexit 3\n', { mode: 0o755 })
  const bad = await approvedState(['edit'], { ...noSops, EDITOR: failing })
  assert.is(bad.code, 1)
  assert.match(bad.output, 'exited with 3; nothing was changed')
  assert.equal(
    readdirSync(t.env.TMPDIR!).filter((n) => n.startsWith('debug-cloud-edit-')),
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
  assert.ok(killed.code !== 0, killed.output)
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

test('show redacts secrets; --reveal is refused outside a terminal; export needs --redacted', () => {
  const shown = state(['show'])
  assert.is(shown.code, 0, shown.stderr)
  assert.match(shown.stdout, 'api: <redacted>')
  assert.not.match(shown.stdout, 'sekrit')
  const reveal = state(['show', '--reveal'])
  assert.ok(reveal.code !== 0 && reveal.code! >= 41 && reveal.code! <= 48, reveal.stderr)
  assert.not.match(reveal.stdout, 'sekrit')
  const exported = state(['export', '--redacted', '--json'])
  assert.is(JSON.parse(exported.stdout).stacks.lab.terraform.statePassphrase, '<redacted>')
  assert.is(state(['export']).code, 64)
})

test('history, restore, verify', () => {
  const history = JSON.parse(state(['history', '--json']).stdout)
  assert.ok(history.length >= 2)
  const restored = state(['restore', '1'])
  assert.is(restored.code, 0, restored.stderr)
  assert.is(JSON.parse(state(['show', '--json']).stdout).stacks.lab.image, 'img')
  const verified = JSON.parse(state(['verify', '--json']).stdout)
  assert.ok(verified.ok)
  // The state, its history (one more after the restore) and the audit log.
  assert.is(verified.files.length, history.length + 3)
  assert.match(verified.files.at(-1).file, /audit\.jsonl$/)
  writeFileSync(verified.files[1].file, 'garbage: [')
  const broken = state(['verify', '--json'])
  assert.is(broken.code, 20)
  assert.is(JSON.parse(broken.stdout).files.filter((f: { ok: boolean }) => !f.ok).length, 1)
  assert.is(state(['restore', 'x']).code, 64)
})

test('decrypt prints any SOPS file readable with the operator keys, like sops -d, after a person approves', async () => {
  const plain = join(t.dir, 'other.json')
  writeFileSync(plain, JSON.stringify({ db: { password: 'pw', port: 5432 }, list: [1, 'two'] }))
  const recipient = readFileSync(t.keysFile, 'utf8').match(/public key: (age1\w+)/)![1]!
  const enc = spawnSync(sopsBinary(), ['--encrypt', '--age', recipient, plain], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  })
  assert.is(enc.status, 0, enc.stderr)
  const file = join(t.dir, 'other.enc.json')
  writeFileSync(file, enc.stdout)
  const out = await approvedState(['decrypt', file, '--json'])
  assert.is(out.code, 0, out.output)
  assert.equal(JSON.parse(out.output), { db: { password: 'pw', port: 5432 }, list: [1, 'two'] })
  assert.is(state(['decrypt']).code, 64)
  // Outside a terminal (as in CI) the same command is refused: it would print secrets.
  const refused = state(['decrypt', file, '--json'])
  assert.is(refused.code, 43, refused.stderr)
  assert.not.match(refused.stdout, 'pw')
  assert.is(state(['edit'], { EDITOR: 'true' }).code, 43)
})

test('a bad verb suggests the list', () => {
  const out = state(['shwo'])
  assert.is(out.code, 64)
  assert.match(out.stderr, 'show, edit, history')
})

test('state verify checks the audit chain and names the line after an edit', () => {
  const audit = join(operatorDir(), 'audit.jsonl')
  // (A history file was garbled on purpose above; only the audit log's own result is looked at here.)
  const auditResult = (out: string) =>
    (
      JSON.parse(out) as { files: { file: string; ok: boolean; error?: string; exitCode?: number }[] }
    ).files.find((f) => f.file === audit)
  const intact = state(['verify'])
  assert.match(intact.stderr, `${audit}: audit chain verified (`)
  assert.equal(auditResult(state(['verify', '--json']).stdout)?.ok, true)
  const original = readFileSync(audit, 'utf8')
  const lines = original.trimEnd().split('\n')
  assert.ok(lines.length >= 3, 'the approvals above were audited')
  lines[1] = lines[1]!.replace(/"pid":\d+/, '"pid":1')
  writeFileSync(audit, `${lines.join('\n')}\n`)
  const broken = state(['verify'])
  const json = auditResult(state(['verify', '--json']).stdout)
  writeFileSync(audit, original)
  assert.ok(broken.code !== 0)
  assert.match(broken.stderr, `${audit} line 3 does not follow line 2: a line was edited`)
  assert.equal([json?.ok, json?.exitCode], [false, 33])
})

test.run()
