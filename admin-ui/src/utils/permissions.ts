// Permission checks for menus and route guards. The server is the authority
// (it refuses anyway); the UI only hides what the user cannot use.
//
// Permission strings look like "staff:read" (tenant) or
// "platform.tenants:read" (platform). A granted "*" matches everything and a
// granted "staff:*" matches every action on "staff".

export type Console = 'merchant' | 'platform'

/** What a section/route needs: one permission, or any one of several. */
export type Requirement = string | string[] | undefined

export function hasPermission(granted: Iterable<string>, needed: string): boolean {
  const set = granted instanceof Set ? (granted as Set<string>) : new Set(granted)
  if (set.has(needed) || set.has('*')) return true
  const i = needed.lastIndexOf(':')
  if (i > 0 && set.has(needed.slice(0, i) + ':*')) return true
  return false
}

/** True when the requirement is met (no requirement → true; array → any of). */
export function meets(granted: Iterable<string>, req: Requirement): boolean {
  if (req === undefined) return true
  const set = new Set(granted)
  if (Array.isArray(req)) return req.length === 0 || req.some((p) => hasPermission(set, p))
  return hasPermission(set, req)
}

export interface MenuEntry {
  /** Route name to navigate to. */
  name: string
  path: string
  titleKey: string
  permission: Requirement
  console: Console
  group?: string
  order: number
  icon?: unknown
}

export interface MenuGroup {
  /** Group key ('' for top-level entries). */
  group: string
  entries: MenuEntry[]
}

/**
 * Keeps the entries of one console that the permissions allow, sorted by order,
 * and groups them (by `group`) keeping the position of each group's first entry.
 */
export function filterMenu(entries: MenuEntry[], console: Console, granted: Iterable<string>): MenuEntry[] {
  const set = new Set(granted)
  return entries
    .filter((e) => e.console === console && meets(set, e.permission))
    .sort((a, b) => a.order - b.order)
}

export function groupMenu(entries: MenuEntry[]): MenuGroup[] {
  const out: MenuGroup[] = []
  const byKey = new Map<string, MenuGroup>()
  for (const e of entries) {
    if (!e.group) {
      out.push({ group: '', entries: [e] })
      continue
    }
    let g = byKey.get(e.group)
    if (!g) {
      g = { group: e.group, entries: [] }
      byKey.set(e.group, g)
      out.push(g)
    }
    g.entries.push(e)
  }
  return out
}
