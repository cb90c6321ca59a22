package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/banyanmall/banyan/core/db"
)

func init() {
	register(
		Route{Name: "healthz", Method: "GET", Path: "/healthz", Access: Public, Raw: true,
			Summary: "Liveness: the process serves requests", H: (*Server).handleHealthz},
		Route{Name: "readyz", Method: "GET", Path: "/readyz", Access: Public, Raw: true,
			Summary: "Readiness: database reachable, migrations current, plugins up", H: (*Server).handleReadyz},
		Route{Name: "metrics", Method: "GET", Path: "/metrics", Access: Public, Raw: true,
			Summary: "Prometheus metrics", H: (*Server).handleMetrics},
	)
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain")
	_, err := w.Write([]byte("ok\n"))
	return err
}

type readyCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail any    `json:"detail,omitempty"`
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := []readyCheck{}
	ok := true
	if err := s.DB.PingContext(ctx); err != nil {
		checks = append(checks, readyCheck{Name: "database", OK: false, Detail: err.Error()})
		ok = false
	} else {
		checks = append(checks, readyCheck{Name: "database", OK: true})
		n, err := db.PendingMigrations(ctx, s.DB.DB.DB)
		c := readyCheck{Name: "migrations", OK: err == nil && n == 0}
		if err != nil {
			c.Detail = err.Error()
		} else if n > 0 {
			c.Detail = map[string]int{"pending": n}
		}
		ok = ok && c.OK
		checks = append(checks, c)
	}
	for _, rc := range s.Ready {
		name, good, detail := rc(ctx)
		checks = append(checks, readyCheck{Name: name, OK: good, Detail: detail})
		ok = ok && good
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	return writeJSON(w, status, map[string]any{"ready": ok, "checks": checks})
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) error {
	promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	return nil
}
