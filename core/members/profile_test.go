package members_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/banyanmall/banyan/core/api"
	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/members"
)

// wantField fails unless res is a problem naming field with code.
func wantField(t *testing.T, res *apptest.Resp, status int, field, code string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("want %d naming %s, got %s", status, field, res)
	}
	p := res.Problem(t)
	for _, f := range p.Errors {
		if f.Field == field && (code == "" || f.Code == code) {
			return
		}
	}
	t.Fatalf("want an error on %s (%s), got %+v", field, code, p)
}

func TestProfile(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("profile-shop")
	token, _ := e.Member(shop)
	me := func() members.Member {
		var m members.Member
		e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/me", Token: token, Tenant: shop.Slug}).Decode(t, &m)
		return m
	}
	res := e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/shop/me", Token: token, Tenant: shop.Slug,
		Body: map[string]any{"name": "韩梅梅", "avatar_url": "https://cdn.example/a.png", "gender": "female", "birthday": "1995-04-01"}})
	var m members.Member
	res.Decode(t, &m)
	if m.Name != "韩梅梅" || m.Gender != "female" || m.Birthday == nil || *m.Birthday != "1995-04-01" || m.AvatarURL != "https://cdn.example/a.png" {
		t.Fatalf("profile not saved: %+v", m)
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"gender", map[string]any{"gender": "x", "name": "changed"}, "gender"},
		{"birthday", map[string]any{"birthday": "2999-01-01", "name": "changed"}, "birthday"},
		{"avatar", map[string]any{"avatar_url": "javascript:alert(1)", "name": "changed"}, "avatar_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.Do(apptest.Req{Method: "PATCH", Path: "/api/v1/shop/me", Token: token, Tenant: shop.Slug, Body: tc.body})
			wantField(t, res, 422, tc.field, "")
			if got := me(); got.Name != "韩梅梅" {
				t.Fatalf("a refused change changed the name: %+v", got)
			}
		})
	}
	// Fields a member may not set are refused, not ignored.
	res = e.Do(apptest.Req{Method: "PATCH", Path: "/api/v1/shop/me", Token: token, Tenant: shop.Slug, Body: map[string]any{"status": "active"}})
	wantField(t, res, 400, "status", "unknown_field")
	res = e.Do(apptest.Req{Method: "PATCH", Path: "/api/v1/shop/me", Token: token, Tenant: shop.Slug, Body: map[string]any{"referrer_id": shop.OwnerID}})
	wantField(t, res, 400, "referrer_id", "unknown_field")
	// Clearing the birthday.
	res = e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/shop/me", Token: token, Tenant: shop.Slug, Body: map[string]any{"birthday": ""}})
	res.Decode(t, &m)
	if m.Birthday != nil {
		t.Fatalf("birthday not cleared: %v", *m.Birthday)
	}
}

func address(i int) map[string]any {
	return map[string]any{"name": fmt.Sprintf("收件人 %d", i), "phone": "13800138000", "province": "浙江省", "city": "杭州市",
		"district": "西湖区", "detail": fmt.Sprintf("文三路 %d 号", i), "postal_code": "310000"}
}

func TestAddresses(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("address-shop")
	token, _ := e.Member(shop)
	req := func(method, path string, body any) apptest.Req {
		return apptest.Req{Method: method, Path: path, Token: token, Tenant: shop.Slug, Body: body}
	}
	list := func() []members.Address {
		var as []members.Address
		e.Must(200, req("GET", "/api/v1/shop/me/addresses", nil)).Decode(t, &as)
		return as
	}
	defaults := func(as []members.Address) (n int, id members.AddressID) {
		for _, a := range as {
			if a.IsDefault {
				n, id = n+1, a.ID
			}
		}
		return
	}

	var first, second members.Address
	e.Must(201, req("POST", "/api/v1/shop/me/addresses", address(1))).Decode(t, &first)
	if !first.IsDefault {
		t.Fatal("the first address is not the default")
	}
	e.Must(201, req("POST", "/api/v1/shop/me/addresses", address(2))).Decode(t, &second)
	if second.IsDefault {
		t.Fatal("a second address took the default without asking")
	}
	// Making the second the default moves the flag.
	e.Must(200, req("PATCH", "/api/v1/shop/me/addresses/"+string(second.ID), map[string]any{"is_default": true}))
	if n, id := defaults(list()); n != 1 || id != second.ID {
		t.Fatalf("defaults: %d, %s", n, id)
	}

	t.Run("bad input names the field and changes nothing", func(t *testing.T) {
		before := list()
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"name": "x", "phone": "12", "province": "p", "city": "c", "detail": "d"}, "phone"},
			{map[string]any{"phone": "13800138000", "province": "p", "city": "c", "detail": "d"}, "name"},
			{map[string]any{"name": "x", "phone": "13800138000", "province": "p", "city": "c", "detail": "d", "postal_code": "<script>"}, "postal_code"},
		} {
			wantField(t, e.Do(req("POST", "/api/v1/shop/me/addresses", tc.body)), 422, tc.field, "")
		}
		wantField(t, e.Do(req("PATCH", "/api/v1/shop/me/addresses/"+string(first.ID), map[string]any{"city": "", "is_default": true})), 422, "city", "required")
		if after := list(); len(after) != len(before) || after[0].ID != second.ID {
			t.Fatalf("refused input changed the addresses: %+v", after)
		}
	})

	t.Run("concurrent defaults leave exactly one", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan string, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := address(10 + i)
				body["is_default"] = true
				res := e.Do(req("POST", "/api/v1/shop/me/addresses", body))
				if res.Status != 201 {
					var p api.Problem
					res.Decode(t, &p)
					if res.Status != 422 || len(p.Errors) == 0 || p.Errors[0].Field != "is_default" {
						errs <- res.String()
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for msg := range errs {
			t.Errorf("concurrent default: %s", msg)
		}
		as := list()
		if n, _ := defaults(as); n != 1 {
			t.Fatalf("%d defaults after concurrent writes", n)
		}
	})

	t.Run("at most 20", func(t *testing.T) {
		for i := len(list()); i < members.MaxAddresses; i++ {
			e.Must(201, req("POST", "/api/v1/shop/me/addresses", address(100+i)))
		}
		res := e.Do(req("POST", "/api/v1/shop/me/addresses", address(999)))
		if res.Status != 409 || res.Problem(t).Code != "invalid_state" {
			t.Fatalf("21st address: %s", res)
		}
		if n := len(list()); n != members.MaxAddresses {
			t.Fatalf("%d addresses", n)
		}
	})

	t.Run("deleting the default promotes another", func(t *testing.T) {
		_, def := defaults(list())
		e.Must(204, req("DELETE", "/api/v1/shop/me/addresses/"+string(def), nil))
		as := list()
		if n, id := defaults(as); n != 1 || id == def {
			t.Fatalf("after deleting the default: %d defaults (%s)", n, id)
		}
		e.Must(404, req("DELETE", "/api/v1/shop/me/addresses/"+string(def), nil))
	})

	t.Run("another member's address is not found", func(t *testing.T) {
		other, _ := e.Member(shop)
		res := e.Do(apptest.Req{Method: "PATCH", Path: "/api/v1/shop/me/addresses/" + string(first.ID), Token: other, Tenant: shop.Slug, Body: map[string]any{"city": "x"}})
		if res.Status != 404 {
			t.Fatalf("want 404, got %s", res)
		}
	})
}
