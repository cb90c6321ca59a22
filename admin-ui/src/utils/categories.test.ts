import { describe, expect, it } from 'vitest'
import type { Category } from '@/api/catalog'
import { categoryOptions, categoryPaths, subtreeHeight } from './categories'

const cat = (id: string, depth: number, children: Category[] = []): Category => ({
  id, name: id.toUpperCase(), depth, parent_id: null, sort: 0, created_at: '', updated_at: '', children,
})
const tree = [cat('a', 1, [cat('b', 2, [cat('c', 3)])]), cat('d', 1)]

describe('category helpers', () => {
  it('builds paths', () => {
    expect(categoryPaths(tree)).toEqual({ a: 'A', b: 'A / B', c: 'A / B / C', d: 'D' })
  })
  it('disables nodes too deep to take children and excludes a subtree', () => {
    const opts = categoryOptions(tree, 2)
    expect(opts[0]!.children![0]!.children![0]!.disabled).toBe(true)
    expect(opts[0]!.children![0]!.disabled).toBe(false)
    expect(categoryOptions(tree, 3, 'b')[0]!.children).toBeUndefined()
  })
  it('measures subtrees', () => {
    expect(subtreeHeight(tree[0]!)).toBe(3)
    expect(subtreeHeight(tree[1]!)).toBe(1)
  })
})
