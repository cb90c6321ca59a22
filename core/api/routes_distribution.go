package api

import (
	"net/http"
	"strconv"

	"github.com/banyanmall/banyan/core/distribution"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
)

// Distribution: settings, distributors and applications, grades,
// commissions, withdrawals and statistics for the merchant; the
// distributor's own page, team, commission and withdrawals in the shop; and
// the referral landing /r/{code}.
func init() {
	reason := "incomplete profile"
	register(
		Route{Name: "getDistributionSettings", Method: "GET", Path: "/api/v1/admin/distribution-settings", Access: TenantStaff, Perm: "distribution:read",
			Summary: "The shop's distribution rules (defaults until saved)", Resp: distribution.Settings{}, H: (*Server).handleGetDistSettings},
		Route{Name: "putDistributionSettings", Method: "PUT", Path: "/api/v1/admin/distribution-settings", Access: TenantStaff, Perm: "distribution:write",
			Summary: "Replace the distribution rules; depth above 3 is refused (depth_exceeds_legal_limit, 禁止传销条例)", Body: distribution.Settings{},
			Resp: distribution.Settings{}, H: (*Server).handlePutDistSettings},

		Route{Name: "listDistributors", Method: "GET", Path: "/api/v1/admin/distributors", Access: TenantStaff, Perm: "distribution:read",
			Summary: "Distributors and applicants, newest first", Query: []string{"status", "cursor", "limit"}, Resp: List[distribution.Distributor]{}, H: (*Server).handleListDistributors},
		Route{Name: "designateDistributor", Method: "POST", Path: "/api/v1/admin/distributors", Access: TenantStaff, Perm: "distribution:write", Status: 201,
			Summary: "Make a member a distributor (the merchant's designation)", Body: designateInput{}, Resp: distribution.Distributor{}, H: (*Server).handleDesignate},
		Route{Name: "getDistributor", Method: "GET", Path: "/api/v1/admin/distributors/{id}", Access: TenantStaff, Perm: "distribution:read", Fixture: "distributor",
			Summary: "A distributor with balances (from the ledger) and team tree", Resp: distribution.Overview{}, H: (*Server).handleGetDistributor},
		Route{Name: "distributorTeam", Method: "GET", Path: "/api/v1/admin/distributors/{id}/team", Access: TenantStaff, Perm: "distribution:read", Fixture: "distributor",
			Summary: "One level of a distributor's team tree: the members parent (default: the distributor) referred, newest first, with their own count within the shop's depth",
			Query:   []string{"parent", "cursor", "limit"}, Resp: List[distribution.TeamNode]{}, H: (*Server).handleDistributorTeam},
		Route{Name: "disableDistributor", Method: "POST", Path: "/api/v1/admin/distributors/{id}/disable", Access: TenantStaff, Perm: "distribution:write", Fixture: "distributor",
			Summary: "Disable a distributor (no new commission; balances stay theirs)", Resp: distribution.Distributor{}, H: (*Server).handleDisableDistributor},
		Route{Name: "enableDistributor", Method: "POST", Path: "/api/v1/admin/distributors/{id}/enable", Access: TenantStaff, Perm: "distribution:write", Fixture: "distributor",
			Summary: "Re-enable a disabled distributor", Resp: distribution.Distributor{}, H: (*Server).handleEnableDistributor},

		Route{Name: "listDistributorApplications", Method: "GET", Path: "/api/v1/admin/distributor-applications", Access: TenantStaff, Perm: "distribution:read",
			Summary: "Applications by status (pending by default)", Query: []string{"status", "cursor", "limit"}, Resp: List[distribution.Distributor]{}, H: (*Server).handleListApplications},
		Route{Name: "approveDistributorApplication", Method: "POST", Path: "/api/v1/admin/distributor-applications/{id}/approve", Access: TenantStaff, Perm: "distribution:write",
			Fixture: "distributor_application", Summary: "Approve a pending application (a rejected one answers invalid_state)", Resp: distribution.Distributor{}, H: (*Server).handleApproveApplication},
		Route{Name: "rejectDistributorApplication", Method: "POST", Path: "/api/v1/admin/distributor-applications/{id}/reject", Access: TenantStaff, Perm: "distribution:write",
			Fixture: "distributor_application", Summary: "Reject a pending application with a reason", Body: distribution.ReviewInput{},
			Example: distribution.ReviewInput{Reason: reason}, Resp: distribution.Distributor{}, H: (*Server).handleRejectApplication},

		Route{Name: "listDistributorGrades", Method: "GET", Path: "/api/v1/admin/distributor-grades", Access: TenantStaff, Perm: "distribution:read",
			Summary: "Distributor grades by rank", Resp: []distribution.Grade{}, H: (*Server).handleListGrades},
		Route{Name: "createDistributorGrade", Method: "POST", Path: "/api/v1/admin/distributor-grades", Access: TenantStaff, Perm: "distribution:write", Status: 201,
			Summary: "Add a grade: per-level rates and upgrade conditions", Body: distribution.GradeInput{}, Resp: distribution.Grade{}, H: (*Server).handleCreateGrade},
		Route{Name: "updateDistributorGrade", Method: "PUT", Path: "/api/v1/admin/distributor-grades/{id}", Access: TenantStaff, Perm: "distribution:write", Fixture: "distributor_grade",
			Summary: "Replace a grade", Body: distribution.GradeInput{}, Example: distribution.GradeInput{Name: "高级", Rank: 99}, Resp: distribution.Grade{}, H: (*Server).handleUpdateGrade},
		Route{Name: "deleteDistributorGrade", Method: "DELETE", Path: "/api/v1/admin/distributor-grades/{id}", Access: TenantStaff, Perm: "distribution:write", Fixture: "distributor_grade",
			Status: 204, Summary: "Delete a grade no distributor holds", H: (*Server).handleDeleteGrade},

		Route{Name: "listCommissions", Method: "GET", Path: "/api/v1/admin/commissions", Access: TenantStaff, Perm: "distribution:read",
			Summary: "Commission records with their rule-set snapshot, newest first", Query: []string{"member_id", "order_id", "status", "cursor", "limit"},
			Resp: List[distribution.Commission]{}, H: (*Server).handleListCommissions},
		Route{Name: "distributionStats", Method: "GET", Path: "/api/v1/admin/stats/distribution", Access: TenantStaff, Perm: "stats:read",
			Summary: "Distributors by status and grade, referred orders and GMV, commission by state, leaderboard, daily trend", Query: []string{"days"},
			Resp: distribution.Stats{}, H: (*Server).handleDistributionStats},

		Route{Name: "listWithdrawals", Method: "GET", Path: "/api/v1/admin/withdrawals", Access: TenantStaff, Perm: "finance:read",
			Summary: "Withdrawal requests, newest first", Query: []string{"status", "member_id", "cursor", "limit"}, Resp: List[distribution.Withdrawal]{}, H: (*Server).handleListWithdrawals},
		Route{Name: "getWithdrawal", Method: "GET", Path: "/api/v1/admin/withdrawals/{id}", Access: TenantStaff, Perm: "finance:read", Fixture: "withdrawal",
			Summary: "A withdrawal", Resp: distribution.Withdrawal{}, H: (*Server).handleGetWithdrawal},
		Route{Name: "approveWithdrawal", Method: "POST", Path: "/api/v1/admin/withdrawals/{id}/approve", Access: TenantStaff, Perm: "withdrawals:approve", Fixture: "withdrawal",
			Summary: "Approve a withdrawal (above the threshold a second, different approver is needed); then it is paid out through the payment plugin, if set",
			Resp:    distribution.Withdrawal{}, H: (*Server).handleApproveWithdrawal},
		Route{Name: "rejectWithdrawal", Method: "POST", Path: "/api/v1/admin/withdrawals/{id}/reject", Access: TenantStaff, Perm: "withdrawals:approve", Fixture: "withdrawal",
			Summary: "Reject a withdrawal with a reason; the amount returns to the available balance", Body: distribution.ReviewInput{},
			Example: distribution.ReviewInput{Reason: reason}, Resp: distribution.Withdrawal{}, H: (*Server).handleRejectWithdrawal},
		Route{Name: "markWithdrawalPaid", Method: "POST", Path: "/api/v1/admin/withdrawals/{id}/mark-paid", Access: TenantStaff, Perm: "withdrawals:approve", Fixture: "withdrawal",
			Summary: "Record that an approved withdrawal was paid by hand, with the payment's reference", Body: distribution.MarkPaidInput{},
			Example: distribution.MarkPaidInput{Reference: "BANK-0001"}, Resp: distribution.Withdrawal{}, H: (*Server).handleMarkWithdrawalPaid},

		Route{Name: "shopDistributor", Method: "GET", Path: "/api/v1/shop/distributor", Access: Member,
			Summary: "The member's distributor page: status, referral code and link, balances, team counts", Resp: distribution.Overview{}, H: (*Server).handleShopDistributor},
		Route{Name: "shopApplyDistributor", Method: "POST", Path: "/api/v1/shop/distributor", Access: Member, Status: 201,
			Summary: "Apply to become a distributor (approved at once or reviewed, per the shop's rules)", Body: distribution.ApplyInput{}, Resp: distribution.Distributor{},
			H: (*Server).handleShopApply},
		Route{Name: "shopDistributorBind", Method: "POST", Path: "/api/v1/shop/distributor/bind", Access: Member,
			Summary: "Bind the member to a referral code (binding mode first_visit; lock period and rebinding policy apply)", Body: bindInput{},
			Resp: distribution.Binding{}, H: (*Server).handleShopBind},
		Route{Name: "shopDistributorTeam", Method: "GET", Path: "/api/v1/shop/distributor/team", Access: Member,
			Summary: "The distributor's direct and indirect members per level", Resp: distribution.Team{}, H: (*Server).handleShopTeam},
		Route{Name: "shopDistributorCommissions", Method: "GET", Path: "/api/v1/shop/distributor/commissions", Access: Member,
			Summary: "The distributor's commission, newest first", Query: []string{"status", "cursor", "limit"}, Resp: List[distribution.Commission]{}, H: (*Server).handleShopCommissions},
		Route{Name: "shopListWithdrawals", Method: "GET", Path: "/api/v1/shop/distributor/withdrawals", Access: Member,
			Summary: "The distributor's withdrawals, newest first", Query: []string{"status", "cursor", "limit"}, Resp: List[distribution.Withdrawal]{}, H: (*Server).handleShopWithdrawals},
		Route{Name: "shopRequestWithdrawal", Method: "POST", Path: "/api/v1/shop/distributor/withdrawals", Access: Member, Status: 201,
			Summary: "Withdraw available commission (minimum, fee, daily limit; refused while the balance is negative)", Body: distribution.WithdrawalInput{},
			Resp: distribution.Withdrawal{}, H: (*Server).handleShopRequestWithdrawal},

		Route{Name: "referralLanding", Method: "GET", Path: "/r/{code}", Access: PublicTenant, Raw: true,
			Summary: "Referral link: remembers the code in the banyan_ref cookie and redirects to the storefront", H: (*Server).handleReferral},
	)
}

