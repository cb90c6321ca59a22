package catalog

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/jobs"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
)

// ImportID identifies an import or export job.
type ImportID string

// Import job statuses.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// ImportJob is an import (or export) and its progress.
type ImportJob struct {
	ID         ImportID   `db:"id" json:"id"`
	Kind       string     `db:"kind" json:"kind"`
	Status     string     `db:"status" json:"status"`
	Format     string     `db:"format" json:"format"`
	FileName   string     `db:"file_name" json:"file_name"`
	Total      int        `db:"total" json:"total"`
	Done       int        `db:"done" json:"done"`
	Errors     []RowError `db:"-" json:"errors"`
	ErrorsJSON []byte     `db:"errors" json:"-"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	StartedAt  *time.Time `db:"started_at" json:"started_at"`
	FinishedAt *time.Time `db:"finished_at" json:"finished_at"`
}

const importCols = `id, kind, status, format, file_name, total, done, errors, created_at, started_at, finished_at`

func (j *ImportJob) decode() {
	j.Errors = []RowError{}
	_ = json.Unmarshal(j.ErrorsJSON, &j.Errors)
}

// ImportReport is the result of checking an import file (a dry run).
type ImportReport struct {
	Rows        int        `json:"rows"`
	Products    int        `json:"products"`
	SKUs        int        `json:"skus"`
	NewProducts int        `json:"new_products"`
	Valid       bool       `json:"valid"`
	Errors      []RowError `json:"errors"`
}

// maxReportedErrors bounds the errors a report or a job keeps.
const maxReportedErrors = 1000

// analysis is a parsed, checked file.
type analysis struct {
	rows   int
	groups []*importGroup
	errs   []RowError
}

// analyze parses and checks a file, without the database.
func analyze(format string, data []byte) (*analysis, error) {
	rows, _, rowErrs, err := readFile(format, data)
	if err != nil {
		return nil, err
	}
	groups, gErrs := groupRows(rows)
	return &analysis{rows: len(rows) + len(rowErrs), groups: groups, errs: append(rowErrs, gErrs...)}, nil
}

// existingProduct is what an import needs of a product already there.
type existingProduct struct {
	ID          ProductID      `db:"id"`
	Code        string         `db:"code"`
	CategoryID  *CategoryID    `db:"category_id"`
	Title       string         `db:"title"`
	Subtitle    string         `db:"subtitle"`
	Brand       string         `db:"brand"`
	Tags        pq.StringArray `db:"tags"`
	Images      pq.StringArray `db:"images"`
	Status      Status         `db:"status"`
	SpecsJSON   []byte         `db:"spec_attrs"`
	specs       []SpecAttr
	specsByCode map[string]string // spec of each existing SKU, by SKU code
}

type existingSKU struct {
	Code          string           `db:"code"`
	ProductCode   string           `db:"product_code"`
	Spec          string           `db:"spec"`
	OriginalPrice *decimal.Decimal `db:"original_price"`
	Cost          *decimal.Decimal `db:"cost"`
	Stock         int              `db:"stock"`
	Weight        *decimal.Decimal `db:"weight"`
	Image         string           `db:"image"`
}

type dbState struct {
	products map[string]*existingProduct // by product code
	skus     map[string]existingSKU      // by SKU code
	count    int                         // products of the tenant
	max      int                         // the plan's max_products
}

// loadState reads what the groups touch; lock takes the product rows for
// update (the import itself).
func (s *Service) loadState(ctx context.Context, tx *db.Tx, groups []*importGroup, lock bool) (*dbState, error) {
	codes := make([]string, len(groups))
	var skuCodes []string
	for i, g := range groups {
		codes[i] = g.code
		for _, k := range g.skus {
			skuCodes = append(skuCodes, k.code)
		}
	}
	st := &dbState{products: map[string]*existingProduct{}, skus: map[string]existingSKU{}}
	if lock {
		if err := lockQuota(ctx, tx); err != nil {
			return nil, err
		}
	}
	plan, err := s.Tenants.CurrentPlan(ctx, tx)
	if err != nil {
		return nil, err
	}
	st.max = plan.MaxProducts
	if err := tx.GetContext(ctx, &st.count, `SELECT count(*) FROM products WHERE tenant_id = $1`, tid(ctx)); err != nil {
		return nil, err
	}
	q := `SELECT id, code, category_id, title, subtitle, brand, tags, images, status, spec_attrs FROM products WHERE tenant_id = $1 AND code = ANY($2) ORDER BY id`
	if lock {
		q += ` FOR UPDATE`
	}
	var ps []*existingProduct
	if err := tx.SelectContext(ctx, &ps, q, tid(ctx), pq.Array(codes)); err != nil {
		return nil, fmt.Errorf("import state: %w", err)
	}
	ids := make([]ProductID, len(ps))
	for i, p := range ps {
		_ = json.Unmarshal(p.SpecsJSON, &p.specs)
		p.specsByCode = map[string]string{}
		st.products[p.Code] = p
		ids[i] = p.ID
	}
	var skus []struct {
		existingSKU
		ProductID ProductID `db:"product_id"`
	}
	err = tx.SelectContext(ctx, &skus, `
SELECT s.code, p.code AS product_code, s.product_id, s.spec, s.original_price, s.cost, s.stock, s.weight, s.image
FROM skus s JOIN products p ON p.tenant_id = s.tenant_id AND p.id = s.product_id
WHERE s.tenant_id = $1 AND (s.code = ANY($2) OR s.product_id = ANY($3::uuid[]))`, tid(ctx), pq.Array(skuCodes), pqIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("import state: %w", err)
	}
	for _, k := range skus {
		st.skus[k.Code] = k.existingSKU
		if p := st.products[k.ProductCode]; p != nil {
			p.specsByCode[k.Code] = k.Spec
		}
	}
	return st, nil
}

// check finds what the database refuses: SKU codes of other products, specs
// that do not fit an existing product, titles missing for new products, and
// the plan's product quota. It returns the groups that pass.
func (st *dbState) check(groups []*importGroup) ([]*importGroup, []RowError) {
	var out []*importGroup
	var bad []RowError
	newCount := 0
	for _, g := range groups {
		var ge []RowError
		p := st.products[g.code]
		if p == nil && g.title == "" {
			ge = append(ge, RowError{Row: g.line, Column: "title", Message: fmt.Sprintf("title is required for the new product %s", g.code)})
		}
		if p != nil && len(p.specsByCode) > 0 && strings.Join(specNames(p.specs), ";") != strings.Join(g.names, ";") {
			ge = append(ge, RowError{Row: g.line, Column: "spec", Message: fmt.Sprintf("product %s has the spec attributes %q; the file gives %q",
				g.code, strings.Join(specNames(p.specs), ";"), strings.Join(g.names, ";"))})
		}
		for _, k := range g.skus {
			if e, ok := st.skus[k.code]; ok && e.ProductCode != g.code {
				ge = append(ge, RowError{Row: k.line, Column: "sku_code", Message: fmt.Sprintf("SKU code %s is used by product %s", k.code, e.ProductCode)})
			}
			if p != nil {
				for code, spec := range p.specsByCode {
					if spec == k.spec && code != k.code && !groupHasSKU(g, code) {
						ge = append(ge, RowError{Row: k.line, Column: "spec", Message: fmt.Sprintf("SKU %s of product %s already has the spec %s", code, g.code, k.spec)})
					}
				}
			}
		}
		if len(ge) == 0 && p == nil {
			if st.count+newCount+1 > st.max {
				ge = append(ge, RowError{Row: g.line, Column: "product_code",
					Message: fmt.Sprintf("product %s would exceed your plan's %d products", g.code, st.max)})
			} else {
				newCount++
			}
		}
		if len(ge) > 0 {
			bad = append(bad, ge...)
			continue
		}
		out = append(out, g)
	}
	return out, bad
}

func groupHasSKU(g *importGroup, code string) bool {
	for _, k := range g.skus {
		if k.code == code {
			return true
		}
	}
	return false
}

func specNames(a []SpecAttr) []string {
	out := make([]string, len(a))
	for i := range a {
		out[i] = a[i].Name
	}
	return out
}

// CheckImport is the dry run: it reads and checks the whole file, database
// included, and reports every bad row. It changes nothing.
func (s *Service) CheckImport(ctx context.Context, format string, data []byte) (ImportReport, error) {
	a, err := analyze(format, data)
	if err != nil {
		return ImportReport{}, err
	}
	rep := ImportReport{Rows: a.rows, Errors: a.errs}
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		st, err := s.loadState(ctx, tx, a.groups, false)
		if err != nil {
			return err
		}
		good, bad := st.check(a.groups)
		rep.Errors = append(rep.Errors, bad...)
		for _, g := range good {
			rep.Products++
			rep.SKUs += len(g.skus)
			if st.products[g.code] == nil {
				rep.NewProducts++
			}
		}
		return nil
	})
	if err != nil {
		return ImportReport{}, err
	}
	sort.SliceStable(rep.Errors, func(i, j int) bool { return rep.Errors[i].Row < rep.Errors[j].Row })
	if len(rep.Errors) > maxReportedErrors {
		rep.Errors = rep.Errors[:maxReportedErrors]
	}
	rep.Valid = len(rep.Errors) == 0
	if rep.Errors == nil {
		rep.Errors = []RowError{}
	}
	return rep, nil
}

// ReportError is the problem for an import refused because of bad rows:
// one field error per row error, named rows[N].column.
func ReportError(rep ImportReport) error { return RowsError(rep.Errors) }

// RowsError is the problem for a file refused because of bad rows (any
// import that is all or nothing): one field error per row error, named
// rows[N].column.
func RowsError(rows []RowError) error {
	e := &errs.Error{Code: errs.Invalid, Message: fmt.Sprintf("the file has %d bad rows; nothing was imported (check it with dry_run=true)", len(rows))}
	for _, r := range rows {
		f := fmt.Sprintf("rows[%d]", r.Row)
		if r.Column != "" {
			f += "." + r.Column
		}
		e.Fields = append(e.Fields, errs.FieldError{Field: f, Code: "invalid_row", Message: r.Message})
	}
	return e
}

// StartImport checks the file like a dry run and, when every row is good,
// stores it and queues the import job, in one transaction with the job's
// record. A file with bad rows is refused whole (ReportError).
func (s *Service) StartImport(ctx context.Context, fileName, format string, data []byte) (ImportJob, error) {
	rep, err := s.CheckImport(ctx, format, data)
	if err != nil {
		return ImportJob{}, err
	}
	if !rep.Valid {
		return ImportJob{}, ReportError(rep)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	stored := hex.EncodeToString(b) + "." + format
	tenant := tid(ctx)
	if err := s.ImportFiles.Save(ctx, tenant, stored, bytes.NewReader(data)); err != nil {
		return ImportJob{}, err
	}
	by := ""
	if a, ok := identity.ActorFrom(ctx); ok {
		by = string(a.UserID)
	}
	var out ImportJob
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		err := tx.GetContext(ctx, &out, `INSERT INTO catalog_imports (tenant_id, kind, format, file_name, file_path, total, created_by)
VALUES ($1, 'import', $2, $3, $4, $5, $6) RETURNING `+importCols, tenant, format, trimName(fileName), stored, rep.Rows, by)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		_, err = jobs.Enqueue(ctx, tx, ImportArgs{Tenant: jobs.Tenant{TenantID: tenant}, ImportID: out.ID}, nil)
		return err
	})
	if err != nil {
		_ = s.ImportFiles.Remove(ctx, tenant, stored)
		return ImportJob{}, err
	}
	out.decode()
	return out, nil
}

func trimName(n string) string {
	n = n[strings.LastIndexAny(n, `/\`)+1:]
	if runes(n) > 200 {
		n = string([]rune(n)[:200])
	}
	return n
}

// ImportJobByID returns an import or export with its progress.
func (s *Service) ImportJobByID(ctx context.Context, id ImportID) (ImportJob, error) {
	if !tenancy.ValidUUID(string(id)) {
		return ImportJob{}, notFound("import")
	}
	var out ImportJob
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.GetContext(ctx, &out, `SELECT `+importCols+` FROM catalog_imports WHERE tenant_id = $1 AND id = $2`, tid(ctx), id)
	})
	if err != nil {
		return ImportJob{}, db.NotFound(err, "import")
	}
	out.decode()
	return out, nil
}

type jobCursor struct {
	T  time.Time `json:"t"`
	ID string    `json:"i"`
}

// ListJobs lists recent imports and exports, newest first.
func (s *Service) ListJobs(ctx context.Context, p page.Request) ([]ImportJob, string, error) {
	p = p.Normalize()
	var cur jobCursor
	if err := page.Decode(p.Cursor, &cur); err != nil {
		return nil, "", err
	}
	if p.Cursor != "" && !tenancy.ValidUUID(cur.ID) {
		return nil, "", errs.Field("cursor", "invalid", "the cursor is not one this API returned")
	}
	var rows []ImportJob
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if p.Cursor == "" {
			return tx.SelectContext(ctx, &rows, `SELECT `+importCols+` FROM catalog_imports WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, tid(ctx), p.Limit+1)
		}
		return tx.SelectContext(ctx, &rows, `SELECT `+importCols+` FROM catalog_imports WHERE tenant_id = $1 AND (created_at, id) < ($2, $3::uuid)
ORDER BY created_at DESC, id DESC LIMIT $4`, tid(ctx), cur.T, cur.ID, p.Limit+1)
	})
	if err != nil {
		return nil, "", fmt.Errorf("list jobs: %w", err)
	}
	next := ""
	if len(rows) > p.Limit {
		rows = rows[:p.Limit]
		last := rows[len(rows)-1]
		next = page.Encode(jobCursor{T: last.CreatedAt, ID: string(last.ID)})
	}
	for i := range rows {
		rows[i].decode()
	}
	return rows, next, nil
}

