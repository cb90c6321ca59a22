// Command banyan is the Banyan server and its operator tools.
//
//	banyan serve                 serve the API, consoles and storefronts
//	banyan migrate up|down|status
//	banyan seed                  create the demo shop and logins (idempotent)
//	banyan operator EMAIL ROLE   create or update a platform operator (password from BANYAN_OPERATOR_PASSWORD)
//	banyan env                   list the environment variables and their defaults
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	_ "github.com/lib/pq"

	"github.com/banyanmall/banyan/core/app"
	"github.com/banyanmall/banyan/core/config"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/jobs"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "banyan:", err)
		os.Exit(1)
	}
}

func usage() error {
	return errors.New("usage: banyan serve | migrate up|down|status | seed | operator EMAIL ROLE | env")
}

func run(args []string) error {
	if len(args) == 0 {
		return usage()
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "env":
		for _, v := range config.Vars {
			fmt.Printf("%-24s default %-26s %s\n", v.Name, v.Default, v.Help)
		}
		return nil
	case "migrate":
		if len(args) < 2 {
			return usage()
		}
		return migrate(ctx, cfg, log, args[1])
	case "seed":
		return seed(ctx, cfg, log)
	case "operator":
		if len(args) < 3 {
			return usage()
		}
		return operator(ctx, cfg, log, args[1], args[2])
	case "serve":
		return serve(ctx, cfg, log)
	}
	return usage()
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger, cmd string) error {
	if cfg.MigrateDatabaseURL == "" {
		return errors.New("set MIGRATE_DATABASE_URL (or DATABASE_URL) to the schema owner's URL")
	}
	sqlDB, err := sql.Open("postgres", cfg.MigrateDatabaseURL)
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	switch cmd {
	case "up":
		if err := db.Migrate(ctx, sqlDB, log); err != nil {
			return err
		}
		return jobs.Migrate(ctx, sqlDB, log)
	case "down":
		return db.MigrateDown(ctx, sqlDB)
	case "status":
		return db.MigrationStatus(ctx, sqlDB, os.Stdout)
	}
	return usage()
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if cfg.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set (make run sets up a local PostgreSQL for you)")
	}
	a, err := app.New(ctx, cfg, log, uiOptions(cfg))
	if err != nil {
		return err
	}
	defer a.Close()
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("banyan serving", "addr", cfg.Addr, "public_url", cfg.PublicURL)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func operator(ctx context.Context, cfg config.Config, log *slog.Logger, email, role string) error {
	pw := os.Getenv("BANYAN_OPERATOR_PASSWORD")
	if pw == "" {
		return errors.New("set BANYAN_OPERATOR_PASSWORD")
	}
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	_, err = a.Staff.EnsurePlatformUser(ctx, email, strings.Split(email, "@")[0], pw, role)
	return err
}
