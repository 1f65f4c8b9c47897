/**
 * `.ci/run` step: the booted machines' cached Debian image (and its package cache), built before the suite so
 * its one-time cost is reported on its own line instead of inside the first test that boots a machine.
 *
 *   npx tsx tests/harness/prepare-machine-image.ts
 */
import { ensureMachineImage } from './machine-image.ts'

const image = await ensureMachineImage()
console.log(
  image.buildMs > 0
    ? `machine image ${image.key}: built in ${(image.buildMs / 1000).toFixed(0)} s (${image.rootfs})`
    : `machine image ${image.key}: cached (${image.rootfs})`,
)
