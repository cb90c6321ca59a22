export type TagType = 'success' | 'warning' | 'danger' | 'info' | 'primary'

/** Colour of a plugin state tag. Unknown states are neutral. */
export function pluginStateType(state: string): TagType {
  switch (state) {
    case 'running':
    case 'ready':
      return 'success'
    case 'starting':
      return 'warning'
    case 'crashed':
    case 'failed':
    case 'unavailable':
    case 'checksum_mismatch':
      return 'danger'
    default:
      return 'info'
  }
}
