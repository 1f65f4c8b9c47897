/** How long an unlock lasts: the default, the cap, and `--minutes` parsed (apart from unlock.ts so `--help` loads only this). */
import { UsageError } from '../errors.ts'

/** An unlock by passphrase entry lasts as long as sudo's timestamp; `cloud:unlock --minutes` chooses, up to 30. */
export const UNLOCK_DEFAULT_MINUTES = 5
export const UNLOCK_MAX_MINUTES = 30

/** Parse `--minutes`: a whole number from 1 to UNLOCK_MAX_MINUTES; the default when not given. */
export function verifyUnlockMinutes(value: string | undefined): number {
  if (value === undefined) return UNLOCK_DEFAULT_MINUTES
  const minutes = Number(value)
  if (!/^\d+$/.test(value) || minutes < 1 || minutes > UNLOCK_MAX_MINUTES)
    throw new UsageError(
      `--minutes must be a whole number from 1 to ${UNLOCK_MAX_MINUTES}; got "${value}".`,
      `Leave it out for ${UNLOCK_DEFAULT_MINUTES} minutes, or give e.g. --minutes 10.`,
    )
  return minutes
}
