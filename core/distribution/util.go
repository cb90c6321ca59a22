package distribution

import (
	"context"
	"database/sql"
	"time"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/page"
)

var errNoRows = sql.ErrNoRows

func auditRecord(ctx context.Context, tx *db.Tx, action, targetType, targetID string, detail any) error {
	return audit.Record(ctx, tx, tid(ctx), action, targetType, targetID, detail)
}

// timeCursor is the key of lists ordered by (time DESC, id DESC).
type timeCursor struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// decodeCursor reads p's cursor; at is nil on the first page.
func decodeCursor(p page.Request) (cur timeCursor, at *time.Time, err error) {
	if err := page.Decode(p.Cursor, &cur); err != nil {
		return cur, nil, err
	}
	if cur.ID != "" {
		at = &cur.At
	}
	return cur, at, nil
}

// cut trims a page fetched with limit+1 rows and returns the next cursor.
func cut[T any](items []T, limit int, key func(T) timeCursor) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, page.Encode(key(items[limit-1]))
}
