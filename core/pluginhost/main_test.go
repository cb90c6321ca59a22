package pluginhost

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// binDir holds every plugin the tests use, built once: the built-ins through
// plugins/build.sh (as `make plugins` does), the SDK's example plugin, and
// testdata/testplugin, with their manifests.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pluginhost-test-")
	if err != nil {
		panic(err)
	}
	code := 1
	if err := buildPlugins(dir); err != nil {
		fmt.Fprintln(os.Stderr, "building plugins:", err)
	} else {
		binDir = dir
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func buildPlugins(dir string) error {
	root, err := filepath.Abs("../..")
	if err != nil {
		return err
	}
	run := func(wd string, name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Dir = wd
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s %v: %v\n%s", name, args, err, out)
		}
		return nil
	}
	if err := run(root, "bash", "plugins/build.sh", dir); err != nil {
		return err
	}
	if err := run(root, "go", "build", "-o", filepath.Join(dir, "testplugin"), "./core/pluginhost/testdata/testplugin"); err != nil {
		return err
	}
	if err := writeManifest(dir, Manifest{Name: "testplugin", Kind: "commission", Version: "0.0.1", Protocol: 1,
		Description: "misbehaves on request", ConfigSchema: json.RawMessage(`{"type":"object"}`)}); err != nil {
		return err
	}
	example := filepath.Join(root, "sdk/examples/commission-flat")
	if err := run(example, "go", "build", "-o", filepath.Join(dir, "commission-flat"), "."); err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(example, "manifest.json"))
	if err != nil {
		return err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	return writeManifest(dir, m)
}

// writeManifest stamps m with its binary's checksum and writes it beside it.
func writeManifest(dir string, m Manifest) error {
	if m.SHA256 == "" {
		sum, err := fileSHA256(filepath.Join(dir, m.Name))
		if err != nil {
			return err
		}
		m.SHA256 = hex.EncodeToString(sum)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, m.Name+ManifestSuffix), b, 0o644)
}

// pluginDir makes a plugin directory holding only the named plugins.
func pluginDir(t testing.TB, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		for _, f := range []string{n, n + ManifestSuffix} {
			if err := copyFile(filepath.Join(binDir, f), filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func copyFile(from, to string) error {
	if err := os.Link(from, to); err == nil {
		return nil
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	st, _ := in.Stat()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, st.Mode())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// logBuffer collects the host's log lines for a test to read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if testing.Verbose() {
		os.Stderr.Write(p)
	}
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newHost starts a host on dir and closes it when the test ends.
func newHost(t testing.TB, dir string, opts Options) *Host {
	t.Helper()
	opts.Dir = dir
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(&logBuffer{}, nil))
	}
	if opts.Registerer == nil {
		opts.Registerer = prometheus.NewRegistry()
	}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func statusOf(h *Host, name string) Status {
	for _, s := range h.Status() {
		if s.Name == name {
			return s
		}
	}
	return Status{}
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
