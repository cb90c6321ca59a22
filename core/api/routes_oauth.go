package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/banyanmall/banyan/core/members"
)

// Third-party login: the merchant's provider settings and the storefront's
// start/callback pair.
func init() {
	name := "WeChat"
	register(
		Route{Name: "listOAuthProviders", Method: "GET", Path: "/api/v1/admin/oauth-providers", Access: TenantStaff, Perm: "members:read",
			Summary: "The shop's third-party login providers (client secrets are never shown)", Resp: []members.Provider{}, H: (*Server).handleListProviders},
		Route{Name: "createOAuthProvider", Method: "POST", Path: "/api/v1/admin/oauth-providers", Access: TenantStaff, Perm: "members:write", Status: 201,
			Summary: "Add a third-party login provider (OIDC issuer discovery when only the issuer is given)", Body: members.ProviderInput{}, Resp: members.Provider{},
			H: (*Server).handleCreateProvider},
		Route{Name: "updateOAuthProvider", Method: "PATCH", Path: "/api/v1/admin/oauth-providers/{id}", Access: TenantStaff, Perm: "members:write", Fixture: "oauth_provider",
			Summary: "Change a login provider (send client_secret only to replace it)", Body: members.ProviderInput{}, Example: members.ProviderInput{DisplayName: &name},
			Resp: members.Provider{}, H: (*Server).handleUpdateProvider},
		Route{Name: "deleteOAuthProvider", Method: "DELETE", Path: "/api/v1/admin/oauth-providers/{id}", Access: TenantStaff, Perm: "members:write", Fixture: "oauth_provider", Status: 204,
			Summary: "Delete a login provider nobody has used (disable one that members use)", H: (*Server).handleDeleteProvider},

		Route{Name: "shopOAuthProviders", Method: "GET", Path: "/api/v1/shop/oauth/providers", Access: PublicTenant,
			Summary: "The shop's enabled third-party login providers", Resp: []members.LoginProvider{}, H: (*Server).handleLoginProviders},
		Route{Name: "shopOAuthStart", Method: "GET", Path: "/api/v1/shop/oauth/{provider}/start", Access: PublicTenant, Raw: true, Status: 302,
			Summary: "Start a third-party login: redirects to the provider (state + PKCE kept server-side). Open it on the shop's host.",
			Query:   []string{"return_to"}, H: (*Server).handleOAuthStart},
		Route{Name: "shopOAuthCallback", Method: "GET", Path: "/api/v1/shop/oauth/{provider}/callback", Access: PublicTenant,
			Summary: "Finish a third-party login: links or registers the member and answers a member token (or redirects to return_to with it in the fragment)",
			Query:   []string{"state", "code", "error", "error_description"}, Resp: members.OAuthResult{}, H: (*Server).handleOAuthCallback},
	)
}

func (s *Server) handleListProviders(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.Members.ListProviders(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ps)
}

func (s *Server) handleCreateProvider(w http.ResponseWriter, r *http.Request) error {
	var in members.ProviderInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.Members.CreateProvider(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

func (s *Server) handleUpdateProvider(w http.ResponseWriter, r *http.Request) error {
	var in members.ProviderInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.Members.UpdateProvider(r.Context(), members.ProviderID(pathVar(r, "id")), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleDeleteProvider(w http.ResponseWriter, r *http.Request) error {
	if err := s.Members.DeleteProvider(r.Context(), members.ProviderID(pathVar(r, "id"))); err != nil {
		return err
	}
	return writeJSON(w, http.StatusNoContent, nil)
}

func (s *Server) handleLoginProviders(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.Members.LoginProviders(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ps)
}

func (s *Server) requestScheme(r *http.Request) string {
	if p := r.Header.Get("X-Forwarded-Proto"); s.Cfg.TrustProxy && (p == "https" || p == "http") {
		return p
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// oauthCookie carries the browser binding of a login in progress: only the
// browser that started a login can finish it.
const oauthCookie = "banyan_oauth"

func (s *Server) oauthBindingCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: oauthCookie, Value: value, Path: "/api/v1/shop/oauth/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.requestScheme(r) == "https", SameSite: http.SameSiteLaxMode}
}

func (s *Server) handleOAuthStart(w http.ResponseWriter, r *http.Request) error {
	provider := pathVar(r, "provider")
	// The callback is on the host the login started on: the browser comes
	// back to the same shop.
	callback := s.requestScheme(r) + "://" + r.Host + "/api/v1/shop/oauth/" + url.PathEscape(provider) + "/callback"
	st, err := s.Members.StartOAuth(r.Context(), provider, callback, r.URL.Query().Get("return_to"))
	if err != nil {
		return err
	}
	http.SetCookie(w, s.oauthBindingCookie(r, st.Binding, 600))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, st.URL, http.StatusFound)
	return nil
}

func (s *Server) handleOAuthCallback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	cb := members.OAuthCallback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), ErrorDescription: q.Get("error_description")}
	if c, err := r.Cookie(oauthCookie); err == nil {
		cb.Binding = c.Value
	}
	http.SetCookie(w, s.oauthBindingCookie(r, "", -1))
	res, err := s.Members.FinishOAuth(r.Context(), pathVar(r, "provider"), cb)
	if err != nil {
		return err
	}
	if res.ReturnTo != "" {
		// The token travels in the fragment, which browsers never send to a server.
		frag := url.Values{"token": {res.Token}, "expires_at": {res.Expires.Format(time.RFC3339)}}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, res.ReturnTo+"#"+frag.Encode(), http.StatusSeeOther)
		return nil
	}
	return writeJSON(w, http.StatusOK, res)
}
