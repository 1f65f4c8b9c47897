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

/**
 * How a rule decides, key by key: a leaf is encrypted when `encryptsMatched` equals whether any key on
 * its path `matchesKey` (so walkers carry one boolean down the tree instead of re-testing whole paths).
 */
export interface RuleMatcher {
  matchesKey: (key: string) => boolean
  encryptsMatched: boolean
}

/** The per-key test of a rule; throws SopsUnsupportedError for a regex JavaScript cannot compile. */
export function buildRuleMatcher(rule: EncryptionRule): RuleMatcher {
  switch (rule.name) {
    case 'unencrypted_suffix':
    case 'encrypted_suffix':
      return {
        matchesKey: (key) => key.endsWith(rule.value),
        encryptsMatched: rule.name === 'encrypted_suffix',
      }
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
      return { matchesKey: (key) => re.test(key), encryptsMatched: rule.name === 'encrypted_regex' }
    }
  }
}
