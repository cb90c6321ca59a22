package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/lib/pq"

	"github.com/banyanmall/banyan/core/tenancy"
)

// Every tenant transaction used to cost three round trips before its first
// query: BEGIN, set_config, then the query. The connector below sends
// "BEGIN READ WRITE; SELECT set_config('app.tenant_id', '<uuid>', true)" as
// one simple-protocol message instead: the same two statements, in the same
// order, local to the same transaction, one round trip (a checkout opens
// about a dozen transactions, so it saves a dozen round trips). The tenant
// is inlined only after tenancy.ValidUUID accepted it; anything else takes
// the parameterised path.

// beginTenantKey carries the tenant from run to the driver's BeginTx.
type beginTenantKey struct{}

// connector wraps lib/pq's so that its connections begin tenant
// transactions in one round trip and keep their prepared statements
// (stmtcache.go; stmtCache 0 turns that off).
type connector struct {
	pq        *pq.Connector
	stmtCache int
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.pq.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: cn, stmts: newStmtCache(c.stmtCache)}, nil
}

func (c connector) Driver() driver.Driver { return c.pq.Driver() }

// conn is a lib/pq connection; every optional interface database/sql looks
// for is passed through, BeginTx learns the tenant, and statements with
// arguments run prepared (stmts is nil when the cache is off).
type conn struct {
	driver.Conn
	stmts *stmtCache
}

var errNotSupported = errors.New("db: driver connection lacks an expected interface")

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	b, ok := c.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, errNotSupported
	}
	tenant, _ := ctx.Value(beginTenantKey{}).(string)
	if tenant == "" {
		return b.BeginTx(ctx, opts)
	}
	if !tenancy.ValidUUID(tenant) || opts.ReadOnly || opts.Isolation != driver.IsolationLevel(0) {
		tx, err := b.BeginTx(ctx, opts)
		if err != nil {
			return nil, err
		}
		if err := c.setTenant(ctx, tenant); err != nil {
			_ = tx.Rollback()
			return nil, err
		}
		return tx, nil
	}
	ex, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, errNotSupported
	}
	tx := simpleTx{ex}
	// No arguments: lib/pq sends it as one simple query (both statements,
	// one round trip).
	if _, err := ex.ExecContext(ctx, "BEGIN READ WRITE; SELECT set_config('app.tenant_id', '"+tenant+"', true)", nil); err != nil {
		// Leave no open transaction on a pooled connection; if even the
		// rollback fails lib/pq marks the connection bad.
		_ = tx.Rollback()
		return nil, fmt.Errorf("db set tenant: %w", err)
	}
	return tx, nil
}

// simpleTx ends a transaction begun by the one-message BEGIN. It cannot use
// lib/pq's own Commit and Rollback: they also end the context watch that
// lib/pq's BeginTx starts, and calling a previous transaction's watch a
// second time panics inside lib/pq.
type simpleTx struct{ ex driver.ExecerContext }

// Commit commits. Inside a transaction that already failed, PostgreSQL
// answers COMMIT with ROLLBACK and no error (lib/pq checks the command tag,
// which ExecContext does not show); the SELECT in front of it fails there
// instead and the rest of the message is skipped, so a transaction that
// lost a statement never looks committed.
func (t simpleTx) Commit() error {
	if _, err := t.ex.ExecContext(context.Background(), "SELECT 1; COMMIT", nil); err != nil {
		_ = t.Rollback() // a no-op warning when COMMIT itself failed
		return err
	}
	return nil
}

func (t simpleTx) Rollback() error {
	_, err := t.ex.ExecContext(context.Background(), "ROLLBACK", nil)
	return err
}

func (c *conn) setTenant(ctx context.Context, tenant string) error {
	ex, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return errNotSupported
	}
	if _, err := ex.ExecContext(ctx, `SELECT set_config('app.tenant_id', $1, true)`, []driver.NamedValue{{Ordinal: 1, Value: tenant}}); err != nil {
		return fmt.Errorf("db set tenant: %w", err)
	}
	return nil
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.Prepare(query)
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.stmts != nil && cacheable(query, args) {
		return c.cachedExec(ctx, query, args)
	}
	if e, ok := c.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.stmts != nil && cacheable(query, args) {
		return c.cachedQuery(ctx, query, args)
	}
	if q, ok := c.Conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *conn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *conn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *conn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}
