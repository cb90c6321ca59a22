package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Category is a node of the category tree (at most 3 levels).
type Category struct {
	ID        CategoryID  `db:"id" json:"id"`
	ParentID  *CategoryID `db:"parent_id" json:"parent_id"`
	Name      string      `db:"name" json:"name"`
	Depth     int         `db:"depth" json:"depth"`
	Sort      int         `db:"sort" json:"sort"`
	CreatedAt time.Time   `db:"created_at" json:"created_at"`
	UpdatedAt time.Time   `db:"updated_at" json:"updated_at"`
	Children  []*Category `db:"-" json:"children"`
}

// CategoryInput creates a category.
type CategoryInput struct {
	ParentID *CategoryID `json:"parent_id"`
	Name     string      `json:"name"`
	Sort     int         `json:"sort"`
}

// CategoryPatch changes a category; absent fields stay. parent_id "" moves
// the category to the top level.
type CategoryPatch struct {
	Name     *string     `json:"name"`
	Sort     *int        `json:"sort"`
	ParentID *CategoryID `json:"parent_id"`
}

const categoryCols = `id, parent_id, name, depth, sort, created_at, updated_at`

func checkCategoryName(v *errs.Validator, name string) string {
	name = strings.TrimSpace(name)
	switch {
	case name == "" || runes(name) > 32:
		v.Add("name", "length", "1 to 32 characters")
	case strings.Contains(name, "/"):
		v.Add("name", "invalid", "must not contain '/' (it separates the levels of a category path)")
	}
	return name
}

// Tree returns the tenant's categories as a tree, each level ordered by
// sort then name.
func (s *Service) Tree(ctx context.Context) ([]*Category, error) {
	var all []*Category
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		all, err = allCategories(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return buildTree(all), nil
}

func allCategories(ctx context.Context, tx *db.Tx) ([]*Category, error) {
	var all []*Category
	err := tx.SelectContext(ctx, &all, `SELECT `+categoryCols+` FROM categories WHERE tenant_id = $1 ORDER BY depth, sort, name`, tid(ctx))
	if err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	return all, nil
}

func buildTree(all []*Category) []*Category {
	byID := map[CategoryID]*Category{}
	for _, c := range all {
		c.Children = []*Category{}
		byID[c.ID] = c
	}
	roots := []*Category{}
	for _, c := range all {
		if c.ParentID == nil {
			roots = append(roots, c)
		} else if p := byID[*c.ParentID]; p != nil {
			p.Children = append(p.Children, c)
		}
	}
	var order func([]*Category)
	order = func(cs []*Category) {
		sort.SliceStable(cs, func(i, j int) bool {
			if cs[i].Sort != cs[j].Sort {
				return cs[i].Sort < cs[j].Sort
			}
			return cs[i].Name < cs[j].Name
		})
		for _, c := range cs {
			order(c.Children)
		}
	}
	order(roots)
	return roots
}

// CreateCategory adds a category under parent_id (or at the top).
func (s *Service) CreateCategory(ctx context.Context, in CategoryInput) (Category, error) {
	v := errs.Validator{}
	in.Name = checkCategoryName(&v, in.Name)
	if in.ParentID != nil && !tenancy.ValidUUID(string(*in.ParentID)) {
		v.Add("parent_id", "not_found", "no such category")
	}
	if err := v.Err(); err != nil {
		return Category{}, err
	}
	var out Category
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		depth := 1
		if in.ParentID != nil {
			var pd int
			err := tx.GetContext(ctx, &pd, `SELECT depth FROM categories WHERE tenant_id = $1 AND id = $2 FOR SHARE`, tid(ctx), *in.ParentID)
			if errors.Is(err, sql.ErrNoRows) {
				return errs.Field("parent_id", "not_found", "no such category")
			}
			if err != nil {
				return err
			}
			if pd >= MaxCategoryDepth {
				return errs.Field("parent_id", "too_deep", fmt.Sprintf("categories are at most %d levels deep", MaxCategoryDepth))
			}
			depth = pd + 1
		}
		err := tx.GetContext(ctx, &out, `INSERT INTO categories (tenant_id, parent_id, name, depth, sort) VALUES ($1, $2, $3, $4, $5) RETURNING `+categoryCols,
			tid(ctx), in.ParentID, in.Name, depth, in.Sort)
		if db.IsUnique(err, "categories_name_key") {
			return errs.Field("name", "taken", "a category with this name exists at this level")
		}
		if err != nil {
			return fmt.Errorf("create category: %w", err)
		}
		return audit.Record(ctx, tx, tid(ctx), "category.create", "category", string(out.ID), in)
	})
	out.Children = []*Category{}
	return out, err
}

