/** One data set that exercises every kind of value the codec writes. */
import { SopsFloat } from '../../lib/sops/index.ts'

export function buildSample(): Record<string, unknown> {
  return {
    name: 'debug-server',
    port: 8080,
    ratio: 1.5,
    whole: new SopsFloat(3),
    enabled: true,
    off: false,
    empty: '',
    nothing: null,
    multi: 'line one\nline two\n',
    unicode: 'héllo ✓ 日本',
    quoted: 'true',
    list: ['a', 2, { name: 'x', deep: ['y', 3.25] }, [1, 2]],
    nested: { inner: { token: 's3cr3t: with colon # and hash' }, '2024': 'digits key' },
    settings_unencrypted: { flag: true, text: 'yes', n: 7, spaced: '  x  ', ml: 'a\nb', when: '2024-01-01' },
  }
}
