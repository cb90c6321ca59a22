// Package apptest runs a whole Banyan (real PostgreSQL database of its own,
// real services, real HTTP) for end-to-end tests, and offers the helpers
// every capability's tests share: sign up a shop, log in, call the API.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/banyanmall/banyan/core/api"
	"github.com/banyanmall/banyan/core/app"
	"github.com/banyanmall/banyan/core/config"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/dbtest"
	"github.com/banyanmall/banyan/core/jobs"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Env is one running Banyan.
type Env struct {
	T   testing.TB
	DB  *dbtest.DB
	App *app.App
	Srv *httptest.Server
}

// Option adjusts the configuration before the app starts.
type Option func(*config.Config)

// New starts Banyan on a fresh database.
func New(tb testing.TB, opts ...Option) *Env {
	tb.Helper()
	d := dbtest.New(tb)
	cfg := config.Config{
		DatabaseURL: d.AppURL, BaseDomain: "shops.test", PluginDir: os.Getenv("BANYAN_PLUGIN_DIR"),
		DataDir: tb.TempDir(), TokenTTL: time.Hour, PluginTimeout: 2 * time.Second, PublicURL: "http://localhost",
		// Tests call orders.Service.SweepUnpaid themselves, or ask for a
		// short interval: a periodic sweep in the middle of a test would
		// read the orders clock (Orders.Now) that tests move.
		UnpaidSweepEvery: time.Hour,
	}
	for _, o := range opts {
		o(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("BANYAN_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	a, err := app.New(context.Background(), cfg, log, app.Options{Jobs: jobs.Options{PollInterval: 100 * time.Millisecond, TestOnly: true}})
	if err != nil {
		tb.Fatalf("start app: %v", err)
	}
	srv := httptest.NewServer(a.Handler)
	// Keep a connection per concurrent caller alive, as browsers and apps
	// do: the default keeps 2 idle per host, so concurrent tests and the
	// checkout benchmark opened a new TCP connection for most requests.
	srv.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	tb.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	return &Env{T: tb, DB: d, App: a, Srv: srv}
}

// Resp is an answer.
type Resp struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the body into v, failing the test when it cannot.
func (r *Resp) Decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Problem decodes a problem document.
func (r *Resp) Problem(tb testing.TB) api.Problem {
	tb.Helper()
	var p api.Problem
	r.Decode(tb, &p)
	return p
}

func (r *Resp) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// Req describes a request.
type Req struct {
	Method, Path string
	Token        string
	Tenant       string // X-Tenant
	Body         any    // marshalled as JSON unless []byte or string
	Header       map[string]string
}

// ReplicaDB answers a second pool on the test database with its own change
// listener started, as another server replica has (tests of the replica
// caches, core/db changes.go, build a service on it).
func (e *Env) ReplicaDB() *db.DB {
	e.T.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.T.Cleanup(cancel)
	d, err := db.Open(ctx, e.DB.AppURL)
	if err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() { d.Close() })
	if err := d.Changes.Start(ctx, e.DB.AppURL); err != nil {
		e.T.Fatal(err)
	}
	return d
}

// Do sends a request.
func (e *Env) Do(r Req) *Resp {
	e.T.Helper()
	var body io.Reader
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	req, err := http.NewRequest(r.Method, e.Srv.URL+r.Path, body)
	if err != nil {
		e.T.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	if r.Tenant != "" {
		req.Header.Set("X-Tenant", r.Tenant)
	}
	for k, v := range r.Header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := e.Srv.Client().Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &Resp{Status: res.StatusCode, Header: res.Header, Body: b}
}

// Must sends a request and fails the test unless it answers want.
func (e *Env) Must(want int, r Req) *Resp {
	e.T.Helper()
	res := e.Do(r)
	if res.Status != want {
		e.T.Fatalf("%s %s: want %d, got %s", r.Method, r.Path, want, res)
	}
	return res
}

// Shop is a signed-up tenant with its owner logged in.
type Shop struct {
	ID, Slug, OwnerEmail, OwnerToken, OwnerID string
}

var seq atomic.Int64

// Password is the password every test account uses.
const Password = "correct-horse-battery"

// Signup creates a shop with a fresh owner.
func (e *Env) Signup(slug string) Shop {
	e.T.Helper()
	email := fmt.Sprintf("owner%d-%s@example.com", seq.Add(1), slug)
	res := e.Must(201, Req{Method: "POST", Path: "/api/v1/signup", Body: map[string]string{
		"shop_name": "Shop " + slug, "slug": slug, "email": email, "password": Password}})
	var out struct {
		Tenant struct{ ID, Slug string }
		User   struct{ ID string }
		Token  string
	}
	res.Decode(e.T, &out)
	return Shop{ID: out.Tenant.ID, Slug: out.Tenant.Slug, OwnerEmail: email, OwnerToken: out.Token, OwnerID: out.User.ID}
}

// Operator creates a platform operator and returns its token.
func (e *Env) Operator(role string) string {
	e.T.Helper()
	email := fmt.Sprintf("op%d@platform.test", seq.Add(1))
	if _, err := e.App.Staff.EnsurePlatformUser(context.Background(), email, "Op", Password, role); err != nil {
		e.T.Fatal(err)
	}
	if err := e.App.Authz.Reload(context.Background()); err != nil {
		e.T.Fatal(err)
	}
	return e.Login(email)
}

// Login logs a staff user in.
func (e *Env) Login(email string) string {
	e.T.Helper()
	res := e.Must(200, Req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"email": email, "password": Password}})
	var out struct{ Token string }
	res.Decode(e.T, &out)
	return out.Token
}

// AddStaff invites a new user with role to shop and returns their token
// after they accept.
func (e *Env) AddStaff(shop Shop, role string) (token, userID string) {
	e.T.Helper()
	email := fmt.Sprintf("staff%d-%s@example.com", seq.Add(1), shop.Slug)
	res := e.Must(201, Req{Method: "POST", Path: "/api/v1/admin/staff", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]string{"email": email, "role": role}})
	var inv struct {
		UserID    string `json:"user_id"`
		InviteURL string `json:"invite_url"`
	}
	res.Decode(e.T, &inv)
	tok := inv.InviteURL[strings.Index(inv.InviteURL, "token=")+6:]
	res = e.Must(200, Req{Method: "POST", Path: "/api/v1/auth/accept-invite", Body: map[string]string{"token": tok, "name": "Staff " + role, "password": Password}})
	var out struct{ Token string }
	res.Decode(e.T, &out)
	return out.Token, inv.UserID
}

