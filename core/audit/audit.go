// Package audit records who did what, in which tenant, when. Entries are
// written in the transaction of the change they describe, and the app role
// can only insert them.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/reqctx"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Entry is one audit record.
type Entry struct {
	ID         int64           `db:"id" json:"id"`
	ActorType  string          `db:"actor_type" json:"actor_type"`
	ActorID    string          `db:"actor_id" json:"actor_id"`
	Action     string          `db:"action" json:"action"`
	TargetType string          `db:"target_type" json:"target_type"`
	TargetID   string          `db:"target_id" json:"target_id"`
	Detail     json.RawMessage `db:"detail" json:"detail"`
	RequestID  string          `db:"request_id" json:"request_id"`
	CreatedAt  time.Time       `db:"created_at" json:"created_at"`
}

func actor(ctx context.Context) (string, string) {
	a, ok := identity.ActorFrom(ctx)
	switch {
	case !ok:
		return "system", ""
	case a.Kind == "member":
		return "member", string(a.MemberID)
	default:
		return "staff", string(a.UserID)
	}
}

// Record writes a tenant audit entry in tx for tenant.
func Record(ctx context.Context, tx *db.Tx, tenant tenancy.TenantID, action, targetType, targetID string, detail any) error {
	typ, id := actor(ctx)
	return insert(ctx, tx, tenant, typ, id, action, targetType, targetID, detail)
}

// RecordPlatform writes a platform audit entry, and, when the action concerns
// a tenant, a tenant entry too (so the merchant sees it was suspended).
func RecordPlatform(ctx context.Context, tx *db.Tx, tenant tenancy.TenantID, action string, detail any) error {
	_, id := actor(ctx)
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	var tid any
	if tenant != "" {
		tid = tenant
	}
	var actorID any
	if id != "" {
		actorID = id
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO platform_audit_log (actor_id, action, tenant_id, detail, request_id) VALUES ($1, $2, $3, $4, $5)`,
		actorID, action, tid, string(b), reqctx.RequestID(ctx)); err != nil {
		return fmt.Errorf("platform audit: %w", err)
	}
	if tenant == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT set_config('app.tenant_id', $1, true)`, tenant); err != nil {
		return err
	}
	return insert(ctx, tx, tenant, "platform", id, action, "tenant", string(tenant), detail)
}

func insert(ctx context.Context, tx *db.Tx, tenant tenancy.TenantID, typ, id, action, targetType, targetID string, detail any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, detail, request_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tenant, typ, id, action, targetType, targetID, string(b), reqctx.RequestID(ctx))
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// List returns the tenant's latest entries, newest first, before cursor id
// (0 = from the newest).
func List(ctx context.Context, d *db.DB, before int64, limit int) ([]Entry, error) {
	var out []Entry
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `
SELECT id, actor_type, actor_id, action, target_type, target_id, detail, request_id, created_at
FROM audit_log WHERE tenant_id = $1 AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3`,
			tenancy.ID(ctx), before, limit)
	})
	return out, err
}
