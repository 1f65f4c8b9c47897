// @ts-check
/**
 * Builds scripts/*.ts into one precompiled ESM bundle per command under .build/ (esbuild, code splitting, so a
 * module a command imports dynamically is only loaded when that step runs), and records in .build/manifest.json
 * every source file the bundle was built from with its size, mtime and SHA-256, for scripts/run.mjs to check.
 * scripts/run.mjs checks a build with freshManifest before it runs one, and calls buildAll when it is missing or
 * stale; `npm ci`/`npm install` build once up front (the `prepare` script).
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

/** The checkout this file belongs to. */
export const ROOT = resolve(import.meta.dirname, '..')
export const BUILD_DIR = join(ROOT, '.build')
export const MANIFEST = join(BUILD_DIR, 'manifest.json')
/** Bumped when the manifest's shape or the build's options change, so an older build is rebuilt. */
export const BUILD_FORMAT = 2

/**
 * @typedef {{ format: number, root: string, dir: string, entries: string[],
 *   files: Record<string, [number, number, string]> }} Manifest
 */

/**
 * The SHA-256 of a file's bytes, hex. node:crypto is loaded here, not at the top: a fresh build with unchanged
 * mtimes (every run but the first after a checkout) never hashes, and a `--help` then loads no crypto at all.
 */
export function hashFile(/** @type {string} */ file) {
  /** @type {typeof import('node:crypto')} */
  const { createHash } = createRequire(import.meta.url)('node:crypto')
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

/**
 * The manifest of the current build if it was built from the sources as they are now, else undefined: a file
 * whose size changed, or that is gone, makes it stale; one whose mtime changed (a checkout, a touch) is hashed
 * and only its content decides; a build made in another checkout or by another build format is stale.
 * @returns {Manifest | undefined}
 */
export function freshManifest() {
  /** @type {Manifest} */
  let manifest
  try {
    manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'))
  } catch {
    return undefined
  }
  if (manifest.format !== BUILD_FORMAT || manifest.root !== ROOT) return undefined
  for (const [path, [size, mtimeMs, sha256]] of Object.entries(manifest.files)) {
    // The manifest's paths are relative and normalized (the metafile's): a concatenation, not a join, which
    // normalizes every one of them again (half of this check's time when it ran per file).
    const file = `${ROOT}/${path}`
    const st = statSync(file, { throwIfNoEntry: false })
    if (!st || st.size !== size) return undefined
    if (st.mtimeMs !== mtimeMs && hashFile(file) !== sha256) return undefined
  }
  return manifest
}

/**
 * Own sources use `import.meta.dirname`/`import.meta.url` to find files next to them (infra/, the agent's Go
 * sources, package.json); in a bundle those would name .build/. This plugin writes each source file's own
 * location in as a literal.
 * @returns {import('esbuild').Plugin}
 */
function sourceLocations() {
  return {
    name: 'source-locations',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${join('/', 'node_modules', '/')}`)) return undefined
        const text = readFileSync(args.path, 'utf8')
        if (!text.includes('import.meta.')) return { contents: text, loader: 'ts' }
        const contents = text
          .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
          .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        return { contents, loader: 'ts' }
      })
    },
  }
}

/** The commands: every scripts/*.ts, by file name without the extension. */
export function listEntries() {
  return readdirSync(join(ROOT, 'scripts'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort()
}

/**
 * Build every command into a fresh directory, then switch the manifest to it (written last, atomically), so a
 * command started meanwhile runs either the old build or the new one, never a half-written one. Returns the
 * manifest.
 */
export async function buildAll() {
  // esbuild is loaded only here: a command whose build is fresh never pays for it.
  const { build } = await import('esbuild')
  const id = `${Date.now().toString(36)}-${process.pid}`
  const outdir = join(BUILD_DIR, id)
  mkdirSync(BUILD_DIR, { recursive: true })
  const entries = listEntries()
  // One build per command, so that a command's chunks are split only where it imports dynamically (its
  // lazily loaded steps), not by every set of commands that share a module: `cloud:status` loaded 51 build files
  // from one build of all commands, each one resolved, read and compiled on its own (docs/testing.md). A
  // failed build removes the directory the others wrote into, so it can never pass for the previous build.
  const results = await Promise.all(entries.map((e) => build(buildOptions(e, outdir)))).catch((error) => {
    rmSync(outdir, { recursive: true, force: true })
    throw error
  })
  const inputs = [...new Set(results.flatMap((r) => Object.keys(r.metafile?.inputs ?? {})))]
    .filter((p) => !p.startsWith('node_modules/') && !p.includes('/node_modules/'))
    .concat(TRACKED.filter((p) => existsSync(join(ROOT, p))))
    .sort()
  /** @type {Record<string, [number, number, string]>} */
  const files = {}
  for (const p of inputs) {
    const st = statSync(join(ROOT, p))
    files[p] = [st.size, st.mtimeMs, hashFile(join(ROOT, p))]
  }
  /** @type {Manifest} */
  const manifest = { format: BUILD_FORMAT, root: ROOT, dir: id, entries, files }
  const tmp = `${MANIFEST}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(manifest)}\n`)
  renameSync(tmp, MANIFEST)
  removeOldBuilds(id)
  return manifest
}

/**
 * esbuild's options for command `entry`: its bundle at `<outdir>/<entry>.mjs`, its chunks in `<outdir>/<entry>/`.
 * @returns {import('esbuild').BuildOptions & { metafile: true }}
 */
function buildOptions(/** @type {string} */ entry, /** @type {string} */ outdir) {
  return {
    absWorkingDir: ROOT,
    entryPoints: { [entry]: join('scripts', `${entry}.ts`) },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Bundled packages start faster than node resolving each one at run time (measured: docs/testing.md).
    // A few CommonJS packages call require(): give the ESM bundle one.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    // These load files next to themselves (a wasm module, a native addon), so node resolves them at run time.
    external: ['@cdktf/hcl2json', 'node-pty', 'esbuild'],
    chunkNames: `${entry}/[name]-[hash]`,
    // .mjs is ESM by its name: node then looks up no package.json "type" for each file it loads (about a tenth
    // of a start-up's module loading, measured: docs/testing.md).
    outExtension: { '.js': '.mjs' },
    metafile: true,
    logLevel: 'warning',
    plugins: [sourceLocations()],
  }
}

/**
 * Files that decide the build besides the sources in the metafile: this build script, and the installed
 * packages (npm rewrites node_modules/.package-lock.json on every install), since packages are bundled.
 * One that does not exist at build time (another package manager) is not tracked.
 */
const TRACKED = ['scripts/build.mjs', 'node_modules/.package-lock.json', 'package.json']

/** Keep the new build and the one before it (a command started just before the switch may still load it). */
function removeOldBuilds(/** @type {string} */ current) {
  const dirs = readdirSync(BUILD_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== current)
    .map((d) => ({ name: d.name, mtime: statSync(join(BUILD_DIR, d.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime)
  for (const old of dirs.slice(1)) rmSync(join(BUILD_DIR, old.name), { recursive: true, force: true })
}
