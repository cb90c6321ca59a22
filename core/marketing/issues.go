package marketing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/jobs"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/tenancy"
)

// IssueID identifies a background issue of a coupon to a level or a tag.
type IssueID string

// Statuses of a background issue.
const (
	IssueQueued  = "queued"
	IssueRunning = "running"
	IssueDone    = "done"
	IssueFailed  = "failed"
)

// IssueJob is a background issue of a template to the active members of a
// level or a tag, and its progress: Total is the audience's size when it
// was asked for (the number walked once done); the counts grow batch by
// batch, and targeted = issued + skipped_limit + skipped_quantity.
type IssueJob struct {
	ID         IssueID    `db:"id" json:"id"`
	TemplateID TemplateID `db:"template_id" json:"template_id"`
	LevelID    *string    `db:"level_id" json:"level_id"`
	TagID      *string    `db:"tag_id" json:"tag_id"`
	Status     string     `db:"status" json:"status"`
	Total      int        `db:"total" json:"total"`
	IssueResult
	// Error says why a failed issue stopped (the template was disabled or
	// ended meanwhile, or the job gave up); batches before it stay issued.
	Error      string     `db:"error" json:"error"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt  time.Time  `db:"updated_at" json:"updated_at"`
	FinishedAt *time.Time `db:"finished_at" json:"finished_at"`
}

const issueCols = `id, template_id, level_id, tag_id, status, total, targeted, issued, skipped_limit, skipped_quantity, error,
created_at, updated_at, finished_at`

// StartIssue queues the issue of a template to the active members of a
// level or a tag (in ≥ one transaction per IssueBatch members, by a River
// job) and returns it; GetIssue reports its progress. The template must be
// active and not ended, the level or tag must exist.
func (s *Service) StartIssue(ctx context.Context, id TemplateID, in IssueInput) (IssueJob, error) {
	var out IssueJob
	if !tenancy.ValidUUID(string(id)) {
		return out, notFound("coupon")
	}
	aud, err := in.audience()
	if err != nil {
		return out, err
	}
	if len(aud.IDs) > 0 {
		return out, errs.Field("level_id", "required", "a list of members is issued at once (Issue)")
	}
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		if _, err := lockForGrant(ctx, tx, id); err != nil {
			return err
		}
		ok, field := false, "level_id"
		var err error
		if aud.LevelID != "" {
			ok, err = s.Members.LevelExists(ctx, tx, aud.LevelID)
		} else {
			ok, err = s.Members.TagExists(ctx, tx, aud.TagID)
			field = "tag_id"
		}
		if err != nil {
			return err
		}
		if !ok {
			return errs.Field(field, "not_found", "no such "+field[:len(field)-3])
		}
		total, err := s.Members.CountActive(ctx, tx, aud)
		if err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &out, `
INSERT INTO coupon_issues (tenant_id, template_id, level_id, tag_id, total) VALUES ($1, $2, $3, $4, $5)
RETURNING `+issueCols, tid, id, nullStr(string(aud.LevelID)), nullStr(string(aud.TagID)), total); err != nil {
			return fmt.Errorf("start issue: %w", err)
		}
		if _, err := jobs.Enqueue(ctx, tx, IssueArgs{Tenant: jobs.Tenant{TenantID: tid}, IssueID: out.ID}, nil); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tid, "coupon.issue_start", "coupon_template", string(id), map[string]any{
			"issue_id": out.ID, "level_id": out.LevelID, "tag_id": out.TagID, "total": total})
	})
	return out, err
}

// GetIssue returns a background issue and its progress.
func (s *Service) GetIssue(ctx context.Context, id IssueID) (IssueJob, error) {
	var out IssueJob
	if !tenancy.ValidUUID(string(id)) {
		return out, notFound("coupon issue")
	}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		err := tx.GetContext(ctx, &out, `SELECT `+issueCols+` FROM coupon_issues WHERE tenant_id = $1 AND id = $2`, tenancy.ID(ctx), id)
		return db.NotFound(err, "coupon issue")
	})
	return out, err
}

// IssuesOf returns the latest 20 background issues of a template, newest
// first.
func (s *Service) IssuesOf(ctx context.Context, id TemplateID) ([]IssueJob, error) {
	out := []IssueJob{}
	if !tenancy.ValidUUID(string(id)) {
		return nil, notFound("coupon")
	}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var ok bool
		if err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM coupon_templates WHERE tenant_id = $1 AND id = $2)`, tenancy.ID(ctx), id); err != nil {
			return err
		}
		if !ok {
			return notFound("coupon")
		}
		return tx.SelectContext(ctx, &out, `SELECT `+issueCols+` FROM coupon_issues WHERE tenant_id = $1 AND template_id = $2
ORDER BY created_at DESC, id DESC LIMIT 20`, tenancy.ID(ctx), id)
	})
	return out, err
}

