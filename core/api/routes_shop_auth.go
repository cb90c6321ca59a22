package api

import (
	"net/http"

	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/reqctx"
)

func init() {
	register(
		Route{Name: "shopOTP", Method: "POST", Path: "/api/v1/shop/otp", Access: PublicTenant, Status: 204,
			Summary: "Send a one-time login code to a phone", Body: otpBody{}, H: (*Server).handleOTP},
		Route{Name: "shopRegister", Method: "POST", Path: "/api/v1/shop/register", Access: PublicTenant, Status: 201,
			Summary: "Register a member (phone + code, or email + password)", Body: members.RegisterInput{}, Resp: members.Auth{}, H: (*Server).handleMemberRegister},
		Route{Name: "shopLogin", Method: "POST", Path: "/api/v1/shop/login", Access: PublicTenant,
			Summary: "Member login (phone + code, or email + password)", Body: members.LoginInput{}, Resp: members.Auth{}, H: (*Server).handleMemberLogin},
		Route{Name: "shopLogout", Method: "POST", Path: "/api/v1/shop/logout", Access: Member, Status: 204,
			Summary: "Revoke the member token", H: (*Server).handleMemberLogout},
		Route{Name: "shopMe", Method: "GET", Path: "/api/v1/shop/me", Access: Member,
			Summary: "The logged-in member, with their level (null when they hold none)", Resp: shopMe{}, H: (*Server).handleMemberMe},
	)
}

type otpBody struct {
	Phone string `json:"phone"`
}

func (s *Server) handleOTP(w http.ResponseWriter, r *http.Request) error {
	var in otpBody
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.Members.RequestOTP(r.Context(), in.Phone); err != nil {
		return err
	}
	return writeJSON(w, http.StatusNoContent, nil)
}

func (s *Server) handleMemberRegister(w http.ResponseWriter, r *http.Request) error {
	var in members.RegisterInput
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := s.Members.Register(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

func (s *Server) handleMemberLogin(w http.ResponseWriter, r *http.Request) error {
	var in members.LoginInput
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := s.Members.Login(r.Context(), in, reqctx.Addr(r.Context()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) handleMemberLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Members.Logout(r.Context(), bearer(r)); err != nil {
		return err
	}
	return writeJSON(w, http.StatusNoContent, nil)
}

func (s *Server) handleMemberMe(w http.ResponseWriter, r *http.Request) error {
	a, _ := identity.ActorFrom(r.Context())
	m, err := s.Members.Get(r.Context(), a.MemberID)
	if err != nil {
		return err
	}
	out := shopMe{Member: m}
	if m.LevelID != nil {
		levels, err := s.Members.ListLevels(r.Context())
		if err != nil {
			return err
		}
		for i := range levels {
			if levels[i].ID == *m.LevelID {
				out.Level = &memberLevel{ID: levels[i].ID, Name: levels[i].Name, Rank: levels[i].Rank}
			}
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// shopMe is the member as the member centre shows them: the member and the
// name of their level.
type shopMe struct {
	members.Member
	Level *memberLevel `json:"level"`
}

type memberLevel struct {
	ID   members.LevelID `json:"id"`
	Name string          `json:"name"`
	Rank int             `json:"rank"`
}