// UpdateCategory renames, reorders or moves a category. A move keeps the
// whole subtree within 3 levels and refuses to put a category under itself.
func (s *Service) UpdateCategory(ctx context.Context, id CategoryID, p CategoryPatch) (Category, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Category{}, notFound("category")
	}
	v := errs.Validator{}
	if p.Name != nil {
		n := checkCategoryName(&v, *p.Name)
		p.Name = &n
	}
	if p.ParentID != nil && *p.ParentID != "" && !tenancy.ValidUUID(string(*p.ParentID)) {
		v.Add("parent_id", "not_found", "no such category")
	}
	if err := v.Err(); err != nil {
		return Category{}, err
	}
	var out Category
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		all, err := lockCategories(ctx, tx)
		if err != nil {
			return err
		}
		byID := map[CategoryID]*Category{}
		for _, c := range all {
			byID[c.ID] = c
		}
		cur := byID[id]
		if cur == nil {
			return notFound("category")
		}
		parent, depth := cur.ParentID, cur.Depth
		if p.ParentID != nil {
			parent, depth = nil, 1
			if *p.ParentID != "" {
				np := byID[*p.ParentID]
				if np == nil {
					return errs.Field("parent_id", "not_found", "no such category")
				}
				for a := np; a != nil; a = parentOf(byID, a) {
					if a.ID == id {
						return errs.Field("parent_id", "cycle", "a category cannot move under itself or its subcategories")
					}
				}
				parent, depth = &np.ID, np.Depth+1
			}
			if depth+subtreeHeight(all, id)-1 > MaxCategoryDepth {
				return errs.Field("parent_id", "too_deep", fmt.Sprintf("the category and its subcategories would be more than %d levels deep", MaxCategoryDepth))
			}
		}
		name, sortKey := cur.Name, cur.Sort
		if p.Name != nil {
			name = *p.Name
		}
		if p.Sort != nil {
			sortKey = *p.Sort
		}
		err = tx.GetContext(ctx, &out, `UPDATE categories SET parent_id = $3, name = $4, sort = $5, depth = $6, updated_at = now()
WHERE tenant_id = $1 AND id = $2 RETURNING `+categoryCols, tid(ctx), id, parent, name, sortKey, depth)
		if db.IsUnique(err, "categories_name_key") {
			return errs.Field("name", "taken", "a category with this name exists at this level")
		}
		if err != nil {
			return fmt.Errorf("update category: %w", err)
		}
		if delta := depth - cur.Depth; delta != 0 {
			if err := shiftSubtree(ctx, tx, all, id, delta); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, tid(ctx), "category.update", "category", string(id), p)
	})
	out.Children = []*Category{}
	return out, err
}

// lockCategories reads the whole tree for a structural change; the row
// locks serialise moves that could otherwise build a cycle together.
func lockCategories(ctx context.Context, tx *db.Tx) ([]*Category, error) {
	var all []*Category
	err := tx.SelectContext(ctx, &all, `SELECT `+categoryCols+` FROM categories WHERE tenant_id = $1 ORDER BY id FOR UPDATE`, tid(ctx))
	return all, err
}

func parentOf(byID map[CategoryID]*Category, c *Category) *Category {
	if c.ParentID == nil {
		return nil
	}
	return byID[*c.ParentID]
}

// descendants returns id and every category below it.
func descendants(all []*Category, id CategoryID) []CategoryID {
	kids := map[CategoryID][]CategoryID{}
	for _, c := range all {
		if c.ParentID != nil {
			kids[*c.ParentID] = append(kids[*c.ParentID], c.ID)
		}
	}
	out := []CategoryID{id}
	for i := 0; i < len(out); i++ {
		out = append(out, kids[out[i]]...)
	}
	return out
}

