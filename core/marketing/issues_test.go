package marketing_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/jobs"
	"github.com/banyanmall/banyan/core/marketing"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/tenancy"
)

func startIssue(t *testing.T, e *apptest.Env, shop apptest.Shop, tpl marketing.TemplateID, body map[string]any) marketing.IssueJob {
	t.Helper()
	var j marketing.IssueJob
	e.Must(202, owner(shop, "POST", "/api/v1/admin/coupons/"+string(tpl)+"/issues", body)).Decode(t, &j)
	if j.Status != marketing.IssueQueued {
		t.Fatalf("a new issue is %q", j.Status)
	}
	return j
}

// waitIssue polls the issue's progress until it is finished (up to 60 s:
// background work on a busy machine), checking that its counts add up on
// every read.
func waitIssue(t *testing.T, e *apptest.Env, shop apptest.Shop, id marketing.IssueID) marketing.IssueJob {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var j marketing.IssueJob
		e.Must(200, owner(shop, "GET", "/api/v1/admin/coupon-issues/"+string(id), nil)).Decode(t, &j)
		if j.Targeted != j.Issued+j.SkippedLimit+j.SkippedQuantity {
			t.Fatalf("progress does not add up: %+v", j)
		}
		if j.Status == marketing.IssueDone || j.Status == marketing.IssueFailed {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("issue not finished in 60 s: %+v", j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// bulkMembers adds n active members to shop in one statement, all in level
// (and tag, when set), and returns their ids.
func bulkMembers(t *testing.T, e *apptest.Env, shop apptest.Shop, n int, level members.LevelID, tag members.TagID) []string {
	t.Helper()
	var ids []string
	err := e.DB.Owner.Select(&ids, `INSERT INTO members (tenant_id, email, name, level_id)
SELECT $1, 'bulk' || i || '-' || gen_random_uuid() || '@example.com', 'Bulk ' || i, $2 FROM generate_series(1, $3) i RETURNING id`, shop.ID, level, n)
	if err != nil {
		t.Fatal(err)
	}
	if tag != "" {
		if _, err := e.DB.Owner.Exec(`INSERT INTO member_tag_links (tenant_id, member_id, tag_id) SELECT $1, m, $2 FROM unnest($3::uuid[]) m`,
			shop.ID, tag, ids); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// couponCounts says how many coupons of tpl exist and how many members hold
// more than one.
func couponCounts(t *testing.T, e *apptest.Env, tpl marketing.TemplateID) (coupons, doubled int) {
	t.Helper()
	if err := e.DB.Owner.Get(&coupons, `SELECT count(*) FROM coupons WHERE template_id = $1`, tpl); err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Owner.Get(&doubled, `SELECT count(*) FROM (SELECT member_id FROM coupons WHERE template_id = $1 GROUP BY member_id HAVING count(*) > 1) d`, tpl); err != nil {
		t.Fatal(err)
	}
	return coupons, doubled
}

func TestIssueInBackground(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("coupon-issue-job")
	var level members.Level
	e.Must(201, owner(shop, "POST", "/api/v1/admin/member-levels", map[string]any{"name": "普通", "rank": 0, "threshold_kind": "spend", "threshold": "0"})).Decode(t, &level)
	// 2,500 members: three batches of marketing.IssueBatch.
	ids := bulkMembers(t, e, shop, 2500, level.ID, "")
	ctx := tenancy.With(context.Background(), tenancy.Tenant{ID: tenancy.TenantID(shop.ID), Slug: shop.Slug})

	t.Run("a retried or duplicated job gives nobody a second coupon", func(t *testing.T) {
		// Five per member allowed: only the job's own bookkeeping keeps a
		// member at one coupon per issue.
		tpl := template(t, e, shop, map[string]any{"name": "全员礼", "kind": "fixed", "amount": "5", "valid_days": 7, "claimable": false, "per_member_limit": 5})
		j := startIssue(t, e, shop, tpl.ID, map[string]any{"level_id": level.ID})
		if j.Total != 2500 {
			t.Fatalf("total %d", j.Total)
		}
		// River works the job; two more copies of it run at the same time,
		// as a retry after a lost worker or a duplicate delivery would.
		w := &marketing.IssueWorker{Marketing: e.App.Marketing}
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				job := &river.Job[marketing.IssueArgs]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: 25},
					Args: marketing.IssueArgs{Tenant: jobs.Tenant{TenantID: tenancy.TenantID(shop.ID)}, IssueID: j.ID}}
				if err := w.Work(ctx, job); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		done := waitIssue(t, e, shop, j.ID)
		if done.Status != marketing.IssueDone || done.Targeted != 2500 || done.Issued != 2500 || done.Total != 2500 || done.FinishedAt == nil {
			t.Fatalf("finished issue: %+v", done)
		}
		if n, doubled := couponCounts(t, e, tpl.ID); n != 2500 || doubled != 0 {
			t.Fatalf("%d coupons, %d members with two or more", n, doubled)
		}
		var got marketing.Template
		e.Must(200, owner(shop, "GET", "/api/v1/admin/coupons/"+string(tpl.ID), nil)).Decode(t, &got)
		if got.IssuedCount != 2500 {
			t.Fatalf("issued_count %d", got.IssuedCount)
		}
	})

	t.Run("the quantity holds against concurrent claims and a second issue", func(t *testing.T) {
		tpl := template(t, e, shop, map[string]any{"name": "限量券", "kind": "fixed", "amount": "5", "valid_days": 7, "total_quantity": 1500})
		// 100 members already hold theirs (limit 1): skipped for the limit.
		pre := make([]string, 100)
		copy(pre, ids[:100])
		e.Must(200, owner(shop, "POST", "/api/v1/admin/coupons/"+string(tpl.ID)+"/issue", map[string]any{"member_ids": pre}))
		// Another 40 members are tagged; the tag is issued at the same time.
		var tag members.Tag
		e.Must(201, owner(shop, "POST", "/api/v1/admin/member-tags", map[string]any{"name": "VIP"})).Decode(t, &tag)
		bulkMembers(t, e, shop, 40, level.ID, tag.ID)
		byLevel := startIssue(t, e, shop, tpl.ID, map[string]any{"level_id": level.ID})
		byTag := startIssue(t, e, shop, tpl.ID, map[string]any{"tag_id": tag.ID})
		// Meanwhile 30 members of the level claim it themselves.
		var wg sync.WaitGroup
		var mu sync.Mutex
		claimed := 0
		for _, id := range ids[2000:2030] {
			tok := memberToken(t, e, shop, id)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if res := claim(e, shop, tok, tpl.ID); res.Status == 201 {
					mu.Lock()
					claimed++
					mu.Unlock()
				} else if res.Status != 409 {
					t.Errorf("claim: %s", res)
				}
			}()
		}
		wg.Wait()
		a, b := waitIssue(t, e, shop, byLevel.ID), waitIssue(t, e, shop, byTag.ID)
		if a.Status != marketing.IssueDone || b.Status != marketing.IssueDone || a.Targeted != 2540 || b.Targeted != 40 {
			t.Fatalf("issues: %+v, %+v", a, b)
		}
		n, doubled := couponCounts(t, e, tpl.ID)
		if n != 1500 || doubled != 0 || 100+a.Issued+b.Issued+claimed != 1500 {
			t.Fatalf("%d coupons (%d doubled): 100 before, %d by level, %d by tag, %d claimed", n, doubled, a.Issued, b.Issued, claimed)
		}
		if a.SkippedLimit < 100 || a.SkippedQuantity == 0 {
			t.Fatalf("by level: %+v", a)
		}
		var got marketing.Template
		e.Must(200, owner(shop, "GET", "/api/v1/admin/coupons/"+string(tpl.ID), nil)).Decode(t, &got)
		if got.IssuedCount != 1500 {
			t.Fatalf("issued_count %d", got.IssuedCount)
		}
	})

	t.Run("a template disabled meanwhile stops the issue", func(t *testing.T) {
		tpl := template(t, e, shop, map[string]any{"name": "停用", "kind": "fixed", "amount": "5", "valid_days": 7})
		j := startIssue(t, e, shop, tpl.ID, map[string]any{"level_id": level.ID})
		e.Must(204, owner(shop, "DELETE", "/api/v1/admin/coupons/"+string(tpl.ID), nil))
		done := waitIssue(t, e, shop, j.ID)
		// Disabled before or during the walk, it fails with the reason, and
		// the batches before stay issued; if the job was quicker, it is done.
		n, _ := couponCounts(t, e, tpl.ID)
		switch {
		case done.Status == marketing.IssueFailed && done.Error != "" && n == done.Issued && done.FinishedAt != nil:
		case done.Status == marketing.IssueDone && n == 2540:
		default:
			t.Fatalf("%+v, %d coupons", done, n)
		}
	})
}

// memberToken gives the member a session and returns its token.
func memberToken(t *testing.T, e *apptest.Env, shop apptest.Shop, id string) string {
	t.Helper()
	tok, hash := identity.NewToken(identity.MemberTokenPrefix)
	if _, err := e.DB.Owner.Exec(`INSERT INTO member_sessions (tenant_id, token_hash, member_id, expires_at) VALUES ($1, $2, $3, $4)`,
		shop.ID, hash, id, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return tok
}
