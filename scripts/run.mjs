#!/usr/bin/env node
// @ts-check
/**
 * The npm scripts' entry: `node scripts/run.mjs <command> [args…]` runs the precompiled .build/ bundle of
 * scripts/<command>.ts, after checking that the build matches the sources (scripts/build.mjs); a missing or stale
 * build is rebuilt first, never run. `node scripts/run.mjs --build` only does that check and build (`prepare`).
 * `tsx scripts/<command>.ts` runs the same sources without a build.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BUILD_DIR, buildAll, freshManifest } from './build.mjs'

/** The current build, rebuilt first when stale; undefined (reported) when the sources do not build. */
async function currentBuild(/** @type {boolean} */ quiet) {
  const fresh = freshManifest()
  if (fresh) return fresh
  if (!quiet) console.error('debug-cloud: the build is missing or older than the sources; building…')
  try {
    return await buildAll()
  } catch {
    // esbuild has printed each error with its file and line.
    console.error(
      'Error: the commands could not be built from the sources (errors above). Fix them, or run the ' +
        'source directly with `npx tsx scripts/<command>.ts`.',
    )
    return undefined
  }
}

const [command, ...rest] = process.argv.slice(2)
if (command === undefined || (command.startsWith('-') && command !== '--build')) {
  console.error(
    'Usage: node scripts/run.mjs <command> [args…] (a command is a file name in scripts/), or --build',
  )
  process.exitCode = 64
} else {
  const manifest = await currentBuild(command === '--build')
  if (!manifest) process.exitCode = 1
  else if (command === '--build') {
    // Checked and, if needed, built: nothing to run.
  } else if (!manifest.entries.includes(command)) {
    console.error(`Error: no command "${command}" in scripts/; commands: ${manifest.entries.join(', ')}.`)
    process.exitCode = 64
  } else {
    // The command parses process.argv.slice(2), as under tsx.
    process.argv.splice(2, process.argv.length - 2, ...rest)
    await import(pathToFileURL(join(BUILD_DIR, manifest.dir, `${command}.mjs`)).href)
  }
}
