/** The pure builders of booted machines: names and addresses per slot, nspawn's argv, the image recipe's key. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildMachineImageRecipe, machineImageKey } from '../harness/machine-image.ts'
import {
  buildMachineLayout,
  buildMachineNetworkCommands,
  buildMetaData,
  buildNspawnArgv,
  buildRootNetworkCommands,
  parseMachineSlot,
} from '../harness/machine-layout.ts'

test('slot k names the machine, its namespace, veth, addresses and cgroup', () => {
  const m = buildMachineLayout(7)
  assert.equal(
    [m.name, m.netns, m.veth, m.address, m.gateway, m.cgroupParent],
    ['dcvm7', 'dcvm7', 'dcvmv7', '10.214.7.2', '10.214.7.1', 'dcvm7'],
  )
  assert.is(m.dir, '/var/lib/debug-cloud-bench/machines/dcvm7')
  assert.is(parseMachineSlot('dcvm7'), 7)
  for (const foreign of ['dcvm0', 'dcvm251', 'dcbench7', 'dcvm7x'])
    assert.is(parseMachineSlot(foreign), undefined)
})

test('the network is wired before boot: veth to eth0, the address, the default route via the root side', () => {
  const m = buildMachineLayout(3)
  assert.is(
    buildRootNetworkCommands(m),
    'netns add dcvm3\nlink add dcvmv3 type veth peer name eth0 netns dcvm3\naddr add 10.214.3.1/24 dev dcvmv3\nlink set dcvmv3 up\n',
  )
  assert.is(
    buildMachineNetworkCommands(m),
    'link set lo up\naddr add 10.214.3.2/24 dev eth0\nlink set eth0 up\nroute add default via 10.214.3.1\n',
  )
})

test('nspawn boots systemd unregistered in the namespace, with Docker data outside the overlay', () => {
  const argv = buildNspawnArgv(buildMachineLayout(2))
  for (const flag of [
    '--boot',
    '--register=no',
    '--keep-unit',
    '--network-namespace-path=/run/netns/dcvm2',
    '--directory=/var/lib/debug-cloud-bench/machines/dcvm2/rootfs',
    '--bind=/var/lib/debug-cloud-bench/machines/dcvm2/docker:/var/lib/docker',
  ])
    assert.ok(argv.includes(flag), flag)
  assert.is(buildMetaData('iid-x', 'debug-1'), 'instance-id: iid-x\nlocal-hostname: debug-1\n')
})

test("the image's key changes with anything in its recipe", () => {
  const recipe = buildMachineImageRecipe('http://10.214.0.1:3142')
  const key = machineImageKey(recipe)
  assert.match(key, /^[0-9a-f]{16}$/)
  assert.is(machineImageKey(buildMachineImageRecipe('http://10.214.0.1:3142')), key)
  assert.is.not(machineImageKey({ ...recipe, packages: [...recipe.packages, 'curl'] }), key)
  assert.is.not(machineImageKey({ ...recipe, files: { ...recipe.files, '/etc/x': 'y' } }), key)
  assert.is.not(machineImageKey(buildMachineImageRecipe('http://10.214.0.9:3142')), key)
})

test.run()
