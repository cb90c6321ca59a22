package storefront_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/banyanmall/banyan/core/apptest"
)

type problemFields struct {
	Errors []struct{ Field, Code string } `json:"errors"`
}

func (p problemFields) fields() string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field+"="+e.Code)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestHomeBanners(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	shop := e.Signup("sf-banners")
	host := shop.Slug + ".shops.test"
	patch := func(want int, body map[string]any) *apptest.Resp {
		t.Helper()
		return e.Must(want, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/settings", Token: shop.OwnerToken, Tenant: shop.Slug, Body: body})
	}
	banner := func(image, link string, sort int) map[string]any {
		return map[string]any{"image": image, "link": link, "sort": sort, "title": fmt.Sprintf("B%d", sort)}
	}
	upload := "/uploads/" + shop.ID + "/slide.jpg"
	patch(200, map[string]any{"banners": []any{
		banner("https://cdn.example.com/b3.jpg", "https://example.com/sale", 3),
		banner(upload, " /c/tea ", 1),
		banner("https://cdn.example.com/b2.jpg", "", 2),
	}})

	// Saved trimmed and in display order.
	var st struct {
		Banners []struct {
			Image, Link, Title string
			Sort               int
		} `json:"banners"`
	}
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/settings", Token: shop.OwnerToken, Tenant: shop.Slug}).Decode(t, &st)
	if len(st.Banners) != 3 || st.Banners[0].Image != upload || st.Banners[0].Link != "/c/tea" || st.Banners[2].Sort != 3 {
		t.Fatalf("saved banners: %+v", st.Banners)
	}

	// The home page shows them in order, every image sized, linked when set.
	html := string(e.DoHost(host, apptest.Req{Method: "GET", Path: "/"}).Body)
	for _, img := range imgRe.FindAllString(html, -1) {
		if !widthRe.MatchString(img) || !heightRe.MatchString(img) {
			t.Errorf("img without width and height: %s", img)
		}
	}
	i1, i2, i3 := strings.Index(html, `src="`+upload+`"`), strings.Index(html, `src="https://cdn.example.com/b2.jpg"`), strings.Index(html, `src="https://cdn.example.com/b3.jpg"`)
	if i1 < 0 || i2 < i1 || i3 < i2 {
		t.Fatalf("banners missing or out of order (%d %d %d): %s", i1, i2, i3, html)
	}
	if !strings.Contains(html, `<a href="/c/tea"><img src="`+upload+`"`) || !strings.Contains(html, `<a href="https://example.com/sale">`) ||
		strings.Contains(html, `<a href=""`) {
		t.Errorf("banner links: %s", html)
	}

	// Bad banners are refused field by field and nothing changes (not even
	// the name sent with them).
	eleven := make([]any, 11)
	for i := range eleven {
		eleven[i] = banner("https://cdn.example.com/x.jpg", "", i)
	}
	for _, c := range []struct {
		banners []any
		want    string
	}{
		{eleven, "banners=too_many"},
		{[]any{banner("", "", 0)}, "banners[0].image=required"},
		{[]any{banner("javascript:alert(1)", "", 0), banner("http://cdn.example.com/x.jpg", "", 1)}, "banners[0].image=invalid_url banners[1].image=invalid_url"},
		{[]any{banner(upload, "http://example.com/", 0), banner(upload, "//evil.example.com/", 1), banner(upload, "javascript:alert(1)", 2)},
			"banners[0].link=invalid_url banners[1].link=invalid_url banners[2].link=invalid_url"},
		{[]any{banner(upload, "", -1), map[string]any{"image": upload, "title": strings.Repeat("标", 65)}}, "banners[0].sort=out_of_range banners[1].title=too_long"},
	} {
		var p problemFields
		patch(422, map[string]any{"name": "Renamed", "banners": c.banners}).Decode(t, &p)
		if got := p.fields(); got != c.want {
			t.Errorf("%v: fields %q, want %q", c.banners, got, c.want)
		}
	}
	var after struct {
		Name    string
		Banners []any
	}
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/settings", Token: shop.OwnerToken, Tenant: shop.Slug}).Decode(t, &after)
	if after.Name == "Renamed" || len(after.Banners) != 3 {
		t.Fatalf("a refused patch changed settings: %+v", after)
	}

	// Other settings leave the banners alone; an empty list removes them.
	patch(200, map[string]any{"name": "Tea house"})
	if html := string(e.DoHost(host, apptest.Req{Method: "GET", Path: "/"}).Body); !strings.Contains(html, `class="slides"`) {
		t.Error("banners gone after an unrelated change")
	}
	patch(200, map[string]any{"banners": []any{}})
	if html := string(e.DoHost(host, apptest.Req{Method: "GET", Path: "/"}).Body); strings.Contains(html, `class="slides"`) {
		t.Error("banners still shown after removing them")
	}
}
