package db

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"

	"github.com/lib/pq"
)

// lib/pq sends every statement with arguments unnamed: PostgreSQL parses and
// plans it again on every execution. Measured on the checkout path, planning
// was about a third of PostgreSQL's time (a SKU read or a token lookup took
// 0.5–1.2 ms to plan under load and 0.1 ms to run). Each pooled connection
// therefore keeps its own cache of named prepared statements, keyed by the
// SQL text: the first execution prepares (one extra round trip), later ones
// only bind and execute, and after five executions PostgreSQL may switch to
// a generic plan and stop planning altogether.
//
// What is and is not cached:
//   - only statements with arguments (lib/pq sends argument-less ones as
//     simple queries, which is already one round trip and may hold several
//     statements, like the BEGIN in begin.go);
//   - not statements with more than maxCachedArgs arguments or longer than
//     maxCachedSQL bytes: those are generated bulk statements (a VALUES list
//     per row) whose text rarely repeats, and they would only churn the cache;
//   - at most `size` statements per connection, least recently used evicted
//     (and closed on the server).
//
// A statement the server no longer accepts — its result type changed after
// a migration ("cached plan must not change result type") or it was
// deallocated behind our back — is dropped from the cache when it fails, so
// the next execution prepares it again. Turn the cache off with
// `statement_cache=off` in DATABASE_URL (for a pooler that cannot keep
// named statements per client, like PgBouncer in transaction mode before
// 1.21); `statement_cache=N` sets the size.

const (
	defaultStmtCache = 256
	maxCachedArgs    = 64
	maxCachedSQL     = 8 << 10
)

// stmtCache is one connection's prepared statements. database/sql never uses
// a driver connection from two goroutines at once, so it needs no lock.
type stmtCache struct {
	size  int
	ll    *list.List // front: most recently used *cachedStmt
	byKey map[string]*list.Element
}

type cachedStmt struct {
	query string
	st    driver.Stmt
}

func newStmtCache(size int) *stmtCache {
	if size <= 0 {
		return nil
	}
	return &stmtCache{size: size, ll: list.New(), byKey: map[string]*list.Element{}}
}

func cacheable(query string, args []driver.NamedValue) bool {
	return len(args) > 0 && len(args) <= maxCachedArgs && len(query) <= maxCachedSQL
}

// get answers the connection's prepared statement for query, preparing it
// (and evicting the least recently used one) when it is not cached.
func (c *stmtCache) get(ctx context.Context, p driver.ConnPrepareContext, query string) (driver.Stmt, error) {
	if e, ok := c.byKey[query]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*cachedStmt).st, nil
	}
	if c.ll.Len() >= c.size {
		c.evict(c.ll.Back())
	}
	st, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.byKey[query] = c.ll.PushFront(&cachedStmt{query: query, st: st})
	return st, nil
}

// forget drops query's statement after the server refused it.
func (c *stmtCache) forget(query string) {
	if e, ok := c.byKey[query]; ok {
		c.evict(e)
	}
}

func (c *stmtCache) evict(e *list.Element) {
	cs := c.ll.Remove(e).(*cachedStmt)
	delete(c.byKey, cs.query)
	// Close sends Close + Sync; PostgreSQL accepts it even inside a failed
	// transaction. If it fails lib/pq marks the connection bad and the pool
	// replaces it, taking its statements with it.
	_ = cs.st.Close()
}

// stale reports whether err means the prepared statement itself is unusable
// (as opposed to the statement failing), so it must be prepared again.
func stale(err error) bool {
	var pqe *pq.Error
	if !errors.As(err, &pqe) {
		return false
	}
	switch pqe.Code {
	case "0A000": // feature_not_supported: cached plan must not change result type
		return pqe.Message == "cached plan must not change result type"
	case "26000": // invalid_sql_statement_name: prepared statement does not exist
		return true
	}
	return false
}

func (c *conn) cachedQuery(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return runCached(ctx, c, query, func(st driver.Stmt) (driver.Rows, error) {
		q, ok := st.(driver.StmtQueryContext)
		if !ok {
			return nil, errNotSupported
		}
		return q.QueryContext(ctx, args)
	})
}

func (c *conn) cachedExec(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return runCached(ctx, c, query, func(st driver.Stmt) (driver.Result, error) {
		x, ok := st.(driver.StmtExecContext)
		if !ok {
			return nil, errNotSupported
		}
		return x.ExecContext(ctx, args)
	})
}

// runCached runs query's cached statement through run, forgetting the
// statement when the server refused it as stale.
func runCached[R any](ctx context.Context, c *conn, query string, run func(driver.Stmt) (R, error)) (R, error) {
	var zero R
	p, ok := c.Conn.(driver.ConnPrepareContext)
	if !ok {
		return zero, errNotSupported
	}
	st, err := c.stmts.get(ctx, p, query)
	if err != nil {
		return zero, err
	}
	r, err := run(st)
	if err != nil && stale(err) {
		c.stmts.forget(query)
	}
	return r, err
}
