package sdk

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"
)

// EnvCPUProfile names a directory: when it is set in the plugin's
// environment (the host passes its own environment on, so setting it on
// banyan serve or a benchmark reaches every plugin), Serve records a CPU
// profile of the plugin process into that directory, one file per window:
// <binary>.<pid>.<n>.pprof. Windows, rather than one profile written at
// exit, because the host ends a plugin process with SIGKILL, which would
// lose it; the last, partial window is lost the same way. Merge the files
// with `go tool pprof <binary> dir/*.pprof`. Since protocol 1.
const EnvCPUProfile = "BANYAN_PLUGIN_CPUPROFILE"

// profileWindow is how long each profile file covers.
const profileWindow = 2 * time.Second

// startProfiling records CPU profiles into dir until the process ends. A
// profile that cannot be written says so on stderr (the host logs it) and
// stops profiling; the plugin serves on either way.
func startProfiling(dir string) {
	prefix := filepath.Join(dir, fmt.Sprintf("%s.%d", filepath.Base(os.Args[0]), os.Getpid()))
	start := func(n int) *os.File {
		f, err := os.Create(fmt.Sprintf("%s.%d.pprof", prefix, n))
		if err != nil {
			fmt.Fprintln(os.Stderr, "cpu profile:", err)
			return nil
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "cpu profile:", err)
			f.Close()
			return nil
		}
		return f
	}
	f := start(0)
	if f == nil {
		return
	}
	go func() {
		for n := 1; ; n++ {
			time.Sleep(profileWindow)
			pprof.StopCPUProfile()
			f.Close()
			if f = start(n); f == nil {
				return
			}
		}
	}()
}
