package api

import (
	"net/http"

	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/members"
)

// The member's own side: profile, addresses and points.
func init() {
	city := "Hangzhou"
	register(
		Route{Name: "updateShopMe", Method: "PATCH", Path: "/api/v1/shop/me", Access: Member,
			Summary: "Change the logged-in member's profile (name, avatar, gender, birthday)", Body: members.ProfilePatch{}, Resp: members.Member{}, H: (*Server).handleUpdateMe},
		Route{Name: "listShopAddresses", Method: "GET", Path: "/api/v1/shop/me/addresses", Access: Member,
			Summary: "The member's shipping addresses, the default first", Resp: []members.Address{}, H: (*Server).handleListAddresses},
		Route{Name: "createShopAddress", Method: "POST", Path: "/api/v1/shop/me/addresses", Access: Member, Status: 201,
			Summary: "Add a shipping address (at most 20; the first is the default)", Body: members.AddressInput{}, Resp: members.Address{}, H: (*Server).handleCreateAddress},
		Route{Name: "updateShopAddress", Method: "PATCH", Path: "/api/v1/shop/me/addresses/{id}", Access: Member, Fixture: "address",
			Summary: "Change a shipping address or make it the default", Body: members.AddressInput{}, Example: members.AddressInput{City: &city},
			Resp: members.Address{}, H: (*Server).handleUpdateAddress},
		Route{Name: "deleteShopAddress", Method: "DELETE", Path: "/api/v1/shop/me/addresses/{id}", Access: Member, Fixture: "address", Status: 204,
			Summary: "Delete a shipping address", H: (*Server).handleDeleteAddress},
		Route{Name: "shopPoints", Method: "GET", Path: "/api/v1/shop/me/points", Access: Member,
			Summary: "The member's points balance and ledger, newest first", Query: []string{"cursor", "limit"}, Resp: members.PointsPage{}, H: (*Server).handleShopPoints},
	)
}

// actingMember is the logged-in member of a Member route.
func actingMember(r *http.Request) identity.MemberID {
	a, _ := identity.ActorFrom(r.Context())
	return a.MemberID
}

func (s *Server) handleUpdateMe(w http.ResponseWriter, r *http.Request) error {
	var in members.ProfilePatch
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := s.Members.UpdateProfile(r.Context(), actingMember(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Server) handleListAddresses(w http.ResponseWriter, r *http.Request) error {
	as, err := s.Members.ListAddresses(r.Context(), actingMember(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, as)
}

func (s *Server) handleCreateAddress(w http.ResponseWriter, r *http.Request) error {
	var in members.AddressInput
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := s.Members.CreateAddress(r.Context(), actingMember(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

func (s *Server) handleUpdateAddress(w http.ResponseWriter, r *http.Request) error {
	var in members.AddressInput
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := s.Members.UpdateAddress(r.Context(), actingMember(r), members.AddressID(pathVar(r, "id")), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) handleDeleteAddress(w http.ResponseWriter, r *http.Request) error {
	if err := s.Members.DeleteAddress(r.Context(), actingMember(r), members.AddressID(pathVar(r, "id"))); err != nil {
		return err
	}
	return writeJSON(w, http.StatusNoContent, nil)
}

func (s *Server) handleShopPoints(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	out, err := s.Members.Points(r.Context(), actingMember(r), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
