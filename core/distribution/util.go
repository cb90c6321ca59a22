package distribution

import (
	"context"
	"database/sql"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
)

var errNoRows = sql.ErrNoRows

func auditRecord(ctx context.Context, tx *db.Tx, action, targetType, targetID string, detail any) error {
	return audit.Record(ctx, tx, tid(ctx), action, targetType, targetID, detail)
}
