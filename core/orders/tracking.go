package orders

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/tenancy"
)

// TrackingInput is one carrier scan of a parcel.
type TrackingInput struct {
	At          time.Time `json:"at"`
	Status      string    `json:"status"`
	Description string    `json:"description"`
	Location    string    `json:"location,omitempty"`
}

// AddTracking records scans of a parcel of an order. A scan the parcel
// already has (same time and description) is not added again.
func (s *Service) AddTracking(ctx context.Context, orderID OrderID, parcelID string, in []TrackingInput) (Order, error) {
	v := errs.Validator{}
	v.Check(len(in) >= 1 && len(in) <= 500, "events", "out_of_range", "1 to 500 events")
	for i, e := range in {
		v.Check(!e.At.IsZero(), fmt.Sprintf("events[%d].at", i), "required", "when")
		v.Check(e.Status != "" && len(e.Status) <= 32, fmt.Sprintf("events[%d].status", i), "required", "a status (at most 32 characters)")
		v.Check(utf8.RuneCountInString(e.Description) <= 500, fmt.Sprintf("events[%d].description", i), "too_long", "at most 500 characters")
		v.Check(utf8.RuneCountInString(e.Location) <= 100, fmt.Sprintf("events[%d].location", i), "too_long", "at most 100 characters")
	}
	if err := v.Err(); err != nil {
		return Order{}, err
	}
	if !tenancy.ValidUUID(string(orderID)) || !tenancy.ValidUUID(parcelID) {
		return Order{}, errs.E(errs.NotFound, "parcel not found")
	}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var ok bool
		if err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM parcels WHERE tenant_id = $1 AND id = $2 AND order_id = $3)`, tid(ctx), parcelID, orderID); err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.NotFound, "parcel not found")
		}
		events := make([]trackingRow, len(in))
		for i, e := range in {
			events[i] = trackingRow{parcel: parcelID, at: e.At, status: e.Status, description: e.Description, location: e.Location}
		}
		_, err := insertTracking(ctx, tx, events)
		return err
	})
	if err != nil {
		return Order{}, err
	}
	return s.Get(ctx, orderID, "")
}

// trackingRow is one event to record.
type trackingRow struct {
	parcel, status, description, location string
	at                                    time.Time
}

// insertTracking records events in one statement, skipping those a parcel
// already has (tracking_events_dedupe_idx: parcel, time, description), and
// answers how many were added.
func insertTracking(ctx context.Context, tx *db.Tx, rows []trackingRow) (int, error) {
	parcels, ats, statuses, descs, locs := make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		parcels[i], ats[i], statuses[i], descs[i], locs[i] = r.parcel, r.at.UTC().Format(time.RFC3339Nano), r.status, r.description, r.location
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO tracking_events (tenant_id, parcel_id, at, status, description, location)
SELECT $1::uuid, * FROM unnest($2::uuid[], $3::timestamptz[], $4::text[], $5::text[], $6::text[])
ON CONFLICT (tenant_id, parcel_id, at, description) DO NOTHING`,
		tid(ctx), pq.Array(parcels), pq.Array(ats), pq.Array(statuses), pq.Array(descs), pq.Array(locs))
	if err != nil {
		return 0, fmt.Errorf("insert tracking: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// MaxTrackingImportRows bounds the data rows of one tracking upload.
const MaxTrackingImportRows = 20_000

// maxReportedRowErrors bounds the errors one report lists.
const maxReportedRowErrors = 1000

// TrackingImport is the outcome of a tracking upload. Added counts the
// events recorded (in a dry run: that would be); Duplicates the good rows
// already recorded or repeated in the file.
type TrackingImport struct {
	DryRun     bool               `json:"dry_run"`
	Rows       int                `json:"rows"`
	Valid      bool               `json:"valid"`
	Added      int                `json:"added"`
	Duplicates int                `json:"duplicates"`
	Errors     []catalog.RowError `json:"errors"`
}

// trackingColumns are the upload's columns, with the Chinese headers a
// merchant's spreadsheet may use.
var trackingColumns = map[string]string{
	"order_no": "order_no", "订单号": "order_no",
	"tracking_no": "tracking_no", "运单号": "tracking_no", "快递单号": "tracking_no",
	"time": "time", "时间": "time",
	"status": "status", "状态": "status",
	"description": "description", "描述": "description", "物流信息": "description",
	"location": "location", "地点": "location",
}

var trackingRequired = []string{"order_no", "tracking_no", "time", "description"}

// DefaultTrackingStatus is the status of uploaded events without one.
const DefaultTrackingStatus = "in_transit"

// trackingLine is one data row of an upload.
type trackingLine struct {
	line                                                  int
	orderNo, trackingNo, timeText, status, desc, location string
}

// readTrackingCSV reads an upload: UTF-8 CSV (a BOM is fine) with a header
// naming its columns. Problems of the file as a whole are an error.
func readTrackingCSV(data []byte) ([]trackingLine, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, errs.Field("file", "unreadable", "not UTF-8 text (save the CSV as UTF-8)")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if err != nil {
		return nil, errs.Field("file", "unreadable", "no header row: "+errText(err))
	}
	col := map[string]int{}
	for i, h := range head {
		name, ok := trackingColumns[strings.ToLower(strings.TrimSpace(h))]
		if !ok {
			return nil, errs.Field("file", "unknown_column", fmt.Sprintf("unknown column %q (columns: order_no, tracking_no, time, status, description, location)", h))
		}
		if _, dup := col[name]; dup {
			return nil, errs.Field("file", "duplicate_column", fmt.Sprintf("column %q appears twice", name))
		}
		col[name] = i
	}
	for _, c := range trackingRequired {
		if _, ok := col[c]; !ok {
			return nil, errs.Field("file", "missing_column", fmt.Sprintf("the header has no %s column", c))
		}
	}
	var out []trackingLine
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errs.Field("file", "unreadable", "not valid CSV: "+errText(err))
		}
		line, _ := r.FieldPos(0)
		cell := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		l := trackingLine{line: line, orderNo: cell("order_no"), trackingNo: cell("tracking_no"), timeText: cell("time"),
			status: cell("status"), desc: cell("description"), location: cell("location")}
		if l == (trackingLine{line: line}) {
			continue // a blank line
		}
		if len(out) == MaxTrackingImportRows {
			return nil, errs.Field("file", "too_many_rows", fmt.Sprintf("at most %d rows per file", MaxTrackingImportRows))
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, errs.Field("file", "empty", "the file has no data rows")
	}
	return out, nil
}

func errText(err error) string {
	if errors.Is(err, io.EOF) {
		return "the file is empty"
	}
	return err.Error()
}

// parseTrackingTime reads RFC 3339, or "2006-01-02 15:04[:05]" in the
// shop's time zone.
func parseTrackingTime(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

var errDryRun = errors.New("dry run")

// ImportTracking records the tracking events of a CSV upload (see
// readTrackingCSV and the README). Every row is checked against the shop's
// orders and parcels; with any bad row nothing is recorded (a dry run
// answers the report, a real run the problem with every bad row). A good
// file is applied in one transaction; events a parcel already has are
// skipped, so uploading the same file again adds nothing. A dry run does
// the same work and rolls it back.
func (s *Service) ImportTracking(ctx context.Context, data []byte, dryRun bool) (TrackingImport, error) {
	lines, err := readTrackingCSV(data)
	if err != nil {
		return TrackingImport{}, err
	}
	rep := TrackingImport{DryRun: dryRun, Rows: len(lines), Errors: []catalog.RowError{}}
	loc, now := location(ctx), s.now()
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		orderNos := make([]string, 0, len(lines))
		for _, l := range lines {
			orderNos = append(orderNos, l.orderNo)
		}
		var found []struct {
			OrderNo    string  `db:"order_no"`
			TrackingNo *string `db:"tracking_no"`
			ParcelID   *string `db:"parcel_id"`
		}
		if err := tx.SelectContext(ctx, &found, `SELECT o.order_no, p.tracking_no, p.id AS parcel_id
FROM orders o LEFT JOIN parcels p ON p.tenant_id = o.tenant_id AND p.order_id = o.id
WHERE o.tenant_id = $1 AND o.order_no = ANY($2)`, tid(ctx), pq.Array(orderNos)); err != nil {
			return fmt.Errorf("tracking import: %w", err)
		}
		orders := map[string]bool{}
		parcels := map[[2]string][]string{}
		for _, f := range found {
			orders[f.OrderNo] = true
			if f.ParcelID != nil {
				k := [2]string{f.OrderNo, *f.TrackingNo}
				parcels[k] = append(parcels[k], *f.ParcelID)
			}
		}
		var rows []trackingRow
		good := 0
		for _, l := range lines {
			bad := func(column, msg string) {
				rep.Errors = append(rep.Errors, catalog.RowError{Row: l.line, Column: column, Message: msg})
			}
			n := len(rep.Errors)
			var ids []string
			switch {
			case l.orderNo == "" || !orders[l.orderNo]:
				bad("order_no", "unknown order")
			case l.trackingNo == "":
				bad("tracking_no", "a tracking number is required")
			default:
				if ids = parcels[[2]string{l.orderNo, l.trackingNo}]; len(ids) == 0 {
					bad("tracking_no", "the order has no parcel with this tracking number")
				}
			}
			at, ok := parseTrackingTime(l.timeText, loc)
			switch {
			case !ok:
				bad("time", "not a time: RFC 3339 or YYYY-MM-DD HH:MM (shop's time zone)")
			case at.After(now.Add(24 * time.Hour)):
				bad("time", "in the future")
			}
			switch {
			case l.desc == "":
				bad("description", "empty description")
			case utf8.RuneCountInString(l.desc) > 500:
				bad("description", "at most 500 characters")
			}
			status := l.status
			if status == "" {
				status = DefaultTrackingStatus
			}
			if len(status) > 32 {
				bad("status", "at most 32 characters")
			}
			if utf8.RuneCountInString(l.location) > 100 {
				bad("location", "at most 100 characters")
			}
			if len(rep.Errors) > n {
				continue
			}
			good++
			for _, id := range ids {
				rows = append(rows, trackingRow{parcel: id, at: at, status: status, description: l.desc, location: l.location})
			}
		}
		if len(rep.Errors) > 0 {
			if dryRun {
				return errDryRun
			}
			return catalog.RowsError(truncateRowErrors(rep.Errors))
		}
		added, err := insertTracking(ctx, tx, rows)
		if err != nil {
			return err
		}
		rep.Added, rep.Duplicates = added, len(rows)-added
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return TrackingImport{}, err
	}
	rep.Errors = truncateRowErrors(rep.Errors)
	rep.Valid = len(rep.Errors) == 0
	return rep, nil
}

func truncateRowErrors(e []catalog.RowError) []catalog.RowError {
	if len(e) > maxReportedRowErrors {
		return e[:maxReportedRowErrors]
	}
	return e
}
