package identity

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
)

// Throttle counts failed logins per key (an account, or an address) in the
// database, so every replica sees the same counts. After Limit failures in
// Window the key is locked for Lockout.
type Throttle struct {
	DB      *db.DB
	Window  time.Duration
	Lockout time.Duration
}

// ThrottleKey is one thing logins are counted against.
type ThrottleKey struct {
	Key   string
	Limit int
}

// LockedError is returned while a key is locked; RetryAfter feeds the
// Retry-After header.
type LockedError struct {
	RetryAfter time.Duration
}

func (e *LockedError) Error() string { return fmt.Sprintf("locked out for %s", e.RetryAfter) }

// Check fails with errs.LockedOut (wrapping *LockedError) when any key is locked.
func (t *Throttle) Check(ctx context.Context, keys ...ThrottleKey) error {
	for _, k := range keys {
		var until *time.Time
		err := t.DB.GetContext(ctx, &until, `SELECT locked_until FROM auth_throttle WHERE key = $1`, k.Key)
		if err != nil {
			continue // no row: never failed
		}
		if until != nil && until.After(time.Now()) {
			d := time.Until(*until)
			return &errs.Error{Code: errs.LockedOut, Message: fmt.Sprintf("too many failed attempts; try again in %d seconds", int(math.Ceil(d.Seconds()))), Err: &LockedError{RetryAfter: d}}
		}
	}
	return nil
}

// Fail records a failure against every key, in its own transaction so that
// it survives the failed login's rollback.
func (t *Throttle) Fail(ctx context.Context, keys ...ThrottleKey) error {
	return t.DB.InPlatform(ctx, func(tx *db.Tx) error {
		for _, k := range keys {
			_, err := tx.ExecContext(ctx, `
INSERT INTO auth_throttle AS a (key, failures, window_start) VALUES ($1, 1, now())
ON CONFLICT (key) DO UPDATE SET
  failures     = CASE WHEN a.window_start < now() - make_interval(secs => $2) THEN 1 ELSE a.failures + 1 END,
  window_start = CASE WHEN a.window_start < now() - make_interval(secs => $2) THEN now() ELSE a.window_start END`,
				k.Key, t.Window.Seconds())
			if err != nil {
				return fmt.Errorf("throttle fail: %w", err)
			}
			_, err = tx.ExecContext(ctx, `
UPDATE auth_throttle SET locked_until = now() + make_interval(secs => $3), failures = 0, window_start = now()
WHERE key = $1 AND failures >= $2`, k.Key, k.Limit, t.Lockout.Seconds())
			if err != nil {
				return fmt.Errorf("throttle lock: %w", err)
			}
		}
		return nil
	})
}

// Reset forgets the failures of key after a successful login.
func (t *Throttle) Reset(ctx context.Context, key string) {
	_, _ = t.DB.ExecContext(ctx, `DELETE FROM auth_throttle WHERE key = $1 AND (locked_until IS NULL OR locked_until < now())`, key)
}
