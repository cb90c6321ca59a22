package catalog

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/banyanmall/banyan/core/errs"
)

// Columns of the import and export format, in export order (see README).
var Columns = []string{
	"product_code", "title", "subtitle", "category_path", "brand", "tags", "status",
	"sku_code", "spec", "price", "original_price", "cost", "stock", "weight", "image_url",
}

// requiredColumns must be in the header of an import file.
var requiredColumns = []string{"product_code", "sku_code", "price"}

// MaxImportRows bounds the data rows of one file.
const MaxImportRows = 50_000

// Formats of import and export files.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// RowError is one problem of an import file: the row (as a spreadsheet
// numbers it: the header is row 1), the column, and what is wrong.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

// fileRow is a data row: its number and its cells by column name.
type fileRow struct {
	line  int
	cells map[string]string
}

func (r fileRow) get(col string) string { return r.cells[col] }

// DetectFormat picks the format from the name, else from the content
// (an .xlsx file is a zip archive).
func DetectFormat(name string, head []byte) string {
	switch n := strings.ToLower(name); {
	case strings.HasSuffix(n, ".xlsx"):
		return FormatXLSX
	case strings.HasSuffix(n, ".csv"):
		return FormatCSV
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return FormatXLSX
	}
	return FormatCSV
}

// readFile reads the rows of a CSV or XLSX file. Problems of the file as a
// whole (not CSV, no header, unknown columns) are an error; problems of a
// row are returned with the rows.
func readFile(format string, data []byte) ([]fileRow, map[string]bool, []RowError, error) {
	var raw [][]string
	var lines []int
	var rowErrs []RowError
	switch format {
	case FormatXLSX:
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			return nil, nil, nil, errs.Field("file", "unreadable", "not a readable .xlsx file: "+err.Error())
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, nil, nil, errs.Field("file", "empty", "the workbook has no sheet")
		}
		rows, err := f.Rows(sheets[0])
		if err != nil {
			return nil, nil, nil, errs.Field("file", "unreadable", "the first sheet cannot be read: "+err.Error())
		}
		n := 0
		for rows.Next() {
			n++
			cols, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				rowErrs = append(rowErrs, RowError{Row: n, Message: "unreadable row: " + err.Error()})
				continue
			}
			raw = append(raw, cols)
			lines = append(lines, n)
			if len(raw) > MaxImportRows+1 {
				break
			}
		}
		if err := rows.Close(); err != nil {
			return nil, nil, nil, errs.Field("file", "unreadable", err.Error())
		}
	case FormatCSV:
		if !isUTF8(data) {
			return nil, nil, nil, errs.Field("file", "encoding", "the CSV file must be UTF-8 (save as \"CSV UTF-8\")")
		}
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
		r.FieldsPerRecord = -1
		for len(raw) <= MaxImportRows+1 {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rowErrs = append(rowErrs, RowError{Row: pe.StartLine, Message: "malformed CSV: " + pe.Err.Error()})
				if len(rowErrs) > 100 {
					break
				}
				continue
			}
			if err != nil {
				return nil, nil, nil, errs.Field("file", "unreadable", err.Error())
			}
			line, _ := r.FieldPos(0)
			raw = append(raw, rec)
			lines = append(lines, line)
		}
	default:
		return nil, nil, nil, errs.Field("format", "invalid", "csv or xlsx")
	}
	if len(raw) == 0 {
		return nil, nil, nil, errs.Field("file", "empty", "the file has no header row")
	}
	header := raw[0]
	index := map[string]int{}
	present := map[string]bool{}
	var bad []string
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if !contains(Columns, h) {
			bad = append(bad, fmt.Sprintf("unknown column %q", h))
			continue
		}
		if present[h] {
			bad = append(bad, fmt.Sprintf("column %q appears twice", h))
		}
		index[h] = i
		present[h] = true
	}
	for _, c := range requiredColumns {
		if !present[c] {
			bad = append(bad, fmt.Sprintf("column %q is missing", c))
		}
	}
	if len(bad) > 0 {
		return nil, nil, nil, errs.Field("file", "bad_header", "row 1: "+strings.Join(bad, "; ")+"; the columns are "+strings.Join(Columns, ", "))
	}
	if len(raw)-1 > MaxImportRows {
		return nil, nil, nil, errs.Field("file", "too_many_rows", fmt.Sprintf("at most %d rows per file; split it", MaxImportRows))
	}
	var rows []fileRow
	for i, rec := range raw[1:] {
		empty := true
		cells := make(map[string]string, len(index))
		for col, j := range index {
			if j < len(rec) {
				cells[col] = strings.TrimSpace(rec[j])
				empty = empty && cells[col] == ""
			}
		}
		if empty {
			continue
		}
		if len(rec) > len(header) && strings.TrimSpace(strings.Join(rec[len(header):], "")) != "" {
			rowErrs = append(rowErrs, RowError{Row: lines[i+1], Message: fmt.Sprintf("%d cells, but the header has %d columns", len(rec), len(header))})
			continue
		}
		rows = append(rows, fileRow{line: lines[i+1], cells: cells})
	}
	return rows, present, rowErrs, nil
}

