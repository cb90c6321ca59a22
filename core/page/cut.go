package page

// Cut trims rows fetched with LIMIT Limit+1 to one page and returns the
// cursor of the next page ("" on the last one), made from the last row kept.
func Cut[T any](rows []T, limit int, key func(last T) any) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, Encode(key(rows[limit-1]))
}
