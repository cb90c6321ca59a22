package api

import (
	"bytes"
	"net/http"
	"time"

	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/finance"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Finance: the ledger's trial balance, the fund flow (journal) with
// exports, reconciliation against distribution, the merchant's reports and
// the operators' cross-tenant report.
func init() {
	register(
		Route{Name: "financeTrialBalance", Method: "GET", Path: "/api/v1/admin/finance/trial-balance", Access: TenantStaff, Perm: "finance:read",
			Summary: "Debit and credit totals per account; the difference is always zero", Resp: finance.TrialBalance{}, H: (*Server).handleTrialBalance},
		Route{Name: "financeJournal", Method: "GET", Path: "/api/v1/admin/finance/journal", Access: TenantStaff, Perm: "finance:read",
			Summary: "The fund flow: journal lines newest first, filtered by type (entry kind), account, member (party), order and date range; format=csv or xlsx downloads every matching line",
			Query:   []string{"type", "account", "member", "order", "from", "to", "cursor", "limit", "format"}, Resp: List[finance.JournalLine]{}, H: (*Server).handleJournal},
		Route{Name: "financeReconciliation", Method: "GET", Path: "/api/v1/admin/finance/reconciliation", Access: TenantStaff, Perm: "finance:read",
			Summary: "Recompute every distributor's balances from the journal and compare them with distribution's own totals", Resp: finance.Reconciliation{}, H: (*Server).handleReconciliation},
		Route{Name: "financeReports", Method: "GET", Path: "/api/v1/admin/finance/reports", Access: TenantStaff, Perm: "finance:read",
			Summary: "Sales, refunds, commission, fees and profit per day, week or month in the shop's time zone",
			Query:   []string{"from", "to", "group"}, Resp: finance.Report{}, H: (*Server).handleFinanceReports},
		Route{Name: "platformReports", Method: "GET", Path: "/api/v1/platform/reports", Access: Platform, Perm: "platform.reports:read",
			Summary: "GMV, orders, refunds, commission and platform fees per tenant over a period (default: the last month)",
			Query:   []string{"from", "to"}, Resp: finance.PlatformReport{}, H: (*Server).handlePlatformReports},
	)
}

// timeParam reads an RFC 3339 time or a YYYY-MM-DD date (midnight in loc).
func timeParam(r *http.Request, name string, loc *time.Location) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
		return t, nil
	}
	return time.Time{}, errs.Field(name, "invalid", "an RFC 3339 time or a YYYY-MM-DD date")
}

// tenantLocation is the shop's time zone (dates in queries are local days).
func tenantLocation(r *http.Request) *time.Location {
	if t, ok := tenancy.From(r.Context()); ok && t.Timezone != "" {
		if loc, err := time.LoadLocation(t.Timezone); err == nil {
			return loc
		}
	}
	return time.UTC
}

func rangeParams(r *http.Request) (from, to time.Time, err error) {
	loc := tenantLocation(r)
	v := errs.Validator{}
	from, e1 := timeParam(r, "from", loc)
	v.Merge("from", e1)
	to, e2 := timeParam(r, "to", loc)
	v.Merge("to", e2)
	return from, to, v.Err()
}

func (s *Server) handleTrialBalance(w http.ResponseWriter, r *http.Request) error {
	tb, err := s.Finance.TrialBalance(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, tb)
}

func (s *Server) handleJournal(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, to, err := rangeParams(r)
	if err != nil {
		return err
	}
	f := finance.JournalFilter{Kind: q.Get("type"), Account: finance.Account(q.Get("account")), Party: q.Get("member"),
		OrderID: q.Get("order"), From: from, To: to}
	switch format := q.Get("format"); format {
	case "", "json":
	case "csv", "xlsx":
		lines, err := s.Finance.JournalAll(r.Context(), f, finance.ExportMax)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		ct := "text/csv; charset=utf-8"
		if format == "csv" {
			err = finance.WriteCSV(&buf, lines)
		} else {
			ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
			err = finance.WriteXLSX(&buf, lines)
		}
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Disposition", `attachment; filename="journal-`+time.Now().UTC().Format("20060102")+`.`+format+`"`)
		_, err = w.Write(buf.Bytes())
		return err
	default:
		return errs.Field("format", "invalid", "json, csv or xlsx")
	}
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	items, next, err := s.Finance.Journal(r.Context(), f, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleReconciliation(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.Finance.Reconcile(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rec)
}

func (s *Server) handleFinanceReports(w http.ResponseWriter, r *http.Request) error {
	from, to, err := rangeParams(r)
	if err != nil {
		return err
	}
	rep, err := s.Finance.Reports(r.Context(), from, to, r.URL.Query().Get("group"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (s *Server) handlePlatformReports(w http.ResponseWriter, r *http.Request) error {
	from, to, err := rangeParams(r)
	if err != nil {
		return err
	}
	rep, err := s.Finance.PlatformReport(r.Context(), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