type designateInput struct {
	MemberID string `json:"member_id"`
}

type bindInput struct {
	Code string `json:"code"`
}

func (s *Server) handleGetDistSettings(w http.ResponseWriter, r *http.Request) error {
	st, err := s.Distribution.Settings(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (s *Server) handlePutDistSettings(w http.ResponseWriter, r *http.Request) error {
	var in distribution.Settings
	if err := decode(r, &in); err != nil {
		return err
	}
	st, err := s.Distribution.UpdateSettings(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (s *Server) listDistributors(w http.ResponseWriter, r *http.Request, status string) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	items, next, err := s.Distribution.List(r.Context(), status, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleListDistributors(w http.ResponseWriter, r *http.Request) error {
	return s.listDistributors(w, r, r.URL.Query().Get("status"))
}

func (s *Server) handleListApplications(w http.ResponseWriter, r *http.Request) error {
	st := r.URL.Query().Get("status")
	if st == "" {
		st = "pending"
	}
	return s.listDistributors(w, r, st)
}

func (s *Server) handleDesignate(w http.ResponseWriter, r *http.Request) error {
	var in designateInput
	if err := decode(r, &in); err != nil {
		return err
	}
	d, err := s.Distribution.Designate(r.Context(), identity.MemberID(in.MemberID))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, d)
}

func (s *Server) handleGetDistributor(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Distribution.Overview(r.Context(), pathVar(r, "id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) handleDistributorTeam(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	items, next, err := s.Distribution.TeamChildren(r.Context(), pathVar(r, "id"), r.URL.Query().Get("parent"), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleDisableDistributor(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Distribution.SetEnabled(r.Context(), pathVar(r, "id"), false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleEnableDistributor(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Distribution.SetEnabled(r.Context(), pathVar(r, "id"), true)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleApproveApplication(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Distribution.Approve(r.Context(), pathVar(r, "id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleRejectApplication(w http.ResponseWriter, r *http.Request) error {
	var in distribution.ReviewInput
	if err := decode(r, &in); err != nil {
		return err
	}
	d, err := s.Distribution.Reject(r.Context(), pathVar(r, "id"), in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleListGrades(w http.ResponseWriter, r *http.Request) error {
	g, err := s.Distribution.Grades(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, g)
}

func (s *Server) handleCreateGrade(w http.ResponseWriter, r *http.Request) error {
	var in distribution.GradeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	g, err := s.Distribution.SaveGrade(r.Context(), "", in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, g)
}

func (s *Server) handleUpdateGrade(w http.ResponseWriter, r *http.Request) error {
	var in distribution.GradeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	id := pathVar(r, "id")
	if id == "" {
		return errs.E(errs.NotFound, "grade not found")
	}
	g, err := s.Distribution.SaveGrade(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, g)
}

func (s *Server) handleDeleteGrade(w http.ResponseWriter, r *http.Request) error {
	if err := s.Distribution.DeleteGrade(r.Context(), pathVar(r, "id")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusNoContent, nil)
}

func (s *Server) commissions(w http.ResponseWriter, r *http.Request, f distribution.CommissionFilter) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	items, next, err := s.Distribution.Commissions(r.Context(), f, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleListCommissions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	return s.commissions(w, r, distribution.CommissionFilter{Beneficiary: q.Get("member_id"), OrderID: q.Get("order_id"), Status: q.Get("status")})
}

func (s *Server) handleShopCommissions(w http.ResponseWriter, r *http.Request) error {
	return s.commissions(w, r, distribution.CommissionFilter{Beneficiary: string(actingMember(r)), Status: r.URL.Query().Get("status")})
}

func (s *Server) handleDistributionStats(w http.ResponseWriter, r *http.Request) error {
	days := 0
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 366 {
			return errs.Field("days", "out_of_range", "1 to 366")
		}
		days = n
	}
	st, err := s.Distribution.Stats(r.Context(), days)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (s *Server) withdrawals(w http.ResponseWriter, r *http.Request, member string) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	items, next, err := s.Distribution.Withdrawals(r.Context(), member, r.URL.Query().Get("status"), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleListWithdrawals(w http.ResponseWriter, r *http.Request) error {
	return s.withdrawals(w, r, r.URL.Query().Get("member_id"))
}

func (s *Server) handleShopWithdrawals(w http.ResponseWriter, r *http.Request) error {
	return s.withdrawals(w, r, string(actingMember(r)))
}

func (s *Server) handleGetWithdrawal(w http.ResponseWriter, r *http.Request) error {
	wd, err := s.Distribution.Withdrawal(r.Context(), pathVar(r, "id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wd)
}

func (s *Server) handleApproveWithdrawal(w http.ResponseWriter, r *http.Request) error {
	wd, err := s.Distribution.ApproveWithdrawal(r.Context(), pathVar(r, "id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wd)
}

func (s *Server) handleRejectWithdrawal(w http.ResponseWriter, r *http.Request) error {
	var in distribution.ReviewInput
	if err := decode(r, &in); err != nil {
		return err
	}
	wd, err := s.Distribution.RejectWithdrawal(r.Context(), pathVar(r, "id"), in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wd)
}

func (s *Server) handleMarkWithdrawalPaid(w http.ResponseWriter, r *http.Request) error {
	var in distribution.MarkPaidInput
	if err := decode(r, &in); err != nil {
		return err
	}
	wd, err := s.Distribution.MarkPaid(r.Context(), pathVar(r, "id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wd)
}

func (s *Server) handleShopDistributor(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Distribution.MyOverview(r.Context(), actingMember(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) handleShopApply(w http.ResponseWriter, r *http.Request) error {
	var in distribution.ApplyInput
	if err := decode(r, &in); err != nil {
		return err
	}
	d, err := s.Distribution.Apply(r.Context(), actingMember(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, d)
}

func (s *Server) handleShopBind(w http.ResponseWriter, r *http.Request) error {
	var in bindInput
	if err := decode(r, &in); err != nil {
		return err
	}
	b, err := s.Distribution.BindByMember(r.Context(), actingMember(r), in.Code)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, b)
}

func (s *Server) handleShopTeam(w http.ResponseWriter, r *http.Request) error {
	t, err := s.Distribution.Team(r.Context(), string(actingMember(r)))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (s *Server) handleShopRequestWithdrawal(w http.ResponseWriter, r *http.Request) error {
	var in distribution.WithdrawalInput
	if err := decode(r, &in); err != nil {
		return err
	}
	wd, err := s.Distribution.RequestWithdrawal(r.Context(), actingMember(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, wd)
}

// handleReferral remembers the code in a first-party cookie (30 days) and
// sends the visitor to the storefront; binding happens at registration or
// login per the shop's binding mode.
func (s *Server) handleReferral(w http.ResponseWriter, r *http.Request) error {
	if code := distribution.NormalizeCode(pathVar(r, "code")); code != "" {
		http.SetCookie(w, &http.Cookie{Name: distribution.RefCookie, Value: code, Path: "/", MaxAge: 30 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/", http.StatusFound)
	return nil
}

func init() {
	register(Route{Name: "simulateCommissions", Method: "POST", Path: "/api/v1/admin/commissions/simulations", Access: TenantStaff, Perm: "distribution:read",
		Summary: "Replay past paid orders through a commission plugin and config without writing anything: would-have-earned vs paid per distributor",
		Body:    distribution.SimulationInput{}, Resp: distribution.Simulation{}, H: (*Server).handleSimulateCommissions})
}

func (s *Server) handleSimulateCommissions(w http.ResponseWriter, r *http.Request) error {
	var in distribution.SimulationInput
	if err := decode(r, &in); err != nil {
		return err
	}
	sim, err := s.Distribution.Simulate(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sim)
}
