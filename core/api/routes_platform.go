package api

import (
	"net/http"

	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/tenants"
)

func init() {
	register(
		Route{Name: "platformListTenants", Method: "GET", Path: "/api/v1/platform/tenants", Access: Platform, Perm: "platform.tenants:read",
			Summary: "List and search tenants with plan, status and usage", Query: []string{"q", "status", "cursor", "limit"}, Resp: List[tenants.Summary]{}, H: (*Server).handlePlatformTenants},
		Route{Name: "platformGetTenant", Method: "GET", Path: "/api/v1/platform/tenants/{id}", Access: Platform, Perm: "platform.tenants:read",
			Summary: "One tenant with usage", Resp: tenants.Summary{}, H: (*Server).handlePlatformTenant},
		Route{Name: "platformUpdateTenant", Method: "PATCH", Path: "/api/v1/platform/tenants/{id}", Access: Platform, Perm: "platform.tenants:write",
			Summary: "Change a tenant's plan", Body: planChange{}, Resp: tenants.Summary{}, H: (*Server).handlePlatformChangePlan},
		Route{Name: "platformSuspendTenant", Method: "POST", Path: "/api/v1/platform/tenants/{id}/suspend", Access: Platform, Perm: "platform.tenants:write",
			Summary: "Suspend a tenant", Body: suspendBody{}, Resp: tenants.Summary{}, H: (*Server).handlePlatformSuspend},
		Route{Name: "platformResumeTenant", Method: "POST", Path: "/api/v1/platform/tenants/{id}/resume", Access: Platform, Perm: "platform.tenants:write",
			Summary: "Resume a suspended tenant", Resp: tenants.Summary{}, H: (*Server).handlePlatformResume},
		Route{Name: "platformListPlans", Method: "GET", Path: "/api/v1/platform/plans", Access: Platform, Perm: "platform.plans:read",
			Summary: "List plans", Resp: List[tenants.Plan]{}, H: (*Server).handleListPlans},
		Route{Name: "platformCreatePlan", Method: "POST", Path: "/api/v1/platform/plans", Access: Platform, Perm: "platform.plans:write", Status: 201,
			Summary: "Create a plan", Body: planBody{}, Resp: tenants.Plan{}, H: (*Server).handleSavePlan},
		Route{Name: "platformUpdatePlan", Method: "PATCH", Path: "/api/v1/platform/plans/{id}", Access: Platform, Perm: "platform.plans:write",
			Summary: "Update a plan", Body: planBody{}, Resp: tenants.Plan{}, H: (*Server).handleSavePlan},
	)
}

func (s *Server) handlePlatformTenants(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, next, err := s.Tenants.List(r.Context(), tenants.ListFilter{Query: q.Get("q"), Status: q.Get("status"), Page: p})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handlePlatformTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := s.Tenants.Get(r.Context(), tenancy.TenantID(pathVar(r, "id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

type planChange struct {
	PlanID string `json:"plan_id"`
}

func (s *Server) handlePlatformChangePlan(w http.ResponseWriter, r *http.Request) error {
	var in planChange
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.Tenants.ChangePlan(r.Context(), tenancy.TenantID(pathVar(r, "id")), in.PlanID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

type suspendBody struct {
	Reason string `json:"reason"`
}

func (s *Server) handlePlatformSuspend(w http.ResponseWriter, r *http.Request) error {
	var in suspendBody
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.Tenants.Suspend(r.Context(), tenancy.TenantID(pathVar(r, "id")), in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (s *Server) handlePlatformResume(w http.ResponseWriter, r *http.Request) error {
	t, err := s.Tenants.Resume(r.Context(), tenancy.TenantID(pathVar(r, "id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (s *Server) handleListPlans(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.Tenants.ListPlans(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(ps, ""))
}

type planBody struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	MaxStaff    int    `json:"max_staff"`
	MaxProducts int    `json:"max_products"`
	MaxPlugins  int    `json:"max_plugins"`
}

func (s *Server) handleSavePlan(w http.ResponseWriter, r *http.Request) error {
	var in planBody
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.Tenants.SavePlan(r.Context(), tenants.Plan{ID: pathVar(r, "id"), Code: in.Code, Name: in.Name,
		MaxStaff: in.MaxStaff, MaxProducts: in.MaxProducts, MaxPlugins: in.MaxPlugins})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if pathVar(r, "id") == "" {
		status = http.StatusCreated
	}
	return writeJSON(w, status, p)
}