func isUTF8(b []byte) bool { return strings.ToValidUTF8(string(b), "\uFFFD") == string(b) }

// importGroup is the rows of one product (same product_code).
type importGroup struct {
	code     string
	line     int // first row
	rows     int
	title    string
	subtitle string
	brand    string
	status   string
	tags     []string
	hasTags  bool
	category []string // path; nil when not given
	names    []string // spec attribute names, from the first row
	namesSet bool
	specs    []SpecAttr
	skus     []importSKU
	images   []string
}

type importSKU struct {
	line          int
	code          string
	spec          string
	price         decimal.Decimal
	originalPrice *decimal.Decimal
	cost          *decimal.Decimal
	stock         *int
	weight        *decimal.Decimal
	image         string
}

var statusAliases = map[string]Status{
	"draft": Draft, "on_sale": OnSale, "off_shelf": OffShelf,
	"草稿": Draft, "在售": OnSale, "上架": OnSale, "下架": OffShelf,
}

// groupRows checks every row on its own and groups the rows by product.
// Rows with errors are left out of their group; a group with any bad row
// is left out whole (a product is imported completely or not at all).
func groupRows(rows []fileRow) ([]*importGroup, []RowError) {
	var errsOut []RowError
	add := func(line int, col, msg string) {
		errsOut = append(errsOut, RowError{Row: line, Column: col, Message: msg})
	}
	byCode := map[string]*importGroup{}
	var order []*importGroup
	bad := map[*importGroup]bool{}
	skuRow := map[string]int{}
	for _, r := range rows {
		before := len(errsOut)
		code := r.get("product_code")
		if !codeRe.MatchString(code) {
			add(r.line, "product_code", "product_code: "+codeRule)
			continue
		}
		g := byCode[code]
		if g == nil {
			g = &importGroup{code: code, line: r.line}
			byCode[code] = g
			order = append(order, g)
		}
		g.rows++
		// Product fields: the first non-blank value wins; a different one
		// later in the group is an error.
		field := func(col string, dst *string, check func(string) string) {
			v := r.get(col)
			if v == "" {
				return
			}
			if msg := check(v); msg != "" {
				add(r.line, col, msg)
				return
			}
			if *dst == "" {
				*dst = v
			} else if *dst != v {
				add(r.line, col, fmt.Sprintf("differs from an earlier row of product %s (a product's fields are given once)", code))
			}
		}
		field("title", &g.title, func(v string) string { return lenMsg(v, 200) })
		field("subtitle", &g.subtitle, func(v string) string { return lenMsg(v, 500) })
		field("brand", &g.brand, func(v string) string { return lenMsg(v, 64) })
		field("status", &g.status, func(v string) string {
			if _, ok := statusAliases[strings.ToLower(v)]; !ok {
				return "status: draft, on_sale or off_shelf"
			}
			return ""
		})
		var catPath string
		field("category_path", &catPath, func(v string) string {
			parts := splitPath(v)
			if len(parts) == 0 || len(parts) > MaxCategoryDepth {
				return fmt.Sprintf("category_path: 1 to %d levels separated by '/', e.g. 服装/男装/T恤", MaxCategoryDepth)
			}
			for _, p := range parts {
				if runes(p) > 32 {
					return fmt.Sprintf("category_path: %q is longer than 32 characters", p)
				}
			}
			return ""
		})
		if catPath != "" && g.category == nil {
			g.category = splitPath(catPath)
		}
		if t := r.get("tags"); t != "" {
			v := errs.Validator{}
			tags := checkTags(&v, "tags", splitTags(t))
			if err := v.Err(); err != nil {
				add(r.line, "tags", "tags: at most 20, each 1 to 32 characters")
			} else if !g.hasTags {
				g.tags, g.hasTags = tags, true
			} else if strings.Join(g.tags, ",") != strings.Join(tags, ",") {
				add(r.line, "tags", fmt.Sprintf("differs from an earlier row of product %s (a product's fields are given once)", code))
			}
		}
		// The SKU.
		s := importSKU{line: r.line, code: r.get("sku_code"), image: r.get("image_url")}
		if !codeRe.MatchString(s.code) {
			add(r.line, "sku_code", "sku_code: "+codeRule)
		} else if prev, dup := skuRow[s.code]; dup {
			add(r.line, "sku_code", fmt.Sprintf("SKU code %s is used twice (rows %d and %d)", s.code, prev, r.line))
		} else {
			skuRow[s.code] = r.line
		}
		names, values, ok := parseSpecText(r.get("spec"))
		specOK := false
		switch {
		case !ok:
			add(r.line, "spec", `spec: "name:value;name:value", e.g. 颜色:红;尺码:L`)
		case len(names) > MaxSpecs:
			add(r.line, "spec", fmt.Sprintf("spec: at most %d attributes", MaxSpecs))
		default:
			v := errs.Validator{}
			for i := range names {
				checkSpecWord(&v, "spec", names[i])
				checkSpecWord(&v, "spec", values[i])
			}
			switch {
			case v.Err() != nil:
				add(r.line, "spec", "spec: names and values are 1 to 32 characters without ':', ';' or '/'")
			case !g.namesSet:
				g.names, g.namesSet, specOK = names, true, true
			case strings.Join(names, ";") != strings.Join(g.names, ";"):
				add(r.line, "spec", fmt.Sprintf("spec names %q differ from the first row of product %s (%q)", strings.Join(names, ";"), code, strings.Join(g.names, ";")))
			default:
				specOK = true
			}
		}
		if specOK {
			m := map[string]string{}
			for i := range names {
				m[names[i]] = values[i]
			}
			s.spec = specText(attrsOf(names), m)
			for _, x := range g.skus {
				if x.spec == s.spec {
					add(r.line, "spec", fmt.Sprintf("spec %s is also on row %d of product %s", s.spec, x.line, code))
				}
			}
		}
		money := func(col string, required bool) *decimal.Decimal {
			v := r.get(col)
			if v == "" {
				if required {
					add(r.line, col, col+" is required")
				}
				return nil
			}
			d, err := decimal.NewFromString(strings.TrimPrefix(strings.TrimPrefix(v, "¥"), "￥"))
			if err != nil {
				add(r.line, col, fmt.Sprintf("%s: %q is not a number", col, v))
				return nil
			}
			vv := errs.Validator{}
			checkMoney(&vv, col, d)
			if e := vv.Err(); e != nil {
				add(r.line, col, col+": "+e.(*errs.Error).Fields[0].Message)
				return nil
			}
			return &d
		}
		if p := money("price", true); p != nil {
			s.price = *p
		}
		s.originalPrice = money("original_price", false)
		s.cost = money("cost", false)
		if v := r.get("stock"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 1_000_000_000 {
				add(r.line, "stock", fmt.Sprintf("stock: %q is not a whole number from 0 to 1000000000", v))
			} else {
				s.stock = &n
			}
		}
		if v := r.get("weight"); v != "" {
			d, err := decimal.NewFromString(v)
			vv := errs.Validator{}
			if err == nil {
				checkWeight(&vv, "weight", d)
			}
			if err != nil || vv.Err() != nil {
				add(r.line, "weight", fmt.Sprintf("weight: %q is not a weight in kg (at most 3 decimals)", v))
			} else {
				s.weight = &d
			}
		}
		if s.image != "" {
			vv := errs.Validator{}
			checkImageURL(&vv, "image_url", s.image, "")
			if vv.Err() != nil || strings.HasPrefix(s.image, "/") {
				add(r.line, "image_url", "image_url: an http(s) URL")
			} else if !contains(g.images, s.image) {
				g.images = append(g.images, s.image)
			}
		}
		if len(errsOut) > before {
			bad[g] = true
			continue
		}
		g.skus = append(g.skus, s)
	}
	var good []*importGroup
	for _, g := range order {
		switch {
		case bad[g]:
		case len(g.skus) > MaxSKUs:
			add(g.line, "sku_code", fmt.Sprintf("product %s has %d SKUs; at most %d", g.code, len(g.skus), MaxSKUs))
		case len(g.names) == 0 && len(g.skus) > 1:
			add(g.line, "spec", fmt.Sprintf("product %s has %d rows without spec; a product without specs has one SKU", g.code, len(g.skus)))
		default:
			g.specs = specsOf(g)
			good = append(good, g)
		}
	}
	return good, errsOut
}