// ---------------------------------------------------------------- the job

// ImportArgs runs an import.
type ImportArgs struct {
	jobs.Tenant
	ImportID ImportID `json:"import_id"`
}

// Kind names the job.
func (ImportArgs) Kind() string { return "catalog_import" }

// ImportWorker works imports.
type ImportWorker struct {
	river.WorkerDefaults[ImportArgs]
	Catalog *Service
}

// Work runs the import. A retried or repeated job starts over: every write
// is an upsert by code, so the result is the same.
func (w *ImportWorker) Work(ctx context.Context, job *river.Job[ImportArgs]) error {
	ctx = jobs.WithTenant(ctx, job.Args.TenantID)
	return w.Catalog.runImport(ctx, job.Args.ImportID)
}

// Register adds the catalogue's workers to the job runner.
func Register(r *jobs.Runner, s *Service) {
	jobs.Register(r, &ImportWorker{Catalog: s})
	jobs.Register(r, &SalesCountWorker{DB: s.DB})
}

// chunkRows is about how many rows one transaction writes.
const chunkRows = 500

func (s *Service) runImport(ctx context.Context, id ImportID) error {
	if !tid(ctx).Valid() {
		return river.JobCancel(errors.New("import job without a tenant"))
	}
	var job struct {
		Status string `db:"status"`
		Format string `db:"format"`
		Path   string `db:"file_path"`
	}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		err := tx.GetContext(ctx, &job, `SELECT status, format, file_path FROM catalog_imports WHERE tenant_id = $1 AND id = $2 AND kind = 'import' FOR UPDATE`, tid(ctx), id)
		if err != nil {
			return db.NotFound(err, "import")
		}
		if job.Status == JobDone || job.Status == JobFailed {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE catalog_imports SET status = 'running', started_at = now(), done = 0, errors = '[]' WHERE tenant_id = $1 AND id = $2`, tid(ctx), id)
		return err
	})
	if errs.Is(err, errs.NotFound) {
		return river.JobCancel(err)
	}
	if err != nil || job.Status == JobDone || job.Status == JobFailed {
		return err
	}
	data, err := s.readImportFile(ctx, job.Path)
	if err != nil {
		return s.finishImport(ctx, id, job.Path, JobFailed, 0, []RowError{{Message: "the uploaded file is gone: " + err.Error()}})
	}
	a, err := analyze(job.Format, data)
	if err != nil {
		return s.finishImport(ctx, id, job.Path, JobFailed, 0, []RowError{{Message: err.Error()}})
	}
	// Rows of products left out for bad rows count as done: they were read.
	p := &progress{s: s, id: id, done: a.rows, errs: a.errs}
	for _, g := range a.groups {
		p.done -= g.rows
	}
	cats, err := s.ensureCategories(ctx, a.groups)
	if err != nil {
		return err
	}
	var chunk []*importGroup
	rows := 0
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := p.apply(ctx, chunk, cats)
		chunk, rows = nil, 0
		return err
	}
	for _, g := range a.groups {
		chunk = append(chunk, g)
		rows += g.rows
		if rows >= chunkRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return s.finishImport(ctx, id, job.Path, JobDone, a.rows, p.errs)
}

func (s *Service) readImportFile(ctx context.Context, name string) ([]byte, error) {
	f, err := s.ImportFiles.Open(ctx, tid(ctx), name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func (s *Service) finishImport(ctx context.Context, id ImportID, path, status string, done int, rowErrs []RowError) error {
	sort.SliceStable(rowErrs, func(i, j int) bool { return rowErrs[i].Row < rowErrs[j].Row })
	if len(rowErrs) > maxReportedErrors {
		rowErrs = rowErrs[:maxReportedErrors]
	}
	if rowErrs == nil {
		rowErrs = []RowError{}
	}
	b, _ := json.Marshal(rowErrs)
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE catalog_imports SET status = $3, done = GREATEST(done, $4), errors = $5, finished_at = now()
WHERE tenant_id = $1 AND id = $2`, tid(ctx), id, status, done, string(b))
		return err
	})
	if err == nil {
		_ = s.ImportFiles.Remove(ctx, tid(ctx), path)
	}
	return err
}

