// Package adminui serves the admin consoles SPA (merchant admin and platform
// console), built by `make ui` (npm run build in admin-ui/) into dist/ and
// embedded in the binary.
//
// Mount it at /admin/:
//
//	mux.Handle("/admin/", adminui.Handler())
//	mux.Handle("/admin", adminui.Handler()) // redirects to /admin/
package adminui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// dist holds the built UI; dist/.gitkeep is tracked so that this compiles
// before the UI is built.
//
//go:embed all:dist
var dist embed.FS

// Prefix is the URL path the SPA lives under (vite.config.ts: base).
const Prefix = "/admin/"

// NotBuiltMessage is the answer (503) when dist/index.html is missing.
const NotBuiltMessage = "admin UI not built: run `make ui`\n"

const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheNoCache   = "no-cache"
)

// Handler serves the embedded build.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil { // cannot happen: "dist" is a valid path
		panic(err)
	}
	return HandlerFS(sub)
}

// HandlerFS serves the SPA from fsys (the contents of dist/) under Prefix:
//   - files are served as they are; Vite's hashed files under assets/ are
//     cached for a year, anything else is revalidated (ETag);
//   - any other path gets index.html (client-side routing), with
//     Cache-Control: no-cache; a missing file under assets/ is a 404 rather
//     than HTML that a browser would try to run as a script;
//   - without index.html (UI not built) every request gets 503 NotBuiltMessage.
func HandlerFS(fsys fs.FS) http.Handler {
	return &handler{fsys: fsys}
}

type handler struct {
	fsys  fs.FS
	cache sync.Map // name → *file
}

type file struct {
	data []byte
	etag string
}

func (h *handler) load(name string) (*file, error) {
	if f, ok := h.cache.Load(name); ok {
		return f.(*file), nil
	}
	st, err := fs.Stat(h.fsys, name)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fs.ErrNotExist
	}
	data, err := fs.ReadFile(h.fsys, name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	f := &file{data: data, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	actual, _ := h.cache.LoadOrStore(name, f)
	return actual.(*file), nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == strings.TrimSuffix(Prefix, "/") {
		target := Prefix
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	if !strings.HasPrefix(p, Prefix) {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}

	index, err := h.load("index.html")
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(NotBuiltMessage))
		return
	}

	name := strings.TrimPrefix(path.Clean("/"+strings.TrimPrefix(p, Prefix)), "/")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if name != "" && name != "index.html" {
		f, err := h.load(name)
		switch {
		case err == nil:
			if strings.HasPrefix(name, "assets/") {
				w.Header().Set("Cache-Control", cacheImmutable)
			} else {
				w.Header().Set("Cache-Control", cacheNoCache)
			}
			serve(w, r, name, f)
			return
		case !errors.Is(err, fs.ErrNotExist):
			http.Error(w, "cannot read "+name, http.StatusInternalServerError)
			return
		case strings.HasPrefix(name, "assets/"):
			w.Header().Set("Cache-Control", cacheNoCache)
			http.NotFound(w, r)
			return
		}
	}
	// The SPA: index.html for every client-side route.
	w.Header().Set("Cache-Control", cacheNoCache)
	serve(w, r, "index.html", index)
}

var extraTypes = map[string]string{
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".html":  "text/html; charset=utf-8",
	".svg":   "image/svg+xml",
	".json":  "application/json",
	".map":   "application/json",
	".woff":  "font/woff",
	".woff2": "font/woff2",
	".ttf":   "font/ttf",
	".ico":   "image/x-icon",
	".png":   "image/png",
	".webp":  "image/webp",
	".txt":   "text/plain; charset=utf-8",
}

func serve(w http.ResponseWriter, r *http.Request, name string, f *file) {
	ext := strings.ToLower(path.Ext(name))
	ct, ok := extraTypes[ext]
	if !ok {
		ct = mime.TypeByExtension(ext)
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("ETag", f.etag)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
}