// ---------------------------------------------------------------- the job

// IssueArgs runs a background issue.
type IssueArgs struct {
	jobs.Tenant
	IssueID IssueID `json:"issue_id"`
}

// Kind names the job.
func (IssueArgs) Kind() string { return "marketing_coupon_issue" }

// IssueWorker works background issues.
type IssueWorker struct {
	river.WorkerDefaults[IssueArgs]
	Marketing *Service
}

// Work carries the issue on from its last committed batch; when the last
// attempt fails, the issue is marked failed.
func (w *IssueWorker) Work(ctx context.Context, job *river.Job[IssueArgs]) error {
	ctx = jobs.WithTenant(ctx, job.Args.TenantID)
	err := w.Marketing.runIssue(ctx, job.Args.IssueID)
	if err != nil && job.Attempt >= job.MaxAttempts {
		_ = w.Marketing.DB.InTenant(ctx, func(tx *db.Tx) error {
			return finishIssue(ctx, tx, job.Args.IssueID, IssueFailed, "gave up: "+err.Error())
		})
	}
	return err
}

// Register adds the marketing workers to the job runner.
func Register(r *jobs.Runner, s *Service) {
	jobs.Register(r, &IssueWorker{Marketing: s})
}

// runIssue works an issue batch by batch, each batch one transaction that
// locks the issue row, reads the next IssueBatch active members of the
// audience after the last one done, issues to them (locking the template,
// as claims do) and moves the issue's cursor and counts. A retried job, or
// a second copy running at the same time, waits for the lock and carries
// on after the last committed batch: no member is visited twice (and the
// unique (issue_id, member_id) index would refuse a second coupon anyway).
func (s *Service) runIssue(ctx context.Context, id IssueID) error {
	if !tenancy.ID(ctx).Valid() || !tenancy.ValidUUID(string(id)) {
		return river.JobCancel(errors.New("coupon issue job without a tenant or an issue id"))
	}
	for {
		finished := false
		err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
			var j struct {
				IssueJob
				After *identity.MemberID `db:"after_member"`
			}
			err := tx.GetContext(ctx, &j, `SELECT `+issueCols+`, after_member FROM coupon_issues WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenancy.ID(ctx), id)
			if err != nil {
				return db.NotFound(err, "coupon issue")
			}
			if j.Status == IssueDone || j.Status == IssueFailed {
				finished = true
				return nil
			}
			t, err := lockForGrant(ctx, tx, j.TemplateID)
			if errs.Is(err, errs.InvalidState) {
				finished = true
				return finishIssue(ctx, tx, id, IssueFailed, err.Error())
			}
			if err != nil {
				return err
			}
			aud := members.Audience{}
			if j.LevelID != nil {
				aud.LevelID = members.LevelID(*j.LevelID)
			}
			if j.TagID != nil {
				aud.TagID = members.TagID(*j.TagID)
			}
			after := identity.MemberID("")
			if j.After != nil {
				after = *j.After
			}
			ids, err := s.Members.ActiveIDsIn(ctx, tx, aud, after, IssueBatch)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				finished = true
				return finishIssue(ctx, tx, id, IssueDone, "")
			}
			part, err := issueTo(ctx, tx, t, ids, &id)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `
UPDATE coupon_issues SET status = 'running', after_member = $3, targeted = targeted + $4, issued = issued + $5,
  skipped_limit = skipped_limit + $6, skipped_quantity = skipped_quantity + $7, updated_at = now()
WHERE tenant_id = $1 AND id = $2`, tenancy.ID(ctx), id, ids[len(ids)-1], part.Targeted, part.Issued, part.SkippedLimit, part.SkippedQuantity)
			return err
		})
		if errs.Is(err, errs.NotFound) {
			return river.JobCancel(err)
		}
		if err != nil || finished {
			return err
		}
	}
}

// finishIssue ends an issue that is not finished yet, with status and why,
// and records the outcome in the audit log.
func finishIssue(ctx context.Context, tx *db.Tx, id IssueID, status, why string) error {
	var j IssueJob
	err := tx.GetContext(ctx, &j, `
UPDATE coupon_issues SET status = $3, error = $4, finished_at = now(), updated_at = now(),
  total = CASE WHEN $3 = 'done' THEN targeted ELSE total END
WHERE tenant_id = $1 AND id = $2 AND status IN ('queued', 'running') RETURNING `+issueCols, tenancy.ID(ctx), id, status, why)
	if err != nil {
		return db.NotFound(err, "coupon issue")
	}
	return audit.Record(ctx, tx, tenancy.ID(ctx), "coupon.issue_"+status, "coupon_template", string(j.TemplateID), j)
}
