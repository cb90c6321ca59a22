package api_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/banyanmall/banyan/core/apptest"
)

func TestSignupBadInputChangesNothing(t *testing.T) {
	e := apptest.New(t)
	e.Signup("taken-shop")
	good := map[string]any{"shop_name": "Good", "slug": "good-shop", "email": "good@example.com", "password": apptest.Password}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"malformed json", `{"shop_name": "x",`, 400, "malformed_json", ""},
		{"empty body", ``, 400, "malformed_json", ""},
		{"two values", `{} {}`, 400, "malformed_json", ""},
		{"wrong type", with("slug", 42), 422, "validation_failed", "slug"},
		{"unknown field", with("tenant_id", "x"), 400, "unknown_field", "tenant_id"},
		{"missing slug", with("slug", nil), 422, "validation_failed", "slug"},
		{"missing name", with("shop_name", nil), 422, "validation_failed", "shop_name"},
		{"bad slug", with("slug", "Bad_Slug"), 422, "validation_failed", "slug"},
		{"short slug", with("slug", "ab"), 422, "validation_failed", "slug"},
		{"reserved slug", with("slug", "admin"), 422, "validation_failed", "slug"},
		{"duplicate slug", with("slug", "taken-shop"), 422, "validation_failed", "slug"},
		{"bad email", with("email", "not-an-email"), 422, "validation_failed", "email"},
		{"weak password", with("password", "short"), 422, "validation_failed", "password"},
		{"common password", with("password", "password123"), 422, "validation_failed", "password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := e.Do(apptest.Req{Method: "POST", Path: "/api/v1/signup", Body: c.body})
			if res.Status != c.status {
				t.Fatalf("want %d, got %s", c.status, res)
			}
			p := res.Problem(t)
			if string(p.Code) != c.code {
				t.Fatalf("want code %s, got %+v", c.code, p)
			}
			if c.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.field) {
				t.Fatalf("want field %s named, got %+v", c.field, p.Errors)
			}
		})
	}
	res := e.Do(apptest.Req{Method: "POST", Path: "/api/v1/signup", Body: `{"a":1}`, Header: map[string]string{"Content-Type": "text/plain"}})
	if res.Status != 415 {
		t.Fatalf("text/plain body: want 415, got %s", res)
	}
	var tenants, users int
	_ = e.DB.Owner.Get(&tenants, `SELECT count(*) FROM tenants`)
	_ = e.DB.Owner.Get(&users, `SELECT count(*) FROM staff_users`)
	if tenants != 1 || users != 1 {
		t.Fatalf("bad signups wrote rows: %d tenants, %d users", tenants, users)
	}
	big := strings.Repeat("x", 2<<20)
	res = e.Do(apptest.Req{Method: "POST", Path: "/api/v1/signup", Body: with("shop_name", big)})
	if res.Status != 413 {
		t.Fatalf("oversize body: want 413, got %d", res.Status)
	}
}

