import type { Category } from '@/api/catalog'

export const MAX_CATEGORY_DEPTH = 3

export interface CategoryOption {
  value: string
  label: string
  children?: CategoryOption[]
  disabled?: boolean
}

/** Tree → el-cascader / el-tree-select options. `maxDepth` disables deeper nodes (e.g. parents of a new category). */
export function categoryOptions(tree: Category[] | null | undefined, maxDepth = MAX_CATEGORY_DEPTH, exclude?: string): CategoryOption[] {
  return (tree ?? [])
    .filter((c) => c.id !== exclude)
    .map((c) => {
      const kids = categoryOptions(c.children, maxDepth, exclude)
      return { value: c.id, label: c.name, disabled: c.depth > maxDepth, ...(kids.length ? { children: kids } : {}) }
    })
}

/** id → "服装 / 男装 / T恤". */
export function categoryPaths(tree: Category[] | null | undefined, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  for (const c of tree ?? []) {
    const p = prefix ? `${prefix} / ${c.name}` : c.name
    out[c.id] = p
    categoryPaths(c.children, p, out)
  }
  return out
}

/** Height of the subtree under c (1 for a leaf). */
export function subtreeHeight(c: Category): number {
  return 1 + Math.max(0, ...(c.children ?? []).map(subtreeHeight))
}