// subtreeHeight is the number of levels from id down to its deepest leaf.
func subtreeHeight(all []*Category, id CategoryID) int {
	depth := map[CategoryID]int{}
	for _, c := range all {
		depth[c.ID] = c.Depth
	}
	h := 1
	for _, d := range descendants(all, id) {
		h = max(h, depth[d]-depth[id]+1)
	}
	return h
}

func shiftSubtree(ctx context.Context, tx *db.Tx, all []*Category, id CategoryID, delta int) error {
	below := descendants(all, id)[1:]
	if len(below) == 0 {
		return nil
	}
	ids := make([]string, len(below))
	for i, c := range below {
		ids[i] = string(c)
	}
	_, err := tx.ExecContext(ctx, `UPDATE categories SET depth = depth + $2, updated_at = now() WHERE tenant_id = $1 AND id = ANY($3::uuid[])`, tid(ctx), delta, pqArray(ids))
	return err
}

// DeleteCategory removes an empty category. One with subcategories or
// products is refused: move or delete those first.
func (s *Service) DeleteCategory(ctx context.Context, id CategoryID) error {
	if !tenancy.ValidUUID(string(id)) {
		return notFound("category")
	}
	return s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var row struct {
			Name     string `db:"name"`
			Children int    `db:"children"`
			Products int    `db:"products"`
		}
		err := tx.GetContext(ctx, &row, `
SELECT c.name,
       (SELECT count(*) FROM categories k WHERE k.tenant_id = c.tenant_id AND k.parent_id = c.id) AS children,
       (SELECT count(*) FROM products p WHERE p.tenant_id = c.tenant_id AND p.category_id = c.id) AS products
FROM categories c WHERE c.tenant_id = $1 AND c.id = $2 FOR UPDATE`, tid(ctx), id)
		if err != nil {
			return db.NotFound(err, "category")
		}
		if row.Children > 0 || row.Products > 0 {
			return errs.E(errs.InvalidState, "category %q has %d subcategories and %d products; move or delete them first", row.Name, row.Children, row.Products)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM categories WHERE tenant_id = $1 AND id = $2`, tid(ctx), id)
		if code, _, ok := db.Constraint(err); ok && code == "23503" {
			return errs.E(errs.InvalidState, "category %q is in use; move its products and subcategories first", row.Name)
		}
		if err != nil {
			return fmt.Errorf("delete category: %w", err)
		}
		return audit.Record(ctx, tx, tid(ctx), "category.delete", "category", string(id), map[string]string{"name": row.Name})
	})
}

// ensureCategoryPath returns the id of the category at path ("服装/男装/T恤"),
// creating the missing levels.
func ensureCategoryPath(ctx context.Context, tx *db.Tx, path []string) (CategoryID, error) {
	var parent *CategoryID
	for i, name := range path {
		var id CategoryID
		var err error
		// A concurrent creator of the same level commits after this
		// statement's snapshot: the insert does nothing and the select
		// sees nothing, so ask again.
		for try := 0; try < 2; try++ {
			err = tx.GetContext(ctx, &id, `
WITH ins AS (
  INSERT INTO categories (tenant_id, parent_id, name, depth) VALUES ($1, $2, $3, $4)
  ON CONFLICT ON CONSTRAINT categories_name_key DO NOTHING RETURNING id)
SELECT id FROM ins
UNION ALL
SELECT id FROM categories WHERE tenant_id = $1 AND parent_id IS NOT DISTINCT FROM $2 AND name = $3
LIMIT 1`, tid(ctx), parent, name, i+1)
			if !errors.Is(err, sql.ErrNoRows) {
				break
			}
		}
		if err != nil {
			return "", fmt.Errorf("category path: %w", err)
		}
		parent = &id
	}
	return *parent, nil
}

// categoryPaths maps each category id to its path ("服装/男装/T恤").
func categoryPaths(all []*Category) map[CategoryID]string {
	byID := map[CategoryID]*Category{}
	for _, c := range all {
		byID[c.ID] = c
	}
	out := map[CategoryID]string{}
	for _, c := range all {
		parts := []string{}
		for a := c; a != nil; a = parentOf(byID, a) {
			parts = append([]string{a.Name}, parts...)
		}
		out[c.ID] = strings.Join(parts, "/")
	}
	return out
}
