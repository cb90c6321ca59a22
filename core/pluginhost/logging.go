package pluginhost

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// hclogToSlog gives go-plugin an hclog.Logger that writes into l. go-plugin
// logs its own doings at debug and trace; warnings and errors (a plugin's
// panic, a failed handshake) are what the host wants to see. killed reports
// whether the host itself ended the process: go-plugin then still logs the
// exit ("signal: killed") as an error, which is expected and logged at info.
func hclogToSlog(l *slog.Logger, killed func() bool) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       "go-plugin",
		Level:      hclog.Warn,
		JSONFormat: true,
		Output:     hclogSink{l: l, killed: killed},
	})
}

// hclogSink re-emits hclog's JSON lines as slog records.
type hclogSink struct {
	l      *slog.Logger
	killed func() bool
}

// exitMessage is what go-plugin logs when a plugin process ends.
const exitMessage = "plugin process exited"

var hclogLevels = map[string]slog.Level{
	"trace": slog.LevelDebug - 4,
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

func (s hclogSink) Write(b []byte) (int, error) {
	var entry map[string]any
	if err := json.Unmarshal(b, &entry); err != nil {
		s.l.Warn(strings.TrimSpace(string(b)))
		return len(b), nil
	}
	level, ok := hclogLevels[str(entry["@level"])]
	if !ok {
		level = slog.LevelInfo
	}
	msg := str(entry["@message"])
	// Only our own SIGKILL: a crash ("exit status 2") stays an error even
	// when the host has cleaned up after it by then.
	if msg == exitMessage && level > slog.LevelInfo && str(entry["error"]) == "signal: killed" && s.killed != nil && s.killed() {
		level = slog.LevelInfo
	}
	keys := make([]string, 0, len(entry))
	for k := range entry {
		if !strings.HasPrefix(k, "@") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	args := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		args = append(args, k, entry[k])
	}
	s.l.Log(context.Background(), level, msg, args...)
	return len(b), nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// lineWriter logs what a plugin writes to stderr, one record per line.
type lineWriter struct {
	mu  sync.Mutex
	buf []byte
	l   *slog.Logger
}

var _ io.Writer = (*lineWriter)(nil)

const maxLine = 64 << 10

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > maxLine {
		w.emit(w.buf)
		w.buf = nil
	}
	return len(b), nil
}

func (w *lineWriter) emit(line []byte) {
	if s := strings.TrimRight(string(line), "\r"); s != "" {
		w.l.Info(s, "source", "stderr")
	}
}
