package adminui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func built() fstest.MapFS {
	return fstest.MapFS{
		"index.html":              {Data: []byte(`<!doctype html><div id="app"></div><script type="module" src="/admin/assets/index-abc123.js"></script>`)},
		"assets/index-abc123.js":  {Data: []byte(`console.log("app")`)},
		"assets/index-abc123.css": {Data: []byte(`body{}`)},
		"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		".gitkeep":                {Data: nil},
	}
}

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestSPAFallback(t *testing.T) {
	h := HandlerFS(built())
	for _, p := range []string{"/admin/", "/admin/index.html", "/admin/login", "/admin/merchant/staff", "/admin/platform/tenants?q=x", "/admin/../admin/x/y/z"} {
		rec := get(t, h, http.MethodGet, p, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d, want 200", p, rec.Code)
		}
		if !strings.Contains(rec.Body.String(), `<div id="app">`) {
			t.Errorf("%s: body is not index.html: %q", p, rec.Body.String())
		}
		if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
			t.Errorf("%s: Cache-Control %q, want no-cache", p, got)
		}
		if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
			t.Errorf("%s: Content-Type %q", p, got)
		}
	}
}

func TestAssetServedWithLongCache(t *testing.T) {
	h := HandlerFS(built())
	rec := get(t, h, http.MethodGet, "/admin/assets/index-abc123.js", nil)
	if rec.Code != http.StatusOK || rec.Body.String() != `console.log("app")` {
		t.Fatalf("status %d body %q", rec.Code, rec.Body.String())
	}
	if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/javascript") {
		t.Errorf("Content-Type %q", got)
	}
	if got := rec.Header().Get("Cache-Control"); !strings.Contains(got, "max-age=31536000") || !strings.Contains(got, "immutable") {
		t.Errorf("Cache-Control %q, want a long immutable cache", got)
	}
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	// Revalidation answers 304.
	rec = get(t, h, http.MethodGet, "/admin/assets/index-abc123.js", map[string]string{"If-None-Match": etag})
	if rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", rec.Code)
	}

	rec = get(t, h, http.MethodGet, "/admin/assets/index-abc123.css", nil)
	if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/css") {
		t.Errorf("css Content-Type %q", got)
	}

	// Unhashed files at the root are served but revalidated.
	rec = get(t, h, http.MethodGet, "/admin/favicon.svg", nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("favicon: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
	}
}

func TestMissingAssetIs404(t *testing.T) {
	h := HandlerFS(built())
	rec := get(t, h, http.MethodGet, "/admin/assets/old-deadbeef.js", nil)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status %d, want 404", rec.Code)
	}
}

func TestMissingBuild(t *testing.T) {
	h := HandlerFS(fstest.MapFS{".gitkeep": {Data: nil}})
	for _, p := range []string{"/admin/", "/admin/login", "/admin/assets/index-abc123.js"} {
		rec := get(t, h, http.MethodGet, p, nil)
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s: status %d, want 503", p, rec.Code)
		}
		if !strings.Contains(rec.Body.String(), "admin UI not built: run `make ui`") {
			t.Errorf("%s: body %q", p, rec.Body.String())
		}
	}
}

func TestPrefixAndMethods(t *testing.T) {
	h := HandlerFS(built())
	rec := get(t, h, http.MethodGet, "/admin?x=1", nil)
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/admin/?x=1" {
		t.Errorf("/admin: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec := get(t, h, http.MethodGet, "/elsewhere", nil); rec.Code != http.StatusNotFound {
		t.Errorf("/elsewhere: %d, want 404", rec.Code)
	}
	if rec := get(t, h, http.MethodPost, "/admin/login", nil); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", rec.Code)
	}
	if rec := get(t, h, http.MethodHead, "/admin/login", nil); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d body %d bytes", rec.Code, rec.Body.Len())
	}
}

// The embedded FS compiles with only dist/.gitkeep and answers something sane
// whether or not the UI has been built.
func TestEmbeddedHandler(t *testing.T) {
	rec := get(t, Handler(), http.MethodGet, "/admin/", nil)
	if rec.Code != http.StatusOK && rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d", rec.Code)
	}
}
