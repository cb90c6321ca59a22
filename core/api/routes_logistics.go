package api

import (
	"cmp"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/orders"
)

// Logistics: the shop's carriers and uploads of tracking events.
func init() {
	name, enabled := "顺丰速运", true
	register(
		Route{Name: "listCarriers", Method: "GET", Path: "/api/v1/admin/carriers", Access: TenantStaff, Perm: "orders:read",
			Summary: "The shop's carriers by sort order (the usual Chinese carriers are added on first use); enabled=true: only those shipping may use",
			Query:   []string{"enabled"}, Resp: []orders.Carrier{}, H: (*Server).handleListCarriers},
		Route{Name: "createCarrier", Method: "POST", Path: "/api/v1/admin/carriers", Access: TenantStaff, Perm: "settings:write", Status: 201,
			Summary: "Add a carrier (code: A–Z, 0–9, _ and -; tracking_url: an http(s) URL with {tracking_no})", Body: orders.CarrierInput{},
			Example: orders.CarrierInput{Code: "DEPPON", Name: &name}, Resp: orders.Carrier{}, H: (*Server).handleCreateCarrier},
		Route{Name: "getCarrier", Method: "GET", Path: "/api/v1/admin/carriers/{code}", Access: TenantStaff, Perm: "orders:read", Fixture: "carrier",
			Summary: "One carrier", Resp: orders.Carrier{}, H: (*Server).handleGetCarrier},
		Route{Name: "updateCarrier", Method: "PATCH", Path: "/api/v1/admin/carriers/{code}", Access: TenantStaff, Perm: "settings:write", Fixture: "carrier",
			Summary: "Change a carrier's name, tracking URL, enabled flag or sort order", Body: orders.CarrierInput{},
			Example: orders.CarrierInput{Enabled: &enabled}, Resp: orders.Carrier{}, H: (*Server).handleUpdateCarrier},
		Route{Name: "deleteCarrier", Method: "DELETE", Path: "/api/v1/admin/carriers/{code}", Access: TenantStaff, Perm: "settings:write", Fixture: "carrier", Status: 204,
			Summary: "Remove a carrier (parcels shipped with it keep its code)", H: (*Server).handleDeleteCarrier},
		Route{Name: "importTracking", Method: "POST", Path: "/api/v1/admin/tracking-imports", Access: TenantStaff, Perm: "orders:write", MaxBody: 8 << 20,
			Summary: "Upload tracking events as CSV (multipart/form-data field file, or a text/csv body): order_no, tracking_no, time, description, " +
				"optional status and location. dry_run=true reports every bad row and changes nothing; otherwise all or nothing, and an event already recorded is skipped",
			Query: []string{"dry_run"}, Resp: orders.TrackingImport{}, H: (*Server).handleImportTracking},
	)
}

func (s *Server) handleListCarriers(w http.ResponseWriter, r *http.Request) error {
	only, err := strconv.ParseBool(cmp.Or(r.URL.Query().Get("enabled"), "false"))
	if err != nil {
		return errs.Field("enabled", "invalid", "true or false")
	}
	cs, err := s.Orders.Carriers(r.Context(), only)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, cs)
}

func (s *Server) handleCreateCarrier(w http.ResponseWriter, r *http.Request) error {
	var in orders.CarrierInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.Orders.CreateCarrier(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (s *Server) handleGetCarrier(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Orders.Carrier(r.Context(), pathVar(r, "code"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleUpdateCarrier(w http.ResponseWriter, r *http.Request) error {
	var in orders.CarrierInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.Orders.UpdateCarrier(r.Context(), pathVar(r, "code"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleDeleteCarrier(w http.ResponseWriter, r *http.Request) error {
	if err := s.Orders.DeleteCarrier(r.Context(), pathVar(r, "code")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusNoContent, nil)
}

// handleImportTracking takes the CSV as a multipart upload (field file, like
// the catalogue import) or as the whole text/csv body.
func (s *Server) handleImportTracking(w http.ResponseWriter, r *http.Request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var data []byte
	var err error
	switch mt {
	case "multipart/form-data":
		if _, data, err = formFile(r, "file"); err != nil {
			return err
		}
	case "text/csv", "text/plain":
		if data, err = io.ReadAll(r.Body); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return errs.E(errs.BodyTooLarge, "the upload is larger than %d bytes", tooBig.Limit)
			}
			return errs.Field("file", "unreadable", "the body cannot be read")
		}
	default:
		return errs.E(errs.UnsupportedMedia, "send the CSV as multipart/form-data (field \"file\") or as a text/csv body")
	}
	dry, err := strconv.ParseBool(cmp.Or(r.URL.Query().Get("dry_run"), r.FormValue("dry_run"), "false"))
	if err != nil {
		return errs.Field("dry_run", "invalid", "true or false")
	}
	rep, err := s.Orders.ImportTracking(r.Context(), data, dry)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