func TestSignupLoginMeLogout(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("my-shop")
	res := e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/auth/me", Token: shop.OwnerToken})
	var me struct {
		User    struct{ Email string }
		Tenants []struct {
			Slug, Role  string
			Permissions []string
		}
	}
	res.Decode(t, &me)
	if me.User.Email != shop.OwnerEmail || len(me.Tenants) != 1 || me.Tenants[0].Role != "owner" || len(me.Tenants[0].Permissions) < 10 {
		t.Fatalf("me: %+v", me)
	}
	// The same user signs up a second shop with their password.
	res = e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/signup", Body: map[string]string{
		"shop_name": "Second", "slug": "second-shop", "email": shop.OwnerEmail, "password": apptest.Password}})
	res = e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/auth/me", Token: shop.OwnerToken})
	res.Decode(t, &me)
	if len(me.Tenants) != 2 {
		t.Fatalf("want 2 tenants, got %+v", me.Tenants)
	}
	// …but not with a wrong password.
	res = e.Must(422, apptest.Req{Method: "POST", Path: "/api/v1/signup", Body: map[string]string{
		"shop_name": "Third", "slug": "third-shop", "email": shop.OwnerEmail, "password": "wrong-password-123"}})
	if p := res.Problem(t); p.Errors[0].Field != "email" {
		t.Fatalf("%+v", p)
	}

	token := e.Login(shop.OwnerEmail)
	e.Must(204, apptest.Req{Method: "POST", Path: "/api/v1/auth/logout", Token: token})
	res = e.Must(401, apptest.Req{Method: "GET", Path: "/api/v1/auth/me", Token: token})
	if p := res.Problem(t); p.Code != "unauthenticated" {
		t.Fatalf("%+v", p)
	}
	e.Must(401, apptest.Req{Method: "GET", Path: "/api/v1/auth/me"})
	e.Must(401, apptest.Req{Method: "GET", Path: "/api/v1/auth/me", Token: "bst_forged"})

	// An expired token is refused with its own code.
	if _, err := e.DB.Owner.Exec(`UPDATE staff_sessions SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	res = e.Must(401, apptest.Req{Method: "GET", Path: "/api/v1/auth/me", Token: shop.OwnerToken})
	if p := res.Problem(t); p.Code != "token_expired" {
		t.Fatalf("%+v", p)
	}
}

func TestPasswordChangeRevokesSessions(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("pw-shop")
	other := e.Login(shop.OwnerEmail)
	res := e.Must(422, apptest.Req{Method: "POST", Path: "/api/v1/auth/password", Token: shop.OwnerToken,
		Body: map[string]string{"current_password": "wrong-one-123", "new_password": "another-good-pass"}})
	if p := res.Problem(t); p.Errors[0].Field != "current_password" {
		t.Fatalf("%+v", p)
	}
	res = e.Must(422, apptest.Req{Method: "POST", Path: "/api/v1/auth/password", Token: shop.OwnerToken,
		Body: map[string]string{"current_password": apptest.Password, "new_password": "short"}})
	if p := res.Problem(t); p.Errors[0].Field != "new_password" {
		t.Fatalf("%+v", p)
	}
	res = e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/auth/password", Token: shop.OwnerToken,
		Body: map[string]string{"current_password": apptest.Password, "new_password": "another-good-pass"}})
	var sess struct{ Token string }
	res.Decode(t, &sess)
	e.Must(401, apptest.Req{Method: "GET", Path: "/api/v1/auth/me", Token: shop.OwnerToken})
	e.Must(401, apptest.Req{Method: "GET", Path: "/api/v1/auth/me", Token: other})
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/auth/me", Token: sess.Token})
	e.Must(401, apptest.Req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"email": shop.OwnerEmail, "password": apptest.Password}})
	e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"email": shop.OwnerEmail, "password": "another-good-pass"}})
}

func TestLoginLockout(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("lock-shop")
	for i := 0; i < 5; i++ {
		res := e.Must(401, apptest.Req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"email": shop.OwnerEmail, "password": "wrong-password-x"}})
		if p := res.Problem(t); p.Code != "unauthenticated" || p.Detail != "wrong email or password" {
			t.Fatalf("%+v", p)
		}
	}
	// Locked now, even with the right password.
	res := e.Must(429, apptest.Req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"email": shop.OwnerEmail, "password": apptest.Password}})
	if p := res.Problem(t); p.Code != "locked_out" || res.Header.Get("Retry-After") == "" {
		t.Fatalf("%+v %v", p, res.Header)
	}
	// An unknown account fails the same way as a wrong password.
	res = e.Must(401, apptest.Req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"email": "nobody@example.com", "password": "whatever-123"}})
	if p := res.Problem(t); p.Detail != "wrong email or password" {
		t.Fatalf("%+v", p)
	}
}

func TestStaffRolesAndLimits(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("role-shop")
	supportTok, supportID := e.AddStaff(shop, "support")
	financeTok, _ := e.AddStaff(shop, "finance")

	// Support may not see staff or change settings; finance may read staff but not invite.
	e.Must(403, apptest.Req{Method: "GET", Path: "/api/v1/admin/staff", Token: supportTok, Tenant: shop.Slug})
	e.Must(403, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/settings", Token: supportTok, Tenant: shop.Slug, Body: map[string]string{"name": "X"}})
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/settings", Token: supportTok, Tenant: shop.Slug})
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/staff", Token: financeTok, Tenant: shop.Slug})
	e.Must(403, apptest.Req{Method: "POST", Path: "/api/v1/admin/staff", Token: financeTok, Tenant: shop.Slug, Body: map[string]string{"email": "x@example.com", "role": "admin"}})

	// The owner promotes support to admin: the new role applies at once.
	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/staff/" + supportID, Token: shop.OwnerToken, Tenant: shop.Slug, Body: map[string]string{"role": "admin"}})
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/staff", Token: supportTok, Tenant: shop.Slug})
	// An admin cannot make an owner.
	res := e.Must(403, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/staff/" + supportID, Token: supportTok, Tenant: shop.Slug, Body: map[string]string{"role": "owner"}})
	if p := res.Problem(t); p.Code != "forbidden" {
		t.Fatalf("%+v", p)
	}
	// The last owner cannot step down.
	res = e.Must(409, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/staff/" + shop.OwnerID, Token: shop.OwnerToken, Tenant: shop.Slug, Body: map[string]string{"role": "admin"}})
	if p := res.Problem(t); p.Code != "invalid_state" {
		t.Fatalf("%+v", p)
	}
	// Inviting someone twice, or with a bad role, names the field.
	res = e.Must(422, apptest.Req{Method: "POST", Path: "/api/v1/admin/staff", Token: shop.OwnerToken, Tenant: shop.Slug, Body: map[string]string{"email": shop.OwnerEmail, "role": "admin"}})
	if p := res.Problem(t); p.Errors[0].Field != "email" {
		t.Fatalf("%+v", p)
	}
	res = e.Must(422, apptest.Req{Method: "POST", Path: "/api/v1/admin/staff", Token: shop.OwnerToken, Tenant: shop.Slug, Body: map[string]string{"email": "n@example.com", "role": "king"}})
	if p := res.Problem(t); p.Errors[0].Field != "role" {
		t.Fatalf("%+v", p)
	}
	// Removal revokes access to the shop: it no longer exists for them.
	e.Must(204, apptest.Req{Method: "DELETE", Path: "/api/v1/admin/staff/" + supportID, Token: shop.OwnerToken, Tenant: shop.Slug})
	e.Must(404, apptest.Req{Method: "GET", Path: "/api/v1/admin/settings", Token: supportTok, Tenant: shop.Slug})

	// The audit log recorded who did what.
	res = e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/audit", Token: shop.OwnerToken, Tenant: shop.Slug})
	var audit struct {
		Items []struct {
			Action string `json:"action"`
		}
	}
	res.Decode(t, &audit)
	var actions []string
	for _, it := range audit.Items {
		actions = append(actions, it.Action)
	}
	got := strings.Join(actions, ",")
	for _, want := range []string{"staff.remove", "staff.change_role", "staff.invite", "tenant.signup"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit log lacks %s: %s", want, got)
		}
	}
}

func TestStaffQuota(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("quota-shop") // free plan: 3 seats
	e.AddStaff(shop, "support")
	e.AddStaff(shop, "support")
	res := e.Must(403, apptest.Req{Method: "POST", Path: "/api/v1/admin/staff", Token: shop.OwnerToken, Tenant: shop.Slug, Body: map[string]string{"email": "fourth@example.com", "role": "support"}})
	if p := res.Problem(t); p.Code != "quota_exceeded" {
		t.Fatalf("%+v", p)
	}
	// Concurrent invitations on a fresh shop cannot overrun the quota.
	shop2 := e.Signup("quota-shop2")
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			e.Do(apptest.Req{Method: "POST", Path: "/api/v1/admin/staff", Token: shop2.OwnerToken, Tenant: shop2.Slug, Body: map[string]string{"email": fmt.Sprintf("c%d@example.com", i), "role": "support"}})
		}(i)
	}
	wg.Wait()
	var n int
	if err := e.DB.Owner.Get(&n, `SELECT count(*) FROM tenant_staff WHERE tenant_id = $1`, shop2.ID); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("want 3 staff (the quota), got %d", n)
	}
}

func TestTenantResolution(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("host-shop")
	m := func(status int, host, header string) {
		t.Helper()
		h := map[string]string{}
		if host != "" {
			h["Host"] = host
		}
		res := e.Do(apptest.Req{Method: "GET", Path: "/api/v1/admin/settings", Token: shop.OwnerToken, Tenant: header, Header: h})
		if res.Status != status {
			t.Fatalf("host %q header %q: want %d, got %s", host, header, status, res)
		}
	}
	m(200, "", shop.Slug)
	m(404, "", "no-such-shop")
	m(404, "", "../etc")
	// Host-based resolution: the test client sets Host through the header map.
	res := e.DoHost("host-shop.shops.test", apptest.Req{Method: "GET", Path: "/api/v1/admin/settings", Token: shop.OwnerToken})
	if res.Status != 200 {
		t.Fatalf("by host: %s", res)
	}
	res = e.DoHost("nope.shops.test", apptest.Req{Method: "GET", Path: "/api/v1/admin/settings", Token: shop.OwnerToken})
	if res.Status != 404 {
		t.Fatalf("unknown host: %s", res)
	}
	// A custom domain resolves once registered.
	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/settings", Token: shop.OwnerToken, Tenant: shop.Slug, Body: map[string]string{"custom_domain": "mall.example.com"}})
	res = e.DoHost("mall.example.com", apptest.Req{Method: "GET", Path: "/api/v1/admin/settings", Token: shop.OwnerToken})
	if res.Status != 200 {
		t.Fatalf("custom domain: %s", res)
	}
	// Another shop cannot take the same domain.
	other := e.Signup("host-other")
	res = e.Must(422, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/settings", Token: other.OwnerToken, Tenant: other.Slug, Body: map[string]string{"custom_domain": "mall.example.com"}})
	if p := res.Problem(t); p.Errors[0].Field != "custom_domain" {
		t.Fatalf("%+v", p)
	}
}

func TestSettingsValidation(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("set-shop")
	res := e.Must(422, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/settings", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]string{"primary_color": "red", "currency": "XXX", "timezone": "Mars/Base", "name": ""}})
	p := res.Problem(t)
	fields := map[string]bool{}
	for _, f := range p.Errors {
		fields[f.Field] = true
	}
	for _, f := range []string{"primary_color", "currency", "timezone", "name"} {
		if !fields[f] {
			t.Errorf("field %s not named: %+v", f, p.Errors)
		}
	}
	res = e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/settings", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]string{"primary_color": "#aa3300", "name": "新名字", "timezone": "Asia/Hong_Kong", "currency": "HKD"}})
	var st struct{ Name, PrimaryColor, Timezone, Currency string }
	res.Decode(t, &st)
	if st.Name != "新名字" || st.Timezone != "Asia/Hong_Kong" || st.Currency != "HKD" {
		t.Fatalf("%+v", st)
	}
	// The body cannot smuggle fields a caller may not set.
	res = e.Must(400, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/settings", Token: shop.OwnerToken, Tenant: shop.Slug, Body: map[string]string{"status": "active"}})
	if p := res.Problem(t); p.Code != "unknown_field" {
		t.Fatalf("%+v", p)
	}
}

func TestPlatformOperations(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("plat-shop")
	e.Signup("plat-other")
	op := e.Operator("operator")

	// A merchant cannot use the platform API.
	e.Must(403, apptest.Req{Method: "GET", Path: "/api/v1/platform/tenants", Token: shop.OwnerToken})
	res := e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/platform/tenants?q=plat-sh", Token: op})
	var list struct {
		Items []struct {
			ID, Slug, Status string
			Plan             struct{ Code string }
			Usage            struct{ Staff int64 }
		}
		NextCursor string `json:"next_cursor"`
	}
	res.Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Slug != "plat-shop" || list.Items[0].Plan.Code != "free" || list.Items[0].Usage.Staff != 1 {
		t.Fatalf("%+v", list)
	}
	// Pagination walks every tenant once.
	res = e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/platform/tenants?limit=1", Token: op})
	res.Decode(t, &list)
	first := list.Items[0].Slug
	res = e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/platform/tenants?limit=1&cursor=" + list.NextCursor, Token: op})
	res.Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Slug == first {
		t.Fatalf("second page %+v", list)
	}
	e.Must(422, apptest.Req{Method: "GET", Path: "/api/v1/platform/tenants?cursor=garbage!", Token: op})

	// Suspend: the shop answers 403 tenant_suspended; the platform still sees it.
	e.Must(422, apptest.Req{Method: "POST", Path: "/api/v1/platform/tenants/" + shop.ID + "/suspend", Token: op, Body: map[string]string{"reason": ""}})
	e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/platform/tenants/" + shop.ID + "/suspend", Token: op, Body: map[string]string{"reason": "unpaid invoice"}})
	res = e.Must(403, apptest.Req{Method: "GET", Path: "/api/v1/admin/settings", Token: shop.OwnerToken, Tenant: shop.Slug})
	if p := res.Problem(t); p.Code != "tenant_suspended" {
		t.Fatalf("%+v", p)
	}
	e.Must(403, apptest.Req{Method: "POST", Path: "/api/v1/shop/register", Tenant: shop.Slug, Body: map[string]string{"email": "x@example.com", "password": apptest.Password}})
	res = e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/platform/tenants/" + shop.ID, Token: op})
	var one struct {
		Status          string
		SuspendedReason string `json:"suspended_reason"`
	}
	res.Decode(t, &one)
	if one.Status != "suspended" || one.SuspendedReason != "unpaid invoice" {
		t.Fatalf("%+v", one)
	}
	e.Must(409, apptest.Req{Method: "POST", Path: "/api/v1/platform/tenants/" + shop.ID + "/suspend", Token: op, Body: map[string]string{"reason": "again"}})
	e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/platform/tenants/" + shop.ID + "/resume", Token: op})
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/settings", Token: shop.OwnerToken, Tenant: shop.Slug})

	// Plans: create one, move the shop to it; a bad plan id names the field.
	e.Must(403, apptest.Req{Method: "POST", Path: "/api/v1/platform/plans", Token: op, Body: map[string]any{"code": "x", "name": "X", "max_staff": 1}})
	admin := e.Operator("superadmin")
	res = e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/platform/plans", Token: admin, Body: map[string]any{"code": "big", "name": "Big", "max_staff": 50, "max_products": 100, "max_plugins": 5}})
	var plan struct{ ID string }
	res.Decode(t, &plan)
	e.Must(422, apptest.Req{Method: "POST", Path: "/api/v1/platform/plans", Token: admin, Body: map[string]any{"code": "big", "name": "Dup", "max_staff": 5}})
	e.Must(422, apptest.Req{Method: "PATCH", Path: "/api/v1/platform/tenants/" + shop.ID, Token: op, Body: map[string]string{"plan_id": "nope"}})
	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/platform/tenants/" + shop.ID, Token: op, Body: map[string]string{"plan_id": plan.ID}})
	res = e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/settings", Token: shop.OwnerToken, Tenant: shop.Slug})
	var st struct{ Plan struct{ Code string } }
	res.Decode(t, &st)
	if st.Plan.Code != "big" {
		t.Fatalf("plan %+v", st)
	}
	e.Must(404, apptest.Req{Method: "GET", Path: "/api/v1/platform/tenants/00000000-0000-0000-0000-000000000000", Token: op})
	e.Must(404, apptest.Req{Method: "GET", Path: "/api/v1/platform/tenants/not-a-uuid", Token: op})

	// Every platform action is audited.
	var actions []string
	if err := e.DB.Owner.Select(&actions, `SELECT action FROM platform_audit_log WHERE tenant_id = $1 ORDER BY id`, shop.ID); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ",") != "tenant.suspend,tenant.resume,tenant.change_plan" {
		t.Fatalf("platform audit: %v", actions)
	}
}

func TestMemberAuth(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("member-shop")
	other := e.Signup("member-other")
	sms := e.CaptureSMS()

	e.Must(204, apptest.Req{Method: "POST", Path: "/api/v1/shop/otp", Tenant: shop.Slug, Body: map[string]string{"phone": "13800138000"}})
	res := e.Must(429, apptest.Req{Method: "POST", Path: "/api/v1/shop/otp", Tenant: shop.Slug, Body: map[string]string{"phone": "13800138000"}})
	if p := res.Problem(t); p.Code != "rate_limited" {
		t.Fatalf("%+v", p)
	}
	e.Must(422, apptest.Req{Method: "POST", Path: "/api/v1/shop/otp", Tenant: shop.Slug, Body: map[string]string{"phone": "12345"}})
	code := sms.Code(t, "13800138000")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	res = e.Must(422, apptest.Req{Method: "POST", Path: "/api/v1/shop/register", Tenant: shop.Slug, Body: map[string]string{"phone": "13800138000", "code": wrong}})
	if p := res.Problem(t); p.Errors[0].Field != "code" {
		t.Fatalf("%+v", p)
	}
	res = e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/register", Tenant: shop.Slug, Body: map[string]string{"phone": "13800138000", "code": code, "name": "张三"}})
	var auth struct{ Token string }
	res.Decode(t, &auth)
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/me", Tenant: shop.Slug, Token: auth.Token})
	// The code is used up.
	e.Must(422, apptest.Req{Method: "POST", Path: "/api/v1/shop/login", Tenant: shop.Slug, Body: map[string]string{"phone": "13800138000", "code": code}})
	// A member token is worthless in another shop and on staff routes.
	e.Must(401, apptest.Req{Method: "GET", Path: "/api/v1/shop/me", Tenant: other.Slug, Token: auth.Token})
	e.Must(401, apptest.Req{Method: "GET", Path: "/api/v1/auth/me", Token: auth.Token})
	e.Must(401, apptest.Req{Method: "GET", Path: "/api/v1/admin/settings", Tenant: shop.Slug, Token: auth.Token})
	// And a staff token is worthless on member routes.
	e.Must(401, apptest.Req{Method: "GET", Path: "/api/v1/shop/me", Tenant: shop.Slug, Token: shop.OwnerToken})

	// Email + password.
	e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/register", Tenant: shop.Slug, Body: map[string]string{"email": "buyer@example.com", "password": apptest.Password}})
	e.Must(422, apptest.Req{Method: "POST", Path: "/api/v1/shop/register", Tenant: shop.Slug, Body: map[string]string{"email": "buyer@example.com", "password": apptest.Password}})
	// The same email is free in another shop: members belong to one tenant.
	e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/register", Tenant: other.Slug, Body: map[string]string{"email": "buyer@example.com", "password": apptest.Password}})
	e.Must(401, apptest.Req{Method: "POST", Path: "/api/v1/shop/login", Tenant: shop.Slug, Body: map[string]string{"email": "buyer@example.com", "password": "bad-password-1"}})
	res = e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/login", Tenant: shop.Slug, Body: map[string]string{"email": "buyer@example.com", "password": apptest.Password}})
	res.Decode(t, &auth)
	e.Must(204, apptest.Req{Method: "POST", Path: "/api/v1/shop/logout", Tenant: shop.Slug, Token: auth.Token})
	e.Must(401, apptest.Req{Method: "GET", Path: "/api/v1/shop/me", Tenant: shop.Slug, Token: auth.Token})
}
