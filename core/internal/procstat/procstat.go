// Package procstat reads the CPU time processes have used, for the
// benchmarks that report CPU per operation of this process, of PostgreSQL
// backends and of plugin processes (Linux only: it reads /proc).
package procstat

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Self is the CPU (user + system) this process has used so far.
func Self() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPU is the CPU (user + system) the processes pids have used so far, in
// clock ticks of 10 ms (USER_HZ is 100 on Linux); a process that is gone
// or unreadable counts 0.
func CPU(pids []int) time.Duration {
	var ticks int64
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// The fields after the command name (which may hold spaces) start
		// after the last ')': state is field 3, utime 14, stime 15.
		fs := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(fs) > 12 {
			u, _ := strconv.ParseInt(fs[11], 10, 64)
			s, _ := strconv.ParseInt(fs[12], 10, 64)
			ticks += u + s
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}
