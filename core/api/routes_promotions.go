package api

import (
	"net/http"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/promotions"
)

// Promotions: the merchant's campaigns, and a preview of what they give a cart.
func init() {
	name := "Autumn sale"
	register(
		Route{Name: "listPromotions", Method: "GET", Path: "/api/v1/admin/promotions", Access: TenantStaff, Perm: "marketing:read",
			Summary: "The shop's promotion campaigns, newest first", Query: []string{"status", "cursor", "limit"},
			Resp: List[promotions.Campaign]{}, H: (*Server).handleListPromotions},
		Route{Name: "createPromotion", Method: "POST", Path: "/api/v1/admin/promotions", Access: TenantStaff, Perm: "marketing:write", Status: 201,
			Summary: "Add a promotion campaign run by an enabled promotion plugin (config per the plugin's campaign schema)",
			Body:    promotions.CampaignInput{}, Resp: promotions.Campaign{}, H: (*Server).handleCreatePromotion},
		Route{Name: "previewPromotions", Method: "POST", Path: "/api/v1/admin/promotions/preview", Access: TenantStaff, Perm: "marketing:read",
			Summary: "What the active promotions give a cart now (the quote's promotion step, nothing recorded)",
			Body:    promotions.ApplyInput{}, Resp: promotions.Result{}, H: (*Server).handlePreviewPromotions},
		Route{Name: "getPromotion", Method: "GET", Path: "/api/v1/admin/promotions/{id}", Access: TenantStaff, Perm: "marketing:read", Fixture: "promotion",
			Summary: "A promotion campaign", Resp: promotions.Campaign{}, H: (*Server).handleGetPromotion},
		Route{Name: "updatePromotion", Method: "PATCH", Path: "/api/v1/admin/promotions/{id}", Access: TenantStaff, Perm: "marketing:write", Fixture: "promotion",
			Summary: "Change a promotion campaign (window, priority, stacking, limit, config, status)", Body: promotions.CampaignPatch{},
			Example: promotions.CampaignPatch{Name: &name}, Resp: promotions.Campaign{}, H: (*Server).handleUpdatePromotion},
		Route{Name: "deletePromotion", Method: "DELETE", Path: "/api/v1/admin/promotions/{id}", Access: TenantStaff, Perm: "marketing:write", Fixture: "promotion", Status: 204,
			Summary: "Delete a promotion campaign no order used (one that orders used is ended instead)", H: (*Server).handleDeletePromotion},
	)
}

func pathPromotionID(r *http.Request) promotions.CampaignID {
	return promotions.CampaignID(pathVar(r, "id"))
}

func (s *Server) handleListPromotions(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	items, next, err := s.Promotions.List(r.Context(), r.URL.Query().Get("status"), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleCreatePromotion(w http.ResponseWriter, r *http.Request) error {
	var in promotions.CampaignInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.Promotions.Create(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (s *Server) handleGetPromotion(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Promotions.Get(r.Context(), pathPromotionID(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleUpdatePromotion(w http.ResponseWriter, r *http.Request) error {
	var in promotions.CampaignPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.Promotions.Update(r.Context(), pathPromotionID(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleDeletePromotion(w http.ResponseWriter, r *http.Request) error {
	if err := s.Promotions.Delete(r.Context(), pathPromotionID(r)); err != nil {
		return err
	}
	return writeJSON(w, http.StatusNoContent, nil)
}

func (s *Server) handlePreviewPromotions(w http.ResponseWriter, r *http.Request) error {
	var in promotions.ApplyInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var res promotions.Result
	err := s.DB.InTenant(r.Context(), func(tx *db.Tx) error {
		var err error
		res, err = s.Promotions.Apply(r.Context(), tx, in)
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
