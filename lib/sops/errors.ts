/**
 * Named errors of the SOPS codec. Each maps to one exit code in `ExitCode` (lib/errors.ts) and says
 * what to do next. Key paths are printed the way sops builds its AAD (`a:b:`), never the values.
 */
import { CliError, ExitCode } from '../errors.ts'

/** Not a SOPS file at all: corrupt or truncated YAML/JSON, no `sops:` block, broken metadata. */
export class SopsFormatError extends CliError {
  constructor(message: string, cause?: unknown) {
    super(message, {
      hint: 'Check that the file is a complete SOPS-encrypted YAML or JSON file (for example with `git diff` or `sops -d`); restore it from history if it was cut off.',
      exitCode: ExitCode.sopsFormat,
      cause,
    })
  }
}

/** A SOPS feature or version this codec does not handle (PGP/KMS-only files, Shamir key groups, sops 1.x/2.x). */
export class SopsUnsupportedError extends CliError {
  constructor(message: string) {
    super(message, {
      hint: 'Re-encrypt the file with an age recipient (`sops updatekeys` or `sops -r -i --add-age <age1…>`), or decrypt it with the real `sops` binary.',
      exitCode: ExitCode.sopsUnsupported,
    })
  }
}

/** No age identity anywhere sops would look. */
export class SopsNoKeyError extends CliError {
  constructor(readonly searched: readonly string[]) {
    super(`No age identity found. Looked at:\n${searched.map((s) => `  - ${s}`).join('\n')}`, {
      hint: 'Run `npm run operator:init`, or point SOPS_AGE_KEY_FILE at your age key file (chmod 600).',
      exitCode: ExitCode.sopsNoKey,
    })
  }
}

/** Identities were found, but none of them unwraps the file's data key. */
export class SopsWrongKeyError extends CliError {
  constructor(
    readonly recipients: string[],
    identityCount: number,
    cause?: unknown,
  ) {
    super(
      `None of your ${identityCount} age identit${identityCount === 1 ? 'y' : 'ies'} can decrypt this file; it is encrypted for: ${recipients.join(', ') || '(no age recipients)'}.`,
      {
        hint: 'Use the identity of one of those recipients (SOPS_AGE_KEY_FILE), or ask an operator who can read the file to add your recipient with `sops updatekeys`.',
        exitCode: ExitCode.sopsWrongKey,
        cause,
      },
    )
  }
}

/** One value failed AES-GCM authentication: it was changed, or moved to another key. */
export class SopsValueTamperedError extends CliError {
  constructor(
    readonly keyPath: string,
    reason: string,
    cause?: unknown,
  ) {
    super(`The value at ${keyPath} ${reason}: it was edited or moved outside sops.`, {
      hint: 'Restore the file from history (`npm run state -- history` / `git log -p`), or re-enter that value with `sops edit`.',
      exitCode: ExitCode.sopsValueTampered,
      cause,
    })
  }
}

/** The MAC is missing, or does not decrypt with the data key and `lastmodified`. */
export class SopsMacTamperedError extends CliError {
  constructor(reason: string, cause?: unknown) {
    super(`The file's MAC ${reason}: the sops metadata was edited outside sops.`, {
      hint: 'Restore the file from history; if you trust every value, `sops -d --ignore-mac` then re-encrypt rewrites the MAC.',
      exitCode: ExitCode.sopsMacTampered,
      cause,
    })
  }
}

/** Every value decrypts, but the MAC differs: keys were reordered, added or removed, or an unencrypted value was edited by hand. */
export class SopsStructureChangedError extends CliError {
  constructor() {
    super(
      'Every value decrypts, but the MAC does not match: keys or list items were reordered, added or removed, or an unencrypted value was edited outside sops.',
      {
        hint: 'Undo the hand edit (`git diff`), or make it with `sops edit`, which recomputes the MAC.',
        exitCode: ExitCode.sopsStructureChanged,
      },
    )
  }
}

/** An identity file that group or others may read or write: refused, as ssh refuses such private keys. */
export class SopsKeyFileUnsafeError extends CliError {
  constructor(
    readonly path: string,
    mode: number,
  ) {
    super(
      `The age identity file ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8)}).`,
      {
        hint: `Run \`chmod 600 ${path}\`; private keys must be readable by their owner only.`,
        exitCode: ExitCode.permission,
      },
    )
  }
}

/** An identity source holds something that is not an age identity. */
export class SopsKeyFileInvalidError extends CliError {
  constructor(source: string, detail: string) {
    super(`${source} does not contain valid age identities: ${detail}.`, {
      hint: 'An age key file has one `AGE-SECRET-KEY-1…` per line; lines starting with `#` are comments (create one with `npm run operator:init` or `age-keygen`).',
      exitCode: ExitCode.badInput,
    })
  }
}

/** A recipient that is not an `age1…` X25519 or hybrid public key. */
export class SopsRecipientError extends CliError {
  constructor(recipient: string, cause?: unknown) {
    super(`${JSON.stringify(recipient)} is not an age recipient.`, {
      hint: 'Recipients are age public keys starting with `age1`; print yours with `age-keygen -y <key file>`.',
      exitCode: ExitCode.badInput,
      cause,
    })
  }
}
