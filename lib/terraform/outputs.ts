/**
 * Root outputs read with `output -json` (sensitive values included: they go to encrypted state only) into a
 * typed map, with checked accessors for the outputs the launcher relies on.
 */
import { TerraformOutputError } from './errors.ts'
import { mapStrings, stripControl } from './sanitize.ts'

export interface TfOutput {
  sensitive: boolean
  /** The cty type in its JSON encoding, e.g. "string" or ["list","string"]. */
  type: unknown
  value: unknown
}

export type TfOutputs = Record<string, TfOutput>

/**
 * A JSON document Terraform printed (`show -json`, `output -json`, …), every string stripped of control
 * sequences. It can hold secrets (a plan's variables, sensitive outputs), so a document that does not parse is
 * never quoted, not even in part: the error names the command and the size only.
 */
export function parseTerraformJson(text: string, command: string): unknown {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new TerraformOutputError(
      `\`${command}\` did not print valid JSON (${text.length} characters, not shown: they can hold secrets).`,
    )
  }
  return mapStrings(parsed, stripControl)
}

/** Parse the `output -json` document. */
export function parseOutputs(text: string): TfOutputs {
  const parsed = parseTerraformJson(text, 'output -json')
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TerraformOutputError('`output -json` did not print an object.')
  }
  const outputs: TfOutputs = {}
  for (const [name, raw] of Object.entries(parsed as Record<string, Record<string, unknown>>)) {
    outputs[name] = { sensitive: raw?.sensitive === true, type: raw?.type, value: raw?.value }
  }
  return outputs
}

/** The value of a string output; throws TerraformOutputError when missing or not a string. */
export function readStringOutput(outputs: TfOutputs, name: string): string {
  const output = outputs[name]
  if (output === undefined) throw new TerraformOutputError(`The stack has no output "${name}".`)
  if (typeof output.value !== 'string') {
    throw new TerraformOutputError(`Output "${name}" is ${typeof output.value}, expected a string.`)
  }
  return output.value
}
