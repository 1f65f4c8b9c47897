import { Chalk } from 'chalk'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { contabo } from '../../lib/providers/contabo.ts'
import { hetzner } from '../../lib/providers/hetzner.ts'
import { parseEventLine, type TfEvent } from '../../lib/terraform/events.ts'
import { buildPlanSummary, type PlanQuirk } from '../../lib/terraform/plan-summary.ts'
import { chooseRenderMode, createRenderer } from '../../lib/terraform/progress.ts'
import { JsonRenderer, PlainRenderer } from '../../lib/terraform/render.ts'
import { TerminalRenderer } from '../../lib/terraform/render-terminal.ts'
import { fixtureLines } from './fixtures.ts'

const plain = new Chalk({ level: 0 })
const events = (name: string): TfEvent[] =>
  fixtureLines(name).flatMap((l) => {
    const e = parseEventLine(l)
    return e === undefined ? [] : [e]
  })

function capture() {
  const chunks: string[] = []
  return { sink: { write: (t: string) => chunks.push(t) }, text: () => chunks.join('') }
}

test('plain renderer: one line per step, planned changes with symbols, diagnostics with the fix', () => {
  const out = capture()
  const r = new PlainRenderer(out.sink, plain)
  for (const e of [
    ...events('synthesized/hcloud-apply.jsonl'),
    ...events('synthesized/docker-apply-error.jsonl'),
  ])
    r.event(e)
  r.stderr('stderr line')
  r.close()
  const lines = out.text().split('\n')
  assert.ok(lines.includes('  + hcloud_server.vm (create)'))
  assert.ok(lines.includes('hcloud_server.vm: Still creating... [10s elapsed]'))
  assert.ok(lines.includes('✓ hcloud_server.vm: Creation complete after 24s [id=61234567]'))
  assert.ok(lines.includes('Apply complete! Resources: 3 added, 0 changed, 0 destroyed.'))
  assert.ok(
    lines.some(
      (l) => l.startsWith('Error: failed to create Docker client') && l.includes('docker_image.app'),
    ),
  )
  assert.ok(lines.some((l) => l.startsWith('  Fix: Docker on ssh://root@203.0.113.10')))
  assert.ok(lines.includes('stderr line'))
  assert.not.match(out.text(), '\x1b[')
})

test('json renderer: one parseable JSON event per line, stderr as its own type', () => {
  const out = capture()
  const r = new JsonRenderer(out.sink)
  const input = events('cloud-apply-json-with-outputs-apply.jsonl')
  for (const e of input) r.event(e)
  r.stderr('oops')
  const parsed = out
    .text()
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l))
  assert.equal(parsed.slice(0, -1), input)
  assert.equal(parsed.at(-1), { type: 'stderr', message: 'oops' })
})

test('terminal renderer: spinner status redrawn in place, a line per finished resource with elapsed time', () => {
  const out = capture()
  let now = 1_000
  const r = new TerminalRenderer(out.sink, plain, { now: () => now, frameMs: 60_000 })
  for (const e of events('synthesized/hcloud-apply.jsonl')) {
    if (e.type === 'apply_complete') now += 2_500
    r.event(e)
  }
  r.close()
  const text = out.text()
  assert.match(text, '\r\x1b[2K⠋ hcloud_server.vm: creating')
  assert.match(text, '✓ hcloud_server.vm  created in 2.5s\n')
  assert.match(text, '✓ hcloud_firewall.vm  created in')
  assert.match(text, '(+1 more)')
  assert.ok(text.endsWith('\r\x1b[2K') || text.endsWith('\n'))
  // What stays visible on each finished line (after the last clear) is the line itself, not the status.
  for (const finished of text.split('\n').filter((l) => l.includes('✓')))
    assert.ok(finished.split('\r\x1b[2K').at(-1)?.startsWith('✓'), JSON.stringify(finished))
})

test('render mode follows --json and the terminal', () => {
  assert.is(chooseRenderMode({ json: true, isTerminal: true }), 'json')
  assert.is(chooseRenderMode({ json: false, isTerminal: true }), 'terminal')
  assert.is(chooseRenderMode({ json: false, isTerminal: false }), 'plain')
  assert.ok(createRenderer('terminal', capture().sink, plain) instanceof TerminalRenderer)
})

const change = (
  address: string,
  type: string,
  actions: string[],
  before: unknown,
  after: unknown,
  extra = {},
) => ({
  address,
  type,
  change: { actions, before, after, after_unknown: {}, ...extra },
})

/** The quirks of both cloud providers, as the gate would see them in one plan. */
const bothProviders = (c: Parameters<PlanQuirk>[0]) => hetzner.host?.quirk(c) ?? contabo.host?.quirk(c)

test('plan summary: counts, attribute names only, Contabo reinstall and hcloud replacement flagged loudly', () => {
  // A show -json document in the recorded format (resource_changes[].change), values invented.
  const summary = buildPlanSummary(
    {
      resource_changes: [
        change(
          'contabo_instance.vm',
          'contabo_instance',
          ['update'],
          { user_data: 'a', name: 'x', root_password: 1 },
          {
            user_data: 'b',
            name: 'x',
            root_password: 1,
          },
        ),
        change(
          'contabo_instance.tags',
          'contabo_instance',
          ['update'],
          { display_name: 'a' },
          { display_name: 'b' },
        ),
        change(
          'hcloud_server.vm',
          'hcloud_server',
          ['delete', 'create'],
          { user_data: 'S3CRET' },
          { user_data: 'N3W' },
          {
            replace_paths: [['user_data']],
          },
        ),
        change('hcloud_firewall.fw', 'hcloud_firewall', ['create'], null, { name: 'fw' }),
        change('hcloud_ssh_key.k', 'hcloud_ssh_key', ['no-op'], {}, {}),
        change('docker_container.app', 'docker_container', ['delete'], { name: 'app' }, null),
      ],
    },
    bothProviders,
  )
  assert.equal([summary.adds, summary.changes, summary.destroys, summary.replaces], [2, 2, 2, 1])
  assert.is(summary.hasChanges, true)
  assert.equal(
    summary.destructive.map((r) => r.address),
    ['contabo_instance.vm', 'hcloud_server.vm'],
  )
  assert.match(summary.destructive[0]?.destructive ?? '', 'DESTRUCTIVE REINSTALL')
  assert.match(summary.destructive[0]?.destructive ?? '', 'user_data')
  assert.match(summary.destructive[1]?.destructive ?? '', 'REPLACEMENT')
  assert.equal(summary.resources[2]?.changedAttributes, ['user_data'])
  assert.not.match(JSON.stringify(summary), 'S3CRET')
  assert.equal(buildPlanSummary({ resource_changes: [] }).hasChanges, false)
})

test.run()
