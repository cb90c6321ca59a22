package api

import (
	"net/http"

	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/members"
)

// The merchant's side of members: the member list and detail, tags, levels,
// points and the points rules.
func init() {
	active, gold, vip := "active", "Gold", "VIP"
	register(
		Route{Name: "listMembers", Method: "GET", Path: "/api/v1/admin/members", Access: TenantStaff, Perm: "members:read",
			Summary: "List members, newest first", Query: []string{"keyword", "phone", "email", "level_id", "tag_id", "status", "cursor", "limit"},
			Resp: List[members.Summary]{}, H: (*Server).handleListMembers},
		Route{Name: "getMember", Method: "GET", Path: "/api/v1/admin/members/{id}", Access: TenantStaff, Perm: "members:read", Fixture: "member",
			Summary: "A member with level, tags, points balance, coupon and order counts", Resp: members.Detail{}, H: (*Server).handleGetMember},
		Route{Name: "updateMember", Method: "PATCH", Path: "/api/v1/admin/members/{id}", Access: TenantStaff, Perm: "members:write", Fixture: "member",
			Summary: "Change a member's status (disabling ends their sessions), level or tags", Body: members.AdminPatch{},
			Example: members.AdminPatch{Status: &active}, Resp: members.Detail{}, H: (*Server).handleUpdateMember},
		Route{Name: "memberPoints", Method: "GET", Path: "/api/v1/admin/members/{id}/points", Access: TenantStaff, Perm: "members:read", Fixture: "member",
			Summary: "A member's points balance and ledger, newest first", Query: []string{"cursor", "limit"}, Resp: members.PointsPage{}, H: (*Server).handleMemberPoints},
		Route{Name: "adjustMemberPoints", Method: "POST", Path: "/api/v1/admin/members/{id}/points", Access: TenantStaff, Perm: "members:write", Fixture: "member", Status: 201,
			Summary: "Add or remove a member's points by hand, with a reason", Body: members.PointsAdjustment{},
			Example: members.PointsAdjustment{Points: 10, Reason: "goodwill"}, Resp: members.PointsEntry{}, H: (*Server).handleAdjustPoints},

		Route{Name: "listMemberLevels", Method: "GET", Path: "/api/v1/admin/member-levels", Access: TenantStaff, Perm: "members:read",
			Summary: "The shop's member levels, lowest rank first", Resp: []members.Level{}, H: (*Server).handleListLevels},
		Route{Name: "createMemberLevel", Method: "POST", Path: "/api/v1/admin/member-levels", Access: TenantStaff, Perm: "members:write", Status: 201,
			Summary: "Add a member level (members who reach it move up)", Body: members.LevelInput{}, Resp: members.Level{}, H: (*Server).handleCreateLevel},
		Route{Name: "updateMemberLevel", Method: "PATCH", Path: "/api/v1/admin/member-levels/{id}", Access: TenantStaff, Perm: "members:write", Fixture: "member_level",
			Summary: "Change a member level", Body: members.LevelInput{}, Example: members.LevelInput{Name: &gold}, Resp: members.Level{}, H: (*Server).handleUpdateLevel},
		Route{Name: "deleteMemberLevel", Method: "DELETE", Path: "/api/v1/admin/member-levels/{id}", Access: TenantStaff, Perm: "members:write", Fixture: "member_level", Status: 204,
			Summary: "Delete a member level no member holds", H: (*Server).handleDeleteLevel},

		Route{Name: "listMemberTags", Method: "GET", Path: "/api/v1/admin/member-tags", Access: TenantStaff, Perm: "members:read",
			Summary: "The shop's member tags with member counts", Resp: []members.Tag{}, H: (*Server).handleListTags},
		Route{Name: "createMemberTag", Method: "POST", Path: "/api/v1/admin/member-tags", Access: TenantStaff, Perm: "members:write", Status: 201,
			Summary: "Add a member tag", Body: members.TagInput{}, Resp: members.Tag{}, H: (*Server).handleCreateTag},
		Route{Name: "renameMemberTag", Method: "PATCH", Path: "/api/v1/admin/member-tags/{id}", Access: TenantStaff, Perm: "members:write", Fixture: "member_tag",
			Summary: "Rename a member tag", Body: members.TagInput{}, Example: members.TagInput{Name: vip}, Resp: members.Tag{}, H: (*Server).handleRenameTag},
		Route{Name: "deleteMemberTag", Method: "DELETE", Path: "/api/v1/admin/member-tags/{id}", Access: TenantStaff, Perm: "members:write", Fixture: "member_tag", Status: 204,
			Summary: "Delete a member tag (and remove it from every member)", H: (*Server).handleDeleteTag},

		Route{Name: "getPointsSettings", Method: "GET", Path: "/api/v1/admin/settings/points", Access: TenantStaff, Perm: "settings:read",
			Summary: "The shop's points rules", Resp: members.PointsSettings{}, H: (*Server).handleGetPointsSettings},
		Route{Name: "updatePointsSettings", Method: "PATCH", Path: "/api/v1/admin/settings/points", Access: TenantStaff, Perm: "settings:write",
			Summary: "Change the shop's points rules", Body: members.PointsSettingsPatch{}, Resp: members.PointsSettings{}, H: (*Server).handleUpdatePointsSettings},
	)
}