// Member registers a member of shop by email and returns its token and id.
func (e *Env) Member(shop Shop) (token, id string) {
	e.T.Helper()
	email := fmt.Sprintf("m%d@example.com", seq.Add(1))
	res := e.Must(201, Req{Method: "POST", Path: "/api/v1/shop/register", Tenant: shop.Slug,
		Body: map[string]string{"email": email, "password": Password, "name": "Member"}})
	var out struct {
		Token  string
		Member struct{ ID string }
	}
	res.Decode(e.T, &out)
	return out.Token, out.Member.ID
}

// DoHost sends a request with the given Host header (tenant by host).
func (e *Env) DoHost(host string, r Req) *Resp {
	e.T.Helper()
	if r.Header == nil {
		r.Header = map[string]string{}
	}
	r.Header["Host"] = host
	return e.Do(r)
}

// SMS captures one-time codes instead of sending them.
type SMS struct {
	mu   sync.Mutex
	last map[string]string
}

// Send records the message's code.
func (s *SMS) Send(_ context.Context, _ tenancy.TenantID, phone, message string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := codeRe.FindString(message); m != "" {
		s.last[phone] = m
	}
	return nil
}

var codeRe = regexp.MustCompile(`\d{6}`)

// Code returns the last code sent to phone.
func (s *SMS) Code(tb testing.TB, phone string) string {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.last[phone]
	if !ok {
		tb.Fatalf("no code was sent to %s", phone)
	}
	return c
}

// CaptureSMS makes the app send one-time codes to the returned capture.
func (e *Env) CaptureSMS() *SMS {
	s := &SMS{last: map[string]string{}}
	e.App.Members.SMS = s
	return s
}
