package api

import (
	"net/http"
	"time"

	"github.com/banyanmall/banyan/core/authz"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/reqctx"
	"github.com/banyanmall/banyan/tenants"
)

func init() {
	register(
		Route{Name: "signup", Method: "POST", Path: "/api/v1/signup", Access: Public, Status: 201,
			Summary: "Create a shop and its owner, logged in", Body: tenants.SignupInput{}, Resp: tenants.SignupResult{}, H: (*Server).handleSignup},
		Route{Name: "login", Method: "POST", Path: "/api/v1/auth/login", Access: Public,
			Summary: "Staff login with email and password", Body: loginBody{}, Resp: loginResp{}, H: (*Server).handleLogin},
		Route{Name: "logout", Method: "POST", Path: "/api/v1/auth/logout", Access: Staff, Status: 204,
			Summary: "Revoke the presented token", H: (*Server).handleLogout},
		Route{Name: "me", Method: "GET", Path: "/api/v1/auth/me", Access: Staff,
			Summary: "The user with their tenants, roles and permissions", Resp: meResp{}, H: (*Server).handleMe},
		Route{Name: "changePassword", Method: "POST", Path: "/api/v1/auth/password", Access: Staff,
			Summary: "Change password; revokes every other session", Body: passwordBody{}, Resp: identity.Session{}, H: (*Server).handlePassword},
		Route{Name: "acceptInvite", Method: "POST", Path: "/api/v1/auth/accept-invite", Access: Public,
			Summary: "Accept a staff invitation: set name and password", Body: acceptBody{}, Resp: loginResp{}, H: (*Server).handleAcceptInvite},
	)
}

type loginBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginResp struct {
	Token     string        `json:"token"`
	ExpiresAt time.Time     `json:"expires_at"`
	User      identity.User `json:"user"`
}

func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) error {
	var in tenants.SignupInput
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.Tenants.Signup(r.Context(), in, reqctx.Addr(r.Context()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, res)
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var in loginBody
	if err := decode(r, &in); err != nil {
		return err
	}
	sess, u, err := s.Staff.Login(r.Context(), in.Email, in.Password, reqctx.Addr(r.Context()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, loginResp{Token: sess.Token, ExpiresAt: sess.ExpiresAt, User: u})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Staff.Logout(r.Context(), bearer(r)); err != nil {
		return err
	}
	return writeJSON(w, http.StatusNoContent, nil)
}

type meResp struct {
	User                identity.User        `json:"user"`
	PlatformRoles       []string             `json:"platform_roles"`
	PlatformPermissions []string             `json:"platform_permissions"`
	Tenants             []tenants.Membership `json:"tenants"`
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) error {
	a, _ := identity.ActorFrom(r.Context())
	u, err := s.Staff.UserByID(r.Context(), a.UserID)
	if err != nil {
		return err
	}
	ms, err := s.Tenants.Memberships(r.Context(), a.UserID)
	if err != nil {
		return err
	}
	out := meResp{User: u, PlatformRoles: []string{}, PlatformPermissions: []string{}, Tenants: ms}
	for _, role := range s.Authz.Roles(string(a.UserID), authz.PlatformDomain) {
		out.PlatformRoles = append(out.PlatformRoles, role)
		out.PlatformPermissions = append(out.PlatformPermissions, s.Authz.Permissions(role)...)
	}
	if out.Tenants == nil {
		out.Tenants = []tenants.Membership{}
	}
	return writeJSON(w, http.StatusOK, out)
}

type passwordBody struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request) error {
	var in passwordBody
	if err := decode(r, &in); err != nil {
		return err
	}
	a, _ := identity.ActorFrom(r.Context())
	sess, err := s.Staff.ChangePassword(r.Context(), a.UserID, in.CurrentPassword, in.NewPassword)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sess)
}

type acceptBody struct {
	Token    string `json:"token"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

func (s *Server) handleAcceptInvite(w http.ResponseWriter, r *http.Request) error {
	var in acceptBody
	if err := decode(r, &in); err != nil {
		return err
	}
	sess, u, err := s.Staff.AcceptInvite(r.Context(), in.Token, in.Name, in.Password)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, loginResp{Token: sess.Token, ExpiresAt: sess.ExpiresAt, User: u})
}
