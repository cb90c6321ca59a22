package api

import (
	"net/http"

	"github.com/banyanmall/banyan/core/marketing"
)

// Coupons: the merchant's templates and issuing, the storefront's claimable
// list, claiming, and the member's own coupons.
func init() {
	name := "Spring sale"
	register(
		Route{Name: "listCoupons", Method: "GET", Path: "/api/v1/admin/coupons", Access: TenantStaff, Perm: "marketing:read",
			Summary: "The shop's coupon templates, newest first", Query: []string{"status", "cursor", "limit"}, Resp: List[marketing.Template]{}, H: (*Server).handleListCoupons},
		Route{Name: "createCoupon", Method: "POST", Path: "/api/v1/admin/coupons", Access: TenantStaff, Perm: "marketing:write", Status: 201,
			Summary: "Add a coupon template (fixed or percent off, threshold, validity, quantity, scope)", Body: marketing.TemplateInput{}, Resp: marketing.Template{},
			H: (*Server).handleCreateCoupon},
		Route{Name: "getCoupon", Method: "GET", Path: "/api/v1/admin/coupons/{id}", Access: TenantStaff, Perm: "marketing:read", Fixture: "coupon",
			Summary: "A coupon template", Resp: marketing.Template{}, H: (*Server).handleGetCoupon},
		Route{Name: "updateCoupon", Method: "PATCH", Path: "/api/v1/admin/coupons/{id}", Access: TenantStaff, Perm: "marketing:write", Fixture: "coupon",
			Summary: "Change a coupon template's name, quantity, per-member limit, claimability or status", Body: marketing.TemplatePatch{},
			Example: marketing.TemplatePatch{Name: &name}, Resp: marketing.Template{}, H: (*Server).handleUpdateCoupon},
		Route{Name: "disableCoupon", Method: "DELETE", Path: "/api/v1/admin/coupons/{id}", Access: TenantStaff, Perm: "marketing:write", Fixture: "coupon", Status: 204,
			Summary: "Disable a coupon template: no more claims or issues (coupons held stay valid)", H: (*Server).handleDisableCoupon},
		Route{Name: "issueCoupon", Method: "POST", Path: "/api/v1/admin/coupons/{id}/issue", Access: TenantStaff, Perm: "marketing:write", Fixture: "coupon",
			Summary: "Give one coupon to each active member of a list (member_ids, at most 1000), at once; a level or a tag: POST .../issues", Body: marketing.IssueInput{},
			Example: marketing.IssueInput{MemberIDs: []string{"00000000-0000-4000-8000-000000000000"}}, Resp: marketing.IssueResult{}, H: (*Server).handleIssueCoupon},
		Route{Name: "startCouponIssue", Method: "POST", Path: "/api/v1/admin/coupons/{id}/issues", Access: TenantStaff, Perm: "marketing:write", Fixture: "coupon", Status: 202,
			Summary: "Give one coupon to each active member of a level (level_id) or a tag (tag_id), in the background; answers the issue, whose progress GET /admin/coupon-issues/{id} reports",
			Body:    marketing.IssueInput{}, Example: marketing.IssueInput{LevelID: "00000000-0000-4000-8000-000000000000"}, Resp: marketing.IssueJob{}, H: (*Server).handleStartCouponIssue},
		Route{Name: "listCouponIssues", Method: "GET", Path: "/api/v1/admin/coupons/{id}/issues", Access: TenantStaff, Perm: "marketing:read", Fixture: "coupon",
			Summary: "The latest 20 background issues of a coupon template, newest first, with their progress", Resp: []marketing.IssueJob{}, H: (*Server).handleListCouponIssues},
		Route{Name: "getCouponIssue", Method: "GET", Path: "/api/v1/admin/coupon-issues/{id}", Access: TenantStaff, Perm: "marketing:read", Fixture: "coupon_issue",
			Summary: "A background issue's progress: status, total, targeted, issued, skipped (per-member limit, quantity)", Resp: marketing.IssueJob{}, H: (*Server).handleGetCouponIssue},

		Route{Name: "shopClaimableCoupons", Method: "GET", Path: "/api/v1/shop/coupons", Access: PublicTenant,
			Summary: "Coupons members may claim now", Query: []string{"cursor", "limit"}, Resp: List[marketing.Template]{}, H: (*Server).handleClaimableCoupons},
		Route{Name: "shopClaimCoupon", Method: "POST", Path: "/api/v1/shop/coupons/{id}/claim", Access: Member, Fixture: "coupon", Status: 201,
			Summary: "Claim a coupon", Resp: marketing.Coupon{}, H: (*Server).handleClaimCoupon},
		Route{Name: "shopMyCoupons", Method: "GET", Path: "/api/v1/shop/me/coupons", Access: Member,
			Summary: "The member's coupons, newest first", Query: []string{"status", "cursor", "limit"}, Resp: List[marketing.Coupon]{}, H: (*Server).handleMyCoupons},
	)
}

func pathCouponID(r *http.Request) marketing.TemplateID {
	return marketing.TemplateID(pathVar(r, "id"))
}

func (s *Server) handleListCoupons(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	items, next, err := s.Marketing.ListTemplates(r.Context(), r.URL.Query().Get("status"), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleCreateCoupon(w http.ResponseWriter, r *http.Request) error {
	var in marketing.TemplateInput
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.Marketing.CreateTemplate(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (s *Server) handleGetCoupon(w http.ResponseWriter, r *http.Request) error {
	t, err := s.Marketing.GetTemplate(r.Context(), pathCouponID(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (s *Server) handleUpdateCoupon(w http.ResponseWriter, r *http.Request) error {
	var in marketing.TemplatePatch
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.Marketing.UpdateTemplate(r.Context(), pathCouponID(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (s *Server) handleDisableCoupon(w http.ResponseWriter, r *http.Request) error {
	if err := s.Marketing.DisableTemplate(r.Context(), pathCouponID(r)); err != nil {
		return err
	}
	return writeJSON(w, http.StatusNoContent, nil)
}

func (s *Server) handleIssueCoupon(w http.ResponseWriter, r *http.Request) error {
	var in marketing.IssueInput
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.Marketing.Issue(r.Context(), pathCouponID(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleStartCouponIssue(w http.ResponseWriter, r *http.Request) error {
	var in marketing.IssueInput
	if err := decode(r, &in); err != nil {
		return err
	}
	job, err := s.Marketing.StartIssue(r.Context(), pathCouponID(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, job)
}

func (s *Server) handleListCouponIssues(w http.ResponseWriter, r *http.Request) error {
	out, err := s.Marketing.IssuesOf(r.Context(), pathCouponID(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetCouponIssue(w http.ResponseWriter, r *http.Request) error {
	job, err := s.Marketing.GetIssue(r.Context(), marketing.IssueID(pathVar(r, "id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, job)
}

func (s *Server) handleClaimableCoupons(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	items, next, err := s.Marketing.Claimable(r.Context(), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleClaimCoupon(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Marketing.Claim(r.Context(), actingMember(r), pathCouponID(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (s *Server) handleMyCoupons(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	items, next, err := s.Marketing.MemberCoupons(r.Context(), actingMember(r), r.URL.Query().Get("status"), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}
