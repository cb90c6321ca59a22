// Package config reads Banyan's configuration from the environment. Every
// variable, its default and its meaning is listed in Vars, which the README
// mirrors.
package config

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// Config is the whole configuration.
type Config struct {
	DatabaseURL        string
	MigrateDatabaseURL string
	Addr               string
	PublicURL          string
	BaseDomain         string
	DefaultTenant      string
	PluginDir          string
	DataDir            string
	SecretKey          string
	TokenTTL           time.Duration
	PluginTimeout      time.Duration
	PluginProcs        int
	SettleEvery        time.Duration
	UnpaidSweepEvery   time.Duration
	TrustProxy         bool
	LogLevel           string
}

// Var documents one environment variable.
type Var struct {
	Name, Default, Help string
}

// Vars lists every variable Banyan reads.
var Vars = []Var{
	{"DATABASE_URL", "(set by make run)", "PostgreSQL URL the server connects with: the app role (banyan_app), which owns no table and cannot bypass RLS"},
	{"MIGRATE_DATABASE_URL", "DATABASE_URL", "PostgreSQL URL of the schema owner, used by `banyan migrate` and `banyan seed`"},
	{"BANYAN_ADDR", ":8080", "address to listen on"},
	{"BANYAN_PUBLIC_URL", "http://localhost:8080", "external base URL, used in links (referral links, pay pages, webhooks)"},
	{"BANYAN_BASE_DOMAIN", "localhost", "shops are served at {slug}.{BANYAN_BASE_DOMAIN}"},
	{"BANYAN_DEFAULT_TENANT", "", "shop served on the bare base domain (make run sets demo)"},
	{"BANYAN_PLUGIN_DIR", "bin/plugins", "directory of plugin binaries and their manifests"},
	{"BANYAN_DATA_DIR", ".data", "directory for uploaded files and the project-local PostgreSQL"},
	{"BANYAN_SECRET_KEY", "(BANYAN_DATA_DIR/secret.key)", "32 bytes in base64 (openssl rand -base64 32) sealing stored secrets such as OAuth client secrets; replicas must share it; without it a key file is created in the data directory"},
	{"BANYAN_TOKEN_TTL", "24h", "lifetime of staff and member tokens"},
	{"BANYAN_PLUGIN_TIMEOUT", "2s", "deadline of one plugin call"},
	{"BANYAN_PLUGIN_PROCS", "1", "GOMAXPROCS of each plugin process (a GOMAXPROCS set for banyan itself wins): one is the cheapest per call"},
	{"BANYAN_SETTLE_EVERY", "1m", "how often commissions whose freeze period has passed are settled (made available)"},
	{"BANYAN_UNPAID_SWEEP_EVERY", "30s", "how often orders still unpaid past their payment deadline are cancelled (the shortest payment timeout is 1m)"},
	{"BANYAN_TRUST_PROXY", "false", "take the client address from X-Forwarded-For (only behind a proxy you run)"},
	{"BANYAN_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"BANYAN_FONT_FILE", "(Debian CJK font)", "font of share posters (.ttf, .otf, or font 0 of a .ttc); default: first found of fonts-wqy-microhei, fonts-wqy-zenhei, fonts-noto-cjk; none: Chinese renders as ?"},
}

// Load reads the environment.
func Load() (Config, error) {
	c := Config{
		DatabaseURL:        os.Getenv("DATABASE_URL"),
		MigrateDatabaseURL: os.Getenv("MIGRATE_DATABASE_URL"),
		Addr:               get("BANYAN_ADDR", ":8080"),
		PublicURL:          get("BANYAN_PUBLIC_URL", "http://localhost:8080"),
		BaseDomain:         get("BANYAN_BASE_DOMAIN", "localhost"),
		DefaultTenant:      os.Getenv("BANYAN_DEFAULT_TENANT"),
		PluginDir:          get("BANYAN_PLUGIN_DIR", "bin/plugins"),
		DataDir:            get("BANYAN_DATA_DIR", ".data"),
		SecretKey:          os.Getenv("BANYAN_SECRET_KEY"),
		LogLevel:           get("BANYAN_LOG_LEVEL", "info"),
	}
	if c.MigrateDatabaseURL == "" {
		c.MigrateDatabaseURL = c.DatabaseURL
	}
	var err error
	if c.TokenTTL, err = time.ParseDuration(get("BANYAN_TOKEN_TTL", "24h")); err != nil || c.TokenTTL <= 0 {
		return c, fmt.Errorf("BANYAN_TOKEN_TTL: not a positive duration")
	}
	if c.PluginTimeout, err = time.ParseDuration(get("BANYAN_PLUGIN_TIMEOUT", "2s")); err != nil || c.PluginTimeout <= 0 {
		return c, fmt.Errorf("BANYAN_PLUGIN_TIMEOUT: not a positive duration")
	}
	if c.PluginProcs, err = strconv.Atoi(get("BANYAN_PLUGIN_PROCS", "1")); err != nil || c.PluginProcs <= 0 {
		return c, fmt.Errorf("BANYAN_PLUGIN_PROCS: not a positive integer")
	}
	if c.SettleEvery, err = time.ParseDuration(get("BANYAN_SETTLE_EVERY", "1m")); err != nil || c.SettleEvery <= 0 {
		return c, fmt.Errorf("BANYAN_SETTLE_EVERY: not a positive duration")
	}
	if c.UnpaidSweepEvery, err = time.ParseDuration(get("BANYAN_UNPAID_SWEEP_EVERY", "30s")); err != nil || c.UnpaidSweepEvery <= 0 {
		return c, fmt.Errorf("BANYAN_UNPAID_SWEEP_EVERY: not a positive duration")
	}
	if c.TrustProxy, err = strconv.ParseBool(get("BANYAN_TRUST_PROXY", "false")); err != nil {
		return c, fmt.Errorf("BANYAN_TRUST_PROXY: not a boolean")
	}
	return c, nil
}

func get(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
