package api

import (
	"net/http"
	"sort"
)

// Access says who may call a route and whether it runs inside a tenant.
type Access int

// Access levels.
const (
	Public       Access = iota // anyone; no tenant
	PublicTenant               // anyone; tenant resolved from Host / X-Tenant
	Staff                      // a staff token; no tenant
	TenantStaff                // a staff token of the tenant, with Perm
	Platform                   // a platform operator token, with Perm
	Member                     // a member token of the tenant
	Webhook                    // anyone; tenant taken from the {tenant} path segment
)

func (a Access) String() string {
	return [...]string{"public", "public-tenant", "staff", "tenant-staff", "platform", "member", "webhook"}[a]
}

// Route is one entry of the route table: the single place where a route's
// path, permission and documentation are declared. The router, the
// authorization middleware, the OpenAPI document and the cross-tenant test
// are all generated from it.
type Route struct {
	Name    string // operationId, unique
	Method  string
	Path    string
	Access  Access
	Perm    string // "object:action", required for TenantStaff and Platform
	Summary string
	Body    any // request body type (for OpenAPI); nil when none
	Resp    any // success response type; nil for 204
	Status  int // success status; 200 when 0
	// Accepted, when set, says when the route answers 202 instead, with the
	// same body (work accepted and finished later, e.g. a pending refund).
	Accepted string
	Query    []string
	// Fixture names the tenant resource a path id refers to; the
	// cross-tenant test creates one in another tenant and expects 404.
	Fixture string
	// Example is a valid request body: shown in the OpenAPI document and sent
	// by the cross-tenant test, so that the 404 it expects cannot come from a
	// validation error. Required for routes with both Body and Fixture.
	Example any
	MaxBody int64 // request body limit; 1 MiB when 0
	// Raw routes write their own non-JSON answer (files, pages, metrics).
	Raw bool
	H   func(s *Server, w http.ResponseWriter, r *http.Request) error
}

var routeGroups [][]Route

// register adds a group of routes; each capability's file calls it from init.
func register(rs ...Route) { routeGroups = append(routeGroups, rs) }

// Routes returns the whole route table in a stable order.
func Routes() []Route {
	var out []Route
	for _, g := range routeGroups {
		out = append(out, g...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}
