// Package api is Banyan's HTTP surface: the route table, the middleware that
// resolves the tenant and checks authentication and permission, thin
// handlers that parse a request and call one service method, problem+json
// errors, and the OpenAPI document generated from the route table.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/banyanmall/banyan/core/authz"
	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/distribution"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/finance"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/marketing"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/orders"
	"github.com/banyanmall/banyan/core/pluginhost"
	"github.com/banyanmall/banyan/core/plugins"
	"github.com/banyanmall/banyan/core/promotions"
	"github.com/banyanmall/banyan/core/reqctx"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/tenants"
)

// Config is what the HTTP layer needs to know about the deployment.
type Config struct {
	BaseDomain    string
	DefaultTenant string // tenant for requests to the bare base domain (development)
	TrustProxy    bool   // take the client address from X-Forwarded-For
	Version       string
}

// ReadyCheck reports one dependency for /readyz.
type ReadyCheck func(ctx context.Context) (name string, ok bool, detail any)

// Server holds the services the handlers call.
type Server struct {
	Log     *slog.Logger
	DB      *db.DB
	Cfg     Config
	Tenants *tenants.Service
	Staff   *identity.Staff
	Members *members.Service
	Authz   *authz.Enforcer
	Metrics *prometheus.Registry
	Ready   []ReadyCheck
	// AdminUI serves the consoles under /admin/; Storefront serves / per tenant.
	AdminUI    http.Handler
	Storefront http.Handler

	// Marketing is the coupon service.
	Marketing *marketing.Service
	// Catalog is the catalogue.
	Catalog *catalog.Service
	// Orders is checkout, orders, payments, refunds and shipping.
	Orders *orders.Service
	// Finance is the ledger.
	Finance *finance.Service
	// Distribution is the distributor network and its money.
	Distribution *distribution.Service
	// Plugins is the plugin host; TenantPlugins the shops' plugin settings;
	// Promotions the promotions engine.
	Plugins       *pluginhost.Host
	TenantPlugins *plugins.Service
	Promotions    *promotions.Service

	router   *mux.Router
	reqTotal *prometheus.CounterVec
	reqDur   *prometheus.HistogramVec
}

// Handler builds the router from the route table.
func (s *Server) Handler() http.Handler {
	s.reqTotal = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "banyan_http_requests_total", Help: "HTTP requests by route and status."}, []string{"route", "method", "status"})
	s.reqDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "banyan_http_request_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"route", "method"})
	if s.Metrics != nil {
		s.Metrics.MustRegister(s.reqTotal, s.reqDur)
	}
	r := mux.NewRouter()
	s.router = r
	for _, rt := range Routes() {
		r.Handle(rt.Path, s.wrap(rt)).Methods(rt.Method).Name(rt.Name)
	}
	if s.AdminUI != nil {
		r.PathPrefix("/admin/").Handler(s.AdminUI)
		r.Handle("/admin", s.AdminUI)
	}
	if s.Storefront != nil {
		// Everything but the API: an unknown /api/ path stays a problem+json 404.
		r.PathPrefix("/").MatcherFunc(func(req *http.Request, _ *mux.RouteMatch) bool {
			return !strings.HasPrefix(req.URL.Path, "/api/")
		}).Handler(s.Storefront)
	}
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.writeError(w, req, errs.E(errs.NotFound, "no such endpoint: %s %s", req.Method, req.URL.Path))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Allow", "")
		p := errs.E(errs.NotFound, "method %s is not allowed here", req.Method)
		s.writeError(w, req, p)
	})
	return s.outer(r)
}

var reqIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// outer runs for every request: request id, client address, recovery, access log.
func (s *Server) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !reqIDRe.MatchString(id) {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", id)
		ctx := reqctx.WithRequestID(r.Context(), id)
		ctx = reqctx.WithAddr(ctx, s.clientAddr(r))
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w, status: 200}
		defer func() {
			if p := recover(); p != nil {
				s.Log.ErrorContext(ctx, "panic", "panic", fmt.Sprint(p), "request_id", id)
				if !sw.wrote {
					s.writeError(sw, r, fmt.Errorf("panic: %v", p))
				}
			}
			s.Log.InfoContext(ctx, "http", "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"ms", time.Since(start).Milliseconds(), "request_id", id)
		}()
		next.ServeHTTP(sw, r)
	})
}

