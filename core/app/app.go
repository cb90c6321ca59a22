// Package app wires Banyan's services together from a configuration; the
// binary and the end-to-end tests build the same App.
package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/banyanmall/banyan/core/api"
	"github.com/banyanmall/banyan/core/authz"
	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/config"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/distribution"
	"github.com/banyanmall/banyan/core/finance"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/jobs"
	"github.com/banyanmall/banyan/core/marketing"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/orders"
	"github.com/banyanmall/banyan/core/pluginhost"
	"github.com/banyanmall/banyan/core/plugins"
	"github.com/banyanmall/banyan/core/promotions"
	"github.com/banyanmall/banyan/core/secrets"
	"github.com/banyanmall/banyan/core/storefront"
	"github.com/banyanmall/banyan/sdk"
	"github.com/banyanmall/banyan/tenants"
)

// App is a running Banyan: its services and its HTTP handler.
type App struct {
	Cfg     config.Config
	Log     *slog.Logger
	DB      *db.DB
	Authz   *authz.Enforcer
	Staff   *identity.Staff
	Members *members.Service
	Tenants *tenants.Service
	Server  *api.Server
	Handler http.Handler

	// Marketing is the coupon service.
	Marketing *marketing.Service
	// Catalog is the catalogue; Jobs runs the background jobs (River).
	Catalog *catalog.Service
	Jobs    *jobs.Runner
	// Finance is the double-entry ledger.
	Finance *finance.Service
	// Distribution is the distributor network and its money.
	Distribution *distribution.Service

	// Plugins runs the plugin processes (one host for all tenants);
	// TenantPlugins is which plugins each shop enabled, with their config;
	// Promotions is the promotions engine (campaigns, the quote's step).
	Plugins       *pluginhost.Host
	TenantPlugins *plugins.Service
	Promotions    *promotions.Service
	// Orders is checkout, orders, payments, refunds and shipping.
	Orders *orders.Service

	cancel context.CancelFunc
}

// Options are test and embedding hooks.
type Options struct {
	AdminUI http.Handler
	// Storefront replaces the shops' storefront (core/storefront) when set.
	Storefront http.Handler
	// Jobs tunes the job runner (tests poll faster).
	Jobs jobs.Options
}

// New builds the app. The context bounds background work (the policy
// watcher); Close stops it.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opt Options) (*App, error) {
	ctx, cancel := context.WithCancel(ctx)
	a := &App{Cfg: cfg, Log: log, cancel: cancel}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		cancel()
		return nil, err
	}
	a.DB = d
	if a.Authz, err = authz.New(ctx, d, log); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.Authz.Watch(ctx, cfg.DatabaseURL); err != nil {
		a.Close()
		return nil, err
	}
	// The caches of sessions, shop plugins and settings trust themselves
	// only while this replica hears the changes of the others.
	if err := d.Changes.Start(ctx, cfg.DatabaseURL); err != nil {
		a.Close()
		return nil, err
	}
	throttle := &identity.Throttle{DB: d, Window: 15 * time.Minute, Lockout: 15 * time.Minute}
	a.Staff = &identity.Staff{DB: d, Throttle: throttle, TokenTTL: cfg.TokenTTL}
	box, err := secrets.Load(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Members = &members.Service{DB: d, Throttle: throttle, SMS: members.LogSender{Log: log}, TokenTTL: cfg.TokenTTL, Secrets: box}
	a.Marketing = &marketing.Service{DB: d, Members: a.Members}
	a.Members.CouponCounts = a.Marketing.CountsFor
	a.Tenants = &tenants.Service{DB: d, Staff: a.Staff, Authz: a.Authz, BaseDomain: cfg.BaseDomain}
	a.Jobs = jobs.New(d.DB.DB, log, opt.Jobs)
	a.Finance = &finance.Service{DB: d}
	a.Catalog = &catalog.Service{DB: d, Tenants: a.Tenants, Log: log,
		Uploads:     catalog.FileStorage{Dir: filepath.Join(cfg.DataDir, "uploads")},
		ImportFiles: catalog.FileStorage{Dir: filepath.Join(cfg.DataDir, "imports")}}
	catalog.Register(a.Jobs, a.Catalog)
	marketing.Register(a.Jobs, a.Marketing)

	if opt.Storefront == nil {
		routes := map[string]bool{}
		for _, rt := range api.Routes() {
			routes[rt.Method+" "+rt.Path] = true
		}
		sf := storefront.New(storefront.Config{PublicURL: cfg.PublicURL, DefaultTenant: cfg.DefaultTenant, APIRoutes: routes},
			a.Tenants, a.Catalog, log)
		sf.PaymentProviders = func(ctx context.Context) ([]string, error) {
			var names []string
			err := d.InTenant(ctx, func(tx *db.Tx) error {
				es, err := a.TenantPlugins.Enabled(ctx, tx, sdk.KindPayment)
				for _, e := range es {
					names = append(names, e.Name)
				}
				return err
			})
			return names, err
		}
		opt.Storefront = sf
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(d.DB.DB, "banyan"))
	if a.Plugins, err = pluginhost.New(pluginhost.Options{Dir: cfg.PluginDir, CallTimeout: cfg.PluginTimeout, Procs: cfg.PluginProcs, Logger: log, Registerer: reg}); err != nil {
		a.Close()
		return nil, err
	}
	a.TenantPlugins = &plugins.Service{DB: d, Host: a.Plugins, Tenants: a.Tenants, Secrets: box}
	a.Promotions = &promotions.Service{DB: d, Host: a.Plugins, Plugins: a.TenantPlugins}
	a.Distribution = &distribution.Service{DB: d, Finance: a.Finance, Members: a.Members, Plugins: a.Plugins, Log: log,
		PluginConfig: func(ctx context.Context, tx *db.Tx, name string) (json.RawMessage, error) {
			c, _, err := a.TenantPlugins.Config(ctx, tx, name)
			return c, err
		}}
	a.Finance.Derived = a.Distribution.DerivedTotals
	a.Members.OnRegister = append(a.Members.OnRegister, a.Distribution.OnRegister)
	distribution.Register(a.Jobs, a.Distribution, cfg.SettleEvery)
	a.Server = &api.Server{
		Log: log, DB: d, Tenants: a.Tenants, Staff: a.Staff, Members: a.Members, Authz: a.Authz, Metrics: reg,
		Cfg:     api.Config{BaseDomain: cfg.BaseDomain, DefaultTenant: cfg.DefaultTenant, TrustProxy: cfg.TrustProxy, Version: "0.1.0"},
		AdminUI: opt.AdminUI, Storefront: opt.Storefront,
	}
	a.Orders = newOrders(a, cfg.UnpaidSweepEvery)
	a.Server.Orders = a.Orders
	a.Server.Marketing = a.Marketing
	a.Server.Catalog = a.Catalog
	a.Server.Finance = a.Finance
	a.Server.Distribution = a.Distribution
	a.Server.Plugins, a.Server.TenantPlugins, a.Server.Promotions = a.Plugins, a.TenantPlugins, a.Promotions
	a.Server.Ready = append(a.Server.Ready, func(context.Context) (string, bool, any) {
		ok, detail := plugins.Ready(a.Plugins)
		return "plugins", ok, detail
	})
	a.Handler = a.Server.Handler()
	// Started last: every capability registers its workers above.
	if err := a.Jobs.Start(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Close stops background work and closes the pool.
func (a *App) Close() {
	if a.Jobs != nil {
		a.Jobs.Close()
	}
	a.cancel()
	if a.Plugins != nil {
		a.Plugins.Close()
	}
	if a.DB != nil {
		a.DB.Close()
	}
}