func pathMemberID(r *http.Request) identity.MemberID { return identity.MemberID(pathVar(r, "id")) }

func (s *Server) handleListMembers(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := members.ListFilter{Keyword: q.Get("keyword"), Phone: q.Get("phone"), Email: q.Get("email"),
		LevelID: members.LevelID(q.Get("level_id")), TagID: members.TagID(q.Get("tag_id")), Status: q.Get("status")}
	items, next, err := s.Members.List(r.Context(), f, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleGetMember(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Members.Detail(r.Context(), pathMemberID(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleUpdateMember(w http.ResponseWriter, r *http.Request) error {
	var in members.AdminPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	d, err := s.Members.UpdateByAdmin(r.Context(), pathMemberID(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleMemberPoints(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	out, err := s.Members.Points(r.Context(), pathMemberID(r), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleAdjustPoints(w http.ResponseWriter, r *http.Request) error {
	var in members.PointsAdjustment
	if err := decode(r, &in); err != nil {
		return err
	}
	e, err := s.Members.AdjustPoints(r.Context(), pathMemberID(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, e)
}

func (s *Server) handleListLevels(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.Members.ListLevels(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ls)
}

func (s *Server) handleCreateLevel(w http.ResponseWriter, r *http.Request) error {
	var in members.LevelInput
	if err := decode(r, &in); err != nil {
		return err
	}
	l, err := s.Members.CreateLevel(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, l)
}

func (s *Server) handleUpdateLevel(w http.ResponseWriter, r *http.Request) error {
	var in members.LevelInput
	if err := decode(r, &in); err != nil {
		return err
	}
	l, err := s.Members.UpdateLevel(r.Context(), members.LevelID(pathVar(r, "id")), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (s *Server) handleDeleteLevel(w http.ResponseWriter, r *http.Request) error {
	if err := s.Members.DeleteLevel(r.Context(), members.LevelID(pathVar(r, "id"))); err != nil {
		return err
	}
	return writeJSON(w, http.StatusNoContent, nil)
}

func (s *Server) handleListTags(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.Members.ListTags(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ts)
}

func (s *Server) handleCreateTag(w http.ResponseWriter, r *http.Request) error {
	var in members.TagInput
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.Members.CreateTag(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (s *Server) handleRenameTag(w http.ResponseWriter, r *http.Request) error {
	var in members.TagInput
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.Members.RenameTag(r.Context(), members.TagID(pathVar(r, "id")), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (s *Server) handleDeleteTag(w http.ResponseWriter, r *http.Request) error {
	if err := s.Members.DeleteTag(r.Context(), members.TagID(pathVar(r, "id"))); err != nil {
		return err
	}
	return writeJSON(w, http.StatusNoContent, nil)
}

func (s *Server) handleGetPointsSettings(w http.ResponseWriter, r *http.Request) error {
	st, err := s.Members.PointsSettings(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleUpdatePointsSettings(w http.ResponseWriter, r *http.Request) error {
	var in members.PointsSettingsPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	st, err := s.Members.UpdatePointsSettings(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}