// ensureCategories creates the category paths of the file (idempotent) and
// maps each path to its id.
func (s *Service) ensureCategories(ctx context.Context, groups []*importGroup) (map[string]CategoryID, error) {
	out := map[string]CategoryID{}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		for _, g := range groups {
			if g.category == nil {
				continue
			}
			key := strings.Join(g.category, "/")
			if _, ok := out[key]; ok {
				continue
			}
			id, err := ensureCategoryPath(ctx, tx, g.category)
			if err != nil {
				return err
			}
			out[key] = id
		}
		return nil
	})
	return out, err
}

// progress writes a chunk of groups and the job's progress with it.
type progress struct {
	s    *Service
	id   ImportID
	done int
	errs []RowError
}

// apply writes a chunk in one transaction. When the database refuses
// something, the chunk is rolled back and its groups are written one by one,
// so that only the refused products are left out (each recorded).
func (p *progress) apply(ctx context.Context, chunk []*importGroup, cats map[string]CategoryID) error {
	rows := 0
	for _, g := range chunk {
		rows += g.rows
	}
	var refused []RowError
	err := p.s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		refused, err = p.s.writeGroups(ctx, tx, chunk, cats)
		if err != nil {
			return err
		}
		return p.save(ctx, tx, p.done+rows, append(append([]RowError{}, p.errs...), refused...))
	})
	if err == nil {
		p.commit(rows, refused)
		return nil
	}
	if ctx.Err() != nil || len(chunk) == 1 {
		if err != nil && len(chunk) == 1 && ctx.Err() == nil {
			return p.refuse(ctx, chunk[0], err)
		}
		return err
	}
	for _, g := range chunk {
		if err := p.apply(ctx, []*importGroup{g}, cats); err != nil {
			return err
		}
	}
	return nil
}

