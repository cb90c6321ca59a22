package api

import (
	"net/http"
	"strconv"

	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/orders"
)

// Dashboard figures beyond the order stats: the best-selling products.
func init() {
	register(Route{Name: "topProducts", Method: "GET", Path: "/api/v1/admin/stats/top-products", Access: TenantStaff, Perm: "stats:read",
		Summary: "Best sellers over orders paid in [from, to): units then amount, refunds subtracted; from/to are RFC 3339 times or dates in the shop's time zone; limit 1–50 (default 10)",
		Query:   []string{"from", "to", "limit"}, Resp: orders.TopProducts{}, H: (*Server).handleTopProducts})
}

func (s *Server) handleTopProducts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ctx := r.Context()
	v := errs.Validator{}
	from, ok := orders.StatsRange(ctx, q.Get("from"))
	v.Check(ok, "from", "invalid", "an RFC 3339 time or a date (YYYY-MM-DD, in the shop's time zone)")
	to, ok := orders.StatsRange(ctx, q.Get("to"))
	v.Check(ok, "to", "invalid", "an RFC 3339 time or a date (YYYY-MM-DD, in the shop's time zone)")
	limit := 10
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		v.Check(err == nil, "limit", "invalid", "a whole number")
		limit = n
	}
	if err := v.Err(); err != nil {
		return err
	}
	top, err := s.Orders.TopProducts(ctx, from, to, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, top)
}
