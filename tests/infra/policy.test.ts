import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CHECK_TARGETS } from '../../lib/infra/check.ts'
import { checkPolicy, checkPolicyDir, type PolicyRule, parseHcl } from '../../lib/infra/policy.ts'
import { TERRAFORM_ROOT } from '../../lib/infra/stacks.ts'

async function rulesOf(hcl: string): Promise<PolicyRule[]> {
  return checkPolicy('snippet.tf', await parseHcl('snippet.tf', hcl)).map((f) => f.rule)
}

const cases: [string, PolicyRule, string][] = [
  ['an untyped variable', 'variable-typed-described', 'variable "x" {\n  description = "d"\n}\n'],
  ['an undescribed variable', 'variable-typed-described', 'variable "x" {\n  type = string\n}\n'],
  ['an undescribed output', 'output-described', 'output "o" {\n  value = 1\n}\n'],
  [
    'docker over tcp without TLS',
    'docker-tcp-needs-tls',
    'provider "docker" {\n  host = "tcp://10.0.0.5:2376"\n}\n',
  ],
  ['a plain 2375 endpoint anywhere', 'docker-tcp-needs-tls', 'locals {\n  h = "tcp://10.0.0.5:2375"\n}\n'],
  [
    'a firewall opening 2376 to the world',
    'docker-port-not-world',
    'resource "hcloud_firewall" "f" {\n  rule {\n    direction  = "in"\n    protocol   = "tcp"\n    port       = "2376"\n    source_ips = ["0.0.0.0/0"]\n  }\n}\n',
  ],
  [
    'a firewall port range covering 2375 open to ::/0',
    'docker-port-not-world',
    'resource "hcloud_firewall" "f" {\n  rule {\n    port       = "2000-3000"\n    source_ips = ["::/0"]\n  }\n}\n',
  ],
  [
    'a dynamic rule with literal any port open to the world',
    'docker-port-not-world',
    'resource "hcloud_firewall" "f" {\n  dynamic "rule" {\n    for_each = [1]\n    content {\n      port       = "any"\n      source_ips = ["0.0.0.0/0"]\n    }\n  }\n}\n',
  ],
  ['ssh_pwauth true', 'no-password-ssh', 'locals {\n  c = { ssh_pwauth = true }\n}\n'],
  ['PasswordAuthentication yes', 'no-password-ssh', 'locals {\n  c = "PasswordAuthentication yes"\n}\n'],
  [
    'an hcloud server without ssh_keys',
    'no-password-ssh',
    'resource "hcloud_server" "s" {\n  name = "s"\n}\n',
  ],
  [
    'a contabo root password',
    'no-password-ssh',
    'resource "contabo_instance" "i" {\n  ssh_keys      = [1]\n  root_password = 2\n}\n',
  ],
]

for (const [name, rule, hcl] of cases) {
  test(`catches ${name} (${rule})`, async () => {
    assert.equal(await rulesOf(hcl), [rule])
  })
}

test('compliant snippets pass', async () => {
  const good = `variable "x" {
  type        = string
  description = "d"
}
output "o" {
  description = "d"
  value       = 1
}
provider "docker" {
  host          = "tcp://10.0.0.5:2376"
  cert_material = var.cert
  key_material  = var.key
}
resource "hcloud_firewall" "f" {
  rule {
    port       = "2376"
    source_ips = ["198.51.100.0/24"]
  }
  rule {
    port       = "22"
    source_ips = ["0.0.0.0/0"]
  }
}
resource "hcloud_server" "s" {
  ssh_keys = [1]
}
`
  assert.equal(await rulesOf(good), [])
})

test('every module, example and stack in the tree complies', async () => {
  for (const target of CHECK_TARGETS)
    assert.equal(await checkPolicyDir(`${TERRAFORM_ROOT}/${target}`), [], target)
})

test.run()