// refuse records a group the database refused, and moves on.
func (p *progress) refuse(ctx context.Context, g *importGroup, cause error) error {
	msg := "the database refused product " + g.code
	var e *errs.Error
	if errors.As(cause, &e) {
		msg = fmt.Sprintf("product %s: %s", g.code, e.Message)
	} else if code, name, ok := db.Constraint(cause); ok {
		msg = fmt.Sprintf("product %s: refused by %s (%s)", g.code, name, code)
	} else {
		return cause // not the data's fault: retry the job
	}
	refused := []RowError{{Row: g.line, Column: "product_code", Message: msg}}
	err := p.s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return p.save(ctx, tx, p.done+g.rows, append(append([]RowError{}, p.errs...), refused...))
	})
	if err == nil {
		p.commit(g.rows, refused)
	}
	return err
}

func (p *progress) save(ctx context.Context, tx *db.Tx, done int, all []RowError) error {
	if len(all) > maxReportedErrors {
		all = all[:maxReportedErrors]
	}
	b, _ := json.Marshal(all)
	_, err := tx.ExecContext(ctx, `UPDATE catalog_imports SET done = $3, errors = $4 WHERE tenant_id = $1 AND id = $2`, tid(ctx), p.id, done, string(b))
	if err != nil {
		return fmt.Errorf("import progress: %w", err)
	}
	return nil
}

// commit counts a chunk once its transaction committed.
func (p *progress) commit(rows int, rowErrs []RowError) {
	p.done += rows
	p.errs = append(p.errs, rowErrs...)
}
