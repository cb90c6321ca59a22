package db

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"

	"github.com/pressly/goose/v3"

	"github.com/banyanmall/banyan/migrations"
)

func provider(sqlDB *sql.DB) (*goose.Provider, error) {
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration. It must run as the schema owner.
func Migrate(ctx context.Context, sqlDB *sql.DB, log *slog.Logger) error {
	p, err := provider(sqlDB)
	if err != nil {
		return err
	}
	res, err := p.Up(ctx)
	for _, r := range res {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration.String())
	}
	if err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// MigrateDown rolls back the latest migration.
func MigrateDown(ctx context.Context, sqlDB *sql.DB) error {
	p, err := provider(sqlDB)
	if err != nil {
		return err
	}
	if _, err := p.Down(ctx); err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// MigrationStatus writes one line per migration.
func MigrationStatus(ctx context.Context, sqlDB *sql.DB, w io.Writer) error {
	p, err := provider(sqlDB)
	if err != nil {
		return err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("migrate status: %w", err)
	}
	for _, s := range st {
		applied := "pending"
		if s.State == goose.StateApplied {
			applied = "applied " + s.AppliedAt.Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(w, "%05d  %-40s %s\n", s.Source.Version, s.Source.Path, applied)
	}
	return nil
}

// PendingMigrations reports how many migrations the database lacks; /readyz
// is not ready while it is above zero.
func PendingMigrations(ctx context.Context, sqlDB *sql.DB) (int, error) {
	p, err := provider(sqlDB)
	if err != nil {
		return 0, err
	}
	// The app role can read goose's table; GetDBVersion only reads.
	cur, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range p.ListSources() {
		if s.Version > cur {
			n++
		}
	}
	return n, nil
}
