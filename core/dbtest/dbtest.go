// Package dbtest gives each test its own migrated PostgreSQL database, created
// from a template that is migrated once per migration set, and dropped in
// t.Cleanup. `make test` starts the throwaway cluster and exports
// BANYAN_TEST_PG (the schema owner, allowed to create databases),
// BANYAN_TEST_APP_USER and BANYAN_TEST_APP_PASSWORD.
//
// BANYAN_TEST_KEEP_DB=1 keeps the databases instead of dropping them (their
// names are logged), to look at a test's or benchmark's data with psql
// afterwards, e.g. EXPLAIN (ANALYZE, BUFFERS) on the seeded catalogue of
// BenchmarkSearch. Drop them by hand when done.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/jobs"
	"github.com/banyanmall/banyan/migrations"
)

// DB is one test database: App connects as the app role (RLS applies), Owner
// as the schema owner (for assertions about the schema itself).
type DB struct {
	App   *db.DB
	Owner *sqlx.DB
	Name  string
	// AppURL is the app role's URL for this database (for a server or a
	// second replica in the same test).
	AppURL string
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// New returns a fresh migrated database for tb.
func New(tb testing.TB) *DB {
	tb.Helper()
	base := os.Getenv("BANYAN_TEST_PG")
	if base == "" {
		tb.Fatal("BANYAN_TEST_PG is not set: run the tests with `make test`, which starts a throwaway PostgreSQL")
	}
	ctx := context.Background()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(ctx, base) })
	if templateErr != nil {
		tb.Fatalf("dbtest template: %v", templateErr)
	}
	admin, err := sql.Open("postgres", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	name := "t_" + randHex(8)
	if _, err := admin.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, templateName)); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	ownerURL := withDB(base, name, "", "")
	appURL := withDB(base, name, env("BANYAN_TEST_APP_USER", "banyan_app"), env("BANYAN_TEST_APP_PASSWORD", "banyan_app"))
	owner, err := sqlx.Open("postgres", ownerURL)
	if err != nil {
		tb.Fatal(err)
	}
	app, err := db.Open(ctx, appURL)
	if err != nil {
		tb.Fatalf("open app connection: %v", err)
	}
	keep := os.Getenv("BANYAN_TEST_KEEP_DB") != ""
	tb.Cleanup(func() {
		app.Close()
		owner.Close()
		if keep {
			tb.Logf("BANYAN_TEST_KEEP_DB: kept database %s (drop it when done)", name)
			return
		}
		a, err := sql.Open("postgres", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return &DB{App: app, Owner: owner, Name: name, AppURL: appURL}
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func withDB(base, name, user, password string) string {
	u, err := url.Parse(base)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	if user != "" {
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}

// ensureTemplate migrates a template database named after the hash of the
// migration files, once per cluster, under an advisory lock (test binaries
// of several packages run at the same time).
func ensureTemplate(ctx context.Context, base string) (string, error) {
	h := sha256.New()
	entries, _ := fs.ReadDir(migrations.FS, ".")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		b, _ := fs.ReadFile(migrations.FS, n)
		h.Write([]byte(n))
		h.Write(b)
	}
	h.Write([]byte(jobs.SchemaMarker))
	name := "tmpl_" + hex.EncodeToString(h.Sum(nil))[:16]

	admin, err := sql.Open("postgres", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(727274)`) //nolint:errcheck
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s`, name)); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, name)); err != nil {
		return "", err
	}
	mdb, err := sql.Open("postgres", withDB(base, name, "", ""))
	if err != nil {
		return "", err
	}
	mctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	err = db.Migrate(mctx, mdb, quiet)
	if err == nil {
		err = jobs.Migrate(mctx, mdb, quiet)
	}
	mdb.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s WITH IS_TEMPLATE true`, name)); err != nil {
		return "", err
	}
	return name, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
