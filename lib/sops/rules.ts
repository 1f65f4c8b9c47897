/**
 * Which leaves sops encrypts: one rule per file (`unencrypted_suffix` by default `_unencrypted`,
 * `encrypted_suffix`, `unencrypted_regex`, `encrypted_regex`), tested against every key on the path.
 */
import { SopsUnsupportedError } from './errors.ts'

export type RuleName = 'unencrypted_suffix' | 'encrypted_suffix' | 'unencrypted_regex' | 'encrypted_regex'
export const RULE_NAMES: readonly RuleName[] = [
  'unencrypted_suffix',
  'encrypted_suffix',
  'unencrypted_regex',
  'encrypted_regex',
]

export interface EncryptionRule {
  name: RuleName
  value: string
}

/** The rule sops applies when a file stores none. */
export const DEFAULT_RULE: EncryptionRule = { name: 'unencrypted_suffix', value: '_unencrypted' }

/** A predicate over key paths: true when the leaf at that path is (to be) encrypted. */
export function buildShouldEncrypt(rule: EncryptionRule): (path: readonly string[]) => boolean {
  switch (rule.name) {
    case 'unencrypted_suffix':
      return (path) => !path.some((k) => k.endsWith(rule.value))
    case 'encrypted_suffix':
      return (path) => path.some((k) => k.endsWith(rule.value))
    case 'unencrypted_regex':
    case 'encrypted_regex': {
      let re: RegExp
      try {
        re = new RegExp(rule.value, 'u')
      } catch {
        throw new SopsUnsupportedError(
          `The ${rule.name} ${JSON.stringify(rule.value)} is not a regex this tool understands.`,
        )
      }
      const matches = (path: readonly string[]) => path.some((k) => re.test(k))
      return rule.name === 'encrypted_regex' ? matches : (path) => !matches(path)
    }
  }
}