func (s *Server) clientAddr(r *http.Request) string {
	if s.Cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			return strings.TrimSpace(strings.Split(xff, ",")[0])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// wrap applies a route's body limit, tenant, authentication and permission,
// then calls its handler and maps its error.
func (s *Server) wrap(rt Route) http.Handler {
	limit := rt.MaxBody
	if limit == 0 {
		limit = defaultMaxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw, _ := w.(*statusWriter)
		defer func() {
			status := 200
			if sw != nil {
				status = sw.status
			}
			s.reqTotal.WithLabelValues(rt.Name, rt.Method, strconv.Itoa(status)).Inc()
			s.reqDur.WithLabelValues(rt.Name, rt.Method).Observe(time.Since(start).Seconds())
		}()
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		ctx, err := s.admit(r, rt)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if c, err := r.Cookie(distribution.RefCookie); err == nil {
			// The referral code of /r/{code}, for the registration hook.
			ctx = distribution.WithRefCode(ctx, c.Value)
		}
		if err := rt.H(s, w, r.WithContext(ctx)); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// bearer returns the token of an Authorization: Bearer header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// admit is the whole access decision for a route, in one place.
func (s *Server) admit(r *http.Request, rt Route) (context.Context, error) {
	ctx := r.Context()
	switch rt.Access {
	case Public:
		return ctx, nil
	case Webhook:
		return s.withTenant(ctx, mux.Vars(r)["tenant"], "", false)
	case Staff, Platform:
		a, err := s.staffActor(ctx, r)
		if err != nil {
			return nil, err
		}
		ctx = identity.WithActor(ctx, a)
		if rt.Access == Platform && !s.Authz.Allowed(string(a.UserID), authz.PlatformDomain, rt.Perm) {
			return nil, errs.E(errs.Forbidden, "this needs the platform permission %s", rt.Perm)
		}
		return ctx, nil
	}
	// Tenant routes.
	ctx, err := s.withTenant(ctx, r.Header.Get("X-Tenant"), r.Host, true)
	if err != nil {
		return nil, err
	}
	switch rt.Access {
	case TenantStaff:
		a, err := s.staffActor(ctx, r)
		if err != nil {
			return nil, err
		}
		tid := string(tenancy.ID(ctx))
		if len(s.Authz.Roles(string(a.UserID), tid)) == 0 {
			// Not on this shop's staff: the shop does not exist for them.
			return nil, errs.E(errs.NotFound, "shop not found")
		}
		if !s.Authz.Allowed(string(a.UserID), tid, rt.Perm) {
			return nil, errs.E(errs.Forbidden, "your role does not include %s", rt.Perm)
		}
		return identity.WithActor(ctx, a), nil
	case Member:
		tok := bearer(r)
		if tok == "" {
			return nil, errs.E(errs.Unauthenticated, "log in first (Authorization: Bearer <token>)")
		}
		a, err := s.Members.Authenticate(ctx, tok)
		if err != nil {
			return nil, err
		}
		return identity.WithActor(ctx, a), nil
	}
	return ctx, nil // PublicTenant
}

func (s *Server) staffActor(ctx context.Context, r *http.Request) (identity.Actor, error) {
	tok := bearer(r)
	if tok == "" {
		return identity.Actor{}, errs.E(errs.Unauthenticated, "log in first (Authorization: Bearer <token>)")
	}
	return s.Staff.Authenticate(ctx, tok)
}

// withTenant resolves the tenant and refuses a suspended one.
func (s *Server) withTenant(ctx context.Context, header, host string, useHost bool) (context.Context, error) {
	fallback := ""
	if useHost {
		fallback = s.Cfg.DefaultTenant
	} else if header == "" {
		return nil, errs.E(errs.NotFound, "shop not found")
	}
	t, err := s.Tenants.Resolve(ctx, host, header, fallback)
	if err != nil {
		return nil, err
	}
	if t.Status != tenants.StatusActive {
		return nil, errs.E(errs.TenantSuspended, "this shop is suspended")
	}
	return tenancy.With(ctx, t.Context()), nil
}

// Router returns the router of the route table (for tests that walk it).
func (s *Server) Router() *mux.Router { return s.router }
