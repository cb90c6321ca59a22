package members_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/members"
)

// fakeIdP is a provider for tests: standard OAuth2 + OIDC discovery with
// PKCE under /, and WeChat's variant under /wx/. Codes work once.
type fakeIdP struct {
	*httptest.Server
	mu    sync.Mutex
	codes map[string]fakeGrant // code → grant
	users map[string]string    // access token → subject
	user  map[string]any       // userinfo of the next login
}

type fakeGrant struct {
	challenge, redirect, subject string
	used                         bool
}

func newFakeIdP(t *testing.T) *fakeIdP {
	f := &fakeIdP{codes: map[string]fakeGrant{}, users: map[string]string{}}
	mux := http.NewServeMux()
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	grant := func(challenge, redirect string) string {
		f.mu.Lock()
		defer f.mu.Unlock()
		code := fmt.Sprintf("code-%d", len(f.codes)+1)
		sub, _ := f.user["sub"].(string)
		if sub == "" {
			sub, _ = f.user["openid"].(string)
		}
		f.codes[code] = fakeGrant{challenge: challenge, redirect: redirect, subject: sub}
		return code
	}
	redeem := func(code, redirect string) (fakeGrant, bool) {
		f.mu.Lock()
		defer f.mu.Unlock()
		g, ok := f.codes[code]
		if !ok || g.used || g.redirect != redirect {
			return g, false
		}
		g.used = true
		f.codes[code] = g
		return g, true
	}
	token := func(sub string) string {
		f.mu.Lock()
		defer f.mu.Unlock()
		tok := fmt.Sprintf("at-%d", len(f.users)+1)
		f.users[tok] = sub
		return tok
	}
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"issuer": f.URL, "authorization_endpoint": f.URL + "/authorize",
			"token_endpoint": f.URL + "/token", "userinfo_endpoint": f.URL + "/userinfo"})
	})
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != "shop-client" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" {
			http.Error(w, "bad authorization request: "+r.URL.RawQuery, 400)
			return
		}
		code := grant(q.Get("code_challenge"), q.Get("redirect_uri"))
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if id != "shop-client" || secret != "s3cret-value-1234" {
			writeJSON(w, 401, map[string]string{"error": "invalid_client"})
			return
		}
		g, ok := redeem(r.PostForm.Get("code"), r.PostForm.Get("redirect_uri"))
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": token(g.subject), "token_type": "Bearer", "expires_in": 3600})
	})
	mux.HandleFunc("/userinfo", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.users[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]; !ok {
			writeJSON(w, 401, map[string]string{"error": "invalid_token"})
			return
		}
		writeJSON(w, 200, f.user)
	})
	mux.HandleFunc("/wx/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("appid") != "wx-app" || q.Get("response_type") != "code" {
			http.Error(w, "bad wechat request", 400)
			return
		}
		code := grant("", q.Get("redirect_uri"))
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("/wx/token", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f.mu.Lock()
		g, ok := f.codes[q.Get("code")]
		if ok && !g.used {
			g.used = true
			f.codes[q.Get("code")] = g
		} else {
			ok = false
		}
		f.mu.Unlock()
		if q.Get("appid") != "wx-app" || q.Get("secret") != "wx-secret-abcdef" || !ok {
			writeJSON(w, 200, map[string]any{"errcode": 40029, "errmsg": "invalid code"})
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": token(g.subject), "expires_in": 7200, "openid": g.subject, "unionid": "u-" + g.subject})
	})
	mux.HandleFunc("/wx/userinfo", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.users[r.URL.Query().Get("access_token")]; !ok {
			writeJSON(w, 200, map[string]any{"errcode": 40001})
			return
		}
		writeJSON(w, 200, f.user)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// browser keeps cookies and does not follow redirects, so the test sees each.
type browser struct{ *http.Client }

func newBrowser() browser {
	jar, _ := cookiejar.New(nil)
	return browser{&http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (br browser) get(t *testing.T, rawURL, tenant string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", rawURL, nil)
	if tenant != "" {
		req.Header.Set("X-Tenant", tenant)
	}
	res, err := br.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// login walks the browser through start → provider → callback and returns
// the callback's URL (for replays) and its answer.
func (b browser) login(t *testing.T, e *apptest.Env, shop apptest.Shop, provider, returnTo string) (callback string, res *http.Response, body string) {
	t.Helper()
	start := e.Srv.URL + "/api/v1/shop/oauth/" + provider + "/start"
	if returnTo != "" {
		start += "?return_to=" + url.QueryEscape(returnTo)
	}
	res, body = b.get(t, start, shop.Slug)
	if res.StatusCode != 302 {
		t.Fatalf("start: %d %s", res.StatusCode, body)
	}
	res, body = b.get(t, strings.Split(res.Header.Get("Location"), "#")[0], "")
	if res.StatusCode != 302 {
		t.Fatalf("provider authorize: %d %s", res.StatusCode, body)
	}
	callback = res.Header.Get("Location")
	res, body = b.get(t, callback, shop.Slug)
	return callback, res, body
}

func TestOAuthLogin(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("oauth-shop")
	idp := newFakeIdP(t)
	create := map[string]any{"name": "idp", "display_name": "Example ID", "issuer": idp.URL, "client_id": "shop-client", "client_secret": "s3cret-value-1234"}

	// By default the server refuses to call private addresses: the URLs are
	// the merchant's, the network is the platform's.
	wantField(t, e.Do(owner(shop, "POST", "/api/v1/admin/oauth-providers", create)), 422, "issuer", "discovery_failed")
	e.App.Members.HTTPClient = members.OAuthHTTPClient(true)

	var p members.Provider
	res := e.Must(201, owner(shop, "POST", "/api/v1/admin/oauth-providers", create))
	res.Decode(t, &p)
	if p.TokenURL != idp.URL+"/token" || p.UserinfoURL != idp.URL+"/userinfo" || p.SubjectClaim != "sub" {
		t.Fatalf("discovery: %+v", p)
	}
	list := e.Must(200, owner(shop, "GET", "/api/v1/admin/oauth-providers", nil))
	for _, b := range [][]byte{res.Body, list.Body} {
		if strings.Contains(string(b), "s3cret-value-1234") {
			t.Fatalf("the client secret was answered: %s", b)
		}
	}
	if p.ClientSecretHint != "****1234" {
		t.Fatalf("hint %q", p.ClientSecretHint)
	}
	// Stored sealed (core/secrets), never as given: a database copy does
	// not hand it out. The login below proves it opens again (the fake
	// provider checks it at its token endpoint).
	var stored string
	if err := e.DB.Owner.Get(&stored, `SELECT client_secret FROM oauth_providers WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "sealed:v1:") || strings.Contains(stored, "s3cret") {
		t.Fatalf("stored client secret %q", stored)
	}
	// A sealed secret copied into another shop's row does not open there.
	other := e.Signup("oauth-other")
	e.Must(201, owner(other, "POST", "/api/v1/admin/oauth-providers", create))
	if _, err := e.DB.Owner.Exec(`UPDATE oauth_providers SET client_secret = $1 WHERE tenant_id = $2`, stored, other.ID); err != nil {
		t.Fatal(err)
	}
	if res := e.Must(200, owner(other, "GET", "/api/v1/admin/oauth-providers", nil)); !strings.Contains(string(res.Body), "unreadable") {
		t.Fatalf("another shop's list does not say the copied secret is unreadable: %s", res)
	}
	var otherID string
	if err := e.DB.Owner.Get(&otherID, `SELECT id FROM oauth_providers WHERE tenant_id = $1`, other.ID); err != nil {
		t.Fatal(err)
	}
	// Entering it again mends it.
	var mended members.Provider
	e.Must(200, owner(other, "PATCH", "/api/v1/admin/oauth-providers/"+otherID, map[string]any{"client_secret": "another-secret-5678"})).Decode(t, &mended)
	if mended.ClientSecretHint != "****5678" {
		t.Fatalf("after entering it again: hint %q", mended.ClientSecretHint)
	}
	wantField(t, e.Do(owner(shop, "POST", "/api/v1/admin/oauth-providers", map[string]any{"name": "bad", "display_name": "x", "client_id": "c", "client_secret": "s",
		"authorize_url": "http://idp.example/a", "token_url": "https://idp.example/t", "userinfo_url": "https://idp.example/u"})), 422, "authorize_url", "invalid_url")

	// An existing member with the address the provider will assert.
	e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/register", Tenant: shop.Slug,
		Body: map[string]string{"email": "lei@example.com", "password": apptest.Password}})
	idp.user = map[string]any{"sub": "user-1", "name": "李雷", "picture": "https://cdn.example/lei.png", "email": "lei@example.com", "email_verified": true}

	br := newBrowser()
	callback, cres, body := br.login(t, e, shop, "idp", "/account")
	if cres.StatusCode != 303 || !strings.HasPrefix(cres.Header.Get("Location"), "/account#") || !strings.Contains(cres.Header.Get("Location"), "token=bmt_") {
		t.Fatalf("callback: %d %s %s", cres.StatusCode, cres.Header.Get("Location"), body)
	}
	frag, _ := url.ParseQuery(strings.SplitN(cres.Header.Get("Location"), "#", 2)[1])
	var me members.Member
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/me", Token: frag.Get("token"), Tenant: shop.Slug}).Decode(t, &me)
	if me.Name != "李雷" || me.AvatarURL != "https://cdn.example/lei.png" {
		t.Fatalf("new member: %+v", me)
	}
	if me.Email != nil {
		t.Fatalf("an email another member has was taken over: %v", *me.Email)
	}

	t.Run("replayed callback", func(t *testing.T) {
		res, body := br.get(t, callback, shop.Slug)
		if res.StatusCode != 422 || !strings.Contains(body, `"invalid_state"`) {
			t.Fatalf("replay: %d %s", res.StatusCode, body)
		}
	})
	t.Run("a callback link opened in another browser", func(t *testing.T) {
		// The attacker starts a login and signs in at the provider, then
		// sends the callback link to a victim (login CSRF).
		attacker, victim := newBrowser(), newBrowser()
		res, _ := attacker.get(t, e.Srv.URL+"/api/v1/shop/oauth/idp/start", shop.Slug)
		res, _ = attacker.get(t, res.Header.Get("Location"), "")
		res, body := victim.get(t, res.Header.Get("Location"), shop.Slug)
		if res.StatusCode != 422 || !strings.Contains(body, `"invalid_state"`) {
			t.Fatalf("callback without the binding cookie: %d %s", res.StatusCode, body)
		}
	})
	t.Run("bad state", func(t *testing.T) {
		res, body := br.get(t, e.Srv.URL+"/api/v1/shop/oauth/idp/callback?state=forged&code=code-1", shop.Slug)
		if res.StatusCode != 422 || !strings.Contains(body, `"state"`) {
			t.Fatalf("bad state: %d %s", res.StatusCode, body)
		}
	})
	t.Run("replayed code with a fresh state", func(t *testing.T) {
		res, _ := br.get(t, e.Srv.URL+"/api/v1/shop/oauth/idp/start", shop.Slug)
		loc, _ := url.Parse(res.Header.Get("Location"))
		old, _ := url.Parse(callback)
		q := url.Values{"state": {loc.Query().Get("state")}, "code": {old.Query().Get("code")}}
		res, body := br.get(t, e.Srv.URL+"/api/v1/shop/oauth/idp/callback?"+q.Encode(), shop.Slug)
		if res.StatusCode != 401 || !strings.Contains(body, `"rejected"`) {
			t.Fatalf("replayed code: %d %s", res.StatusCode, body)
		}
	})
	t.Run("second login finds the same member", func(t *testing.T) {
		_, res, body := br.login(t, e, shop, "idp", "")
		var out members.OAuthResult
		if err := json.Unmarshal([]byte(body), &out); err != nil || res.StatusCode != 200 {
			t.Fatalf("second login: %d %s", res.StatusCode, body)
		}
		if out.Created || out.Member.ID != me.ID || out.Token == "" {
			t.Fatalf("second login: %+v", out)
		}
		var d members.Detail
		e.Must(200, owner(shop, "GET", "/api/v1/admin/members/"+string(me.ID), nil)).Decode(t, &d)
		if len(d.Identities) != 1 || d.Identities[0] != "idp" {
			t.Fatalf("identities: %v", d.Identities)
		}
	})
	t.Run("unsafe return_to", func(t *testing.T) {
		res, body := br.get(t, e.Srv.URL+"/api/v1/shop/oauth/idp/start?return_to="+url.QueryEscape("//evil.example/"), shop.Slug)
		if res.StatusCode != 422 || !strings.Contains(body, "return_to") {
			t.Fatalf("return_to: %d %s", res.StatusCode, body)
		}
	})
	t.Run("a used provider is disabled, not deleted", func(t *testing.T) {
		res := e.Do(owner(shop, "DELETE", "/api/v1/admin/oauth-providers/"+string(p.ID), nil))
		if res.Status != 409 {
			t.Fatalf("delete used provider: %s", res)
		}
		e.Must(200, owner(shop, "PATCH", "/api/v1/admin/oauth-providers/"+string(p.ID), map[string]any{"enabled": false}))
		if res, _ := br.get(t, e.Srv.URL+"/api/v1/shop/oauth/idp/start", shop.Slug); res.StatusCode != 404 {
			t.Fatalf("start with a disabled provider: %d", res.StatusCode)
		}
	})
}

func TestOAuthWeChat(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("wechat-shop")
	idp := newFakeIdP(t)
	e.App.Members.HTTPClient = members.OAuthHTTPClient(true)
	e.Must(201, owner(shop, "POST", "/api/v1/admin/oauth-providers", map[string]any{"name": "wechat", "display_name": "微信", "style": "wechat",
		"client_id": "wx-app", "client_secret": "wx-secret-abcdef", "subject_claim": "unionid",
		"authorize_url": idp.URL + "/wx/authorize", "token_url": idp.URL + "/wx/token", "userinfo_url": idp.URL + "/wx/userinfo"}))
	var providers []members.LoginProvider
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/oauth/providers", Tenant: shop.Slug}).Decode(t, &providers)
	if len(providers) != 1 || providers[0].Name != "wechat" {
		t.Fatalf("login providers: %+v", providers)
	}
	idp.user = map[string]any{"openid": "o-123", "nickname": "韩梅梅", "headimgurl": "https://thirdwx.example/h.png", "unionid": "u-o-123"}
	_, res, body := newBrowser().login(t, e, shop, "wechat", "")
	var out members.OAuthResult
	if err := json.Unmarshal([]byte(body), &out); err != nil || res.StatusCode != 200 || !out.Created || out.Member.Name != "韩梅梅" {
		t.Fatalf("wechat login: %d %s", res.StatusCode, body)
	}
	var subject string
	if err := e.DB.Owner.Get(&subject, `SELECT subject FROM member_identities WHERE member_id = $1`, out.Member.ID); err != nil || subject != "u-o-123" {
		t.Fatalf("subject %q (%v), want the unionid", subject, err)
	}
}
