/** `local`: the Docker engine that already runs (the local socket, or an existing server over pinned SSH). */
import type { ProviderModule } from './types.ts'

export const local: ProviderModule = {
  name: 'local',
  credentials: [],
  defaultSize: null,
  defaultLocation: null,
  destroyWarning: null,
  usualUpTime: 'usually under 30 s from here (the container and its health check)',
}
