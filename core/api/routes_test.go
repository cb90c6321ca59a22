package api_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/banyanmall/banyan/core/api"
	"github.com/banyanmall/banyan/core/apptest"
)

var permRe = regexp.MustCompile(`^[a-z.]+:[a-z]+$`)

// TestEveryRouteDeclaresAccess walks the real router and fails on any route
// without a route-table entry, or a staff/platform route without a permission.
func TestEveryRouteDeclaresAccess(t *testing.T) {
	e := apptest.New(t)
	table := map[string]api.Route{}
	for _, rt := range api.Routes() {
		key := rt.Method + " " + rt.Path
		if _, dup := table[key]; dup {
			t.Errorf("route %s declared twice", key)
		}
		table[key] = rt
		switch rt.Access {
		case api.TenantStaff:
			if !permRe.MatchString(rt.Perm) || strings.HasPrefix(rt.Perm, "platform.") {
				t.Errorf("%s: tenant route needs a tenant permission, has %q", key, rt.Perm)
			}
		case api.Platform:
			if !strings.HasPrefix(rt.Perm, "platform.") {
				t.Errorf("%s: platform route needs a platform.* permission, has %q", key, rt.Perm)
			}
		default:
			if rt.Perm != "" {
				t.Errorf("%s: %s route must not declare a permission it never checks", key, rt.Access)
			}
		}
		if rt.H == nil || rt.Name == "" || rt.Summary == "" {
			t.Errorf("%s: needs a name, a summary and a handler", key)
		}
		if strings.HasPrefix(rt.Path, "/api/v1/admin/") && rt.Access != api.TenantStaff {
			t.Errorf("%s: admin routes must be TenantStaff", key)
		}
		if strings.HasPrefix(rt.Path, "/api/v1/platform/") && rt.Access != api.Platform {
			t.Errorf("%s: platform routes must be Platform", key)
		}
	}
	router := e.App.Handler
	_ = router
	n := 0
	err := e.App.Server.Router().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil // prefix handlers (consoles, storefront) have no methods
		}
		for _, m := range methods {
			n++
			if _, ok := table[m+" "+path]; !ok {
				t.Errorf("router serves %s %s, which is not in the route table", m, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(table) {
		t.Errorf("router has %d method routes, table %d", n, len(table))
	}
}

// TestOpenAPIMatchesRoutes: the served document lists exactly the routes.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := apptest.New(t)
	res := e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/openapi.json"})
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	res.Decode(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	seen := 0
	for path, ops := range doc.Paths {
		for m := range ops {
			seen++
			found := false
			for _, rt := range api.Routes() {
				if rt.Path == path && strings.EqualFold(rt.Method, m) {
					found = true
				}
			}
			if !found {
				t.Errorf("document lists %s %s, which is not a route", m, path)
			}
		}
	}
	if seen != len(api.Routes()) {
		t.Errorf("document has %d operations, route table %d", seen, len(api.Routes()))
	}
	for _, rt := range api.Routes() {
		if _, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("route %s %s missing from the document", rt.Method, rt.Path)
		}
	}
}

func TestUnknownRouteIsProblem(t *testing.T) {
	e := apptest.New(t)
	res := e.Must(404, apptest.Req{Method: "GET", Path: "/api/v1/nope"})
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q", ct)
	}
	if p := res.Problem(t); p.Code != "not_found" || p.RequestID == "" {
		t.Fatalf("problem %+v", p)
	}
	if res.Header.Get("X-Request-ID") == "" {
		t.Fatal("no request id header")
	}
	_ = http.StatusOK
}

func TestOperationsEndpoints(t *testing.T) {
	e := apptest.New(t)
	e.Must(200, apptest.Req{Method: "GET", Path: "/healthz"})
	res := e.Must(200, apptest.Req{Method: "GET", Path: "/readyz"})
	var ready struct {
		Ready  bool
		Checks []struct {
			Name string
			OK   bool
		}
	}
	res.Decode(t, &ready)
	if !ready.Ready || len(ready.Checks) < 2 {
		t.Fatalf("not ready: %s", res.Body)
	}
	e.Signup("metrics-shop")
	res = e.Must(200, apptest.Req{Method: "GET", Path: "/metrics"})
	for _, want := range []string{`banyan_http_requests_total{method="POST",route="signup",status="201"}`, "banyan_http_request_seconds_bucket", `go_sql_max_open_connections{db_name="banyan"}`} {
		if !strings.Contains(string(res.Body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