func lenMsg(v string, n int) string {
	if runes(v) > n {
		return fmt.Sprintf("at most %d characters", n)
	}
	return ""
}

func splitPath(p string) []string {
	var out []string
	for _, part := range strings.Split(p, "/") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '|' || r == '，' })
}

func attrsOf(names []string) []SpecAttr {
	out := make([]SpecAttr, len(names))
	for i, n := range names {
		out[i].Name = n
	}
	return out
}

// specsOf collects a group's spec attributes and their values in order of
// appearance.
func specsOf(g *importGroup) []SpecAttr {
	attrs := attrsOf(g.names)
	for _, s := range g.skus {
		m := specMap(s.spec)
		for i := range attrs {
			if v := m[attrs[i].Name]; !contains(attrs[i].Values, v) {
				attrs[i].Values = append(attrs[i].Values, v)
			}
		}
	}
	return attrs
}

// mergeSpecs adds the values of add to cur (same names, in order).
func mergeSpecs(cur, add []SpecAttr) []SpecAttr {
	out := make([]SpecAttr, len(cur))
	for i := range cur {
		out[i] = SpecAttr{Name: cur[i].Name, Values: append([]string(nil), cur[i].Values...)}
		for _, v := range add[i].Values {
			if !contains(out[i].Values, v) {
				out[i].Values = append(out[i].Values, v)
			}
		}
	}
	return out
}
