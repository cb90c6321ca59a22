package pluginhost

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/banyanmall/banyan/sdk/pluginclient"
)

// State of a plugin process, as Status reports it.
type State string

const (
	StateUp         State = "up"
	StateRestarting State = "restarting"
	// StateFailed: the process does not start, or its circuit is open.
	StateFailed State = "failed"
	// StateRefused: the manifest or the binary failed a check; never started.
	StateRefused State = "refused"
)

// instance is one running process of a plugin.
type instance struct {
	client *plugin.Client
	impl   any
	pid    int
	dead   atomic.Bool
	killed *atomic.Bool // the host ended the process (its exit is expected)
}

// kill ends the process at once: a hung plugin gets no graceful shutdown.
func (in *instance) kill() {
	in.killed.Store(true)
	if in.pid > 0 {
		if p, err := os.FindProcess(in.pid); err == nil {
			_ = p.Kill()
		}
	}
	in.client.Kill()
}

// proc runs one plugin: a supervisor goroutine keeps a process up, restarting
// it with exponential backoff; calls go through acquire and done, which also
// drive the circuit breaker.
type proc struct {
	h     *Host
	found Found
	name  string
	log   *slog.Logger
	kick  chan struct{} // tells the supervisor an instance died
	exit  chan struct{} // closed when the supervisor has stopped
	ops   sync.Map      // method name → *opMetrics

	mu        sync.Mutex
	state     State
	reason    string
	restarts  int
	lastErr   string
	lastErrAt time.Time
	inst      *instance
	ready     chan struct{} // closed while inst is set
	breaker   breaker
}

func newProc(h *Host, f Found) *proc {
	return &proc{
		h:     h,
		found: f,
		name:  f.Manifest.Name,
		log:   h.log.With("plugin", f.Manifest.Name),
		kick:  make(chan struct{}, 1),
		exit:  make(chan struct{}),
		ready: make(chan struct{}),
		state: StateRestarting,
	}
}

// start launches a process and dispenses its implementation.
func (p *proc) start() (*instance, error) {
	cfg := pluginclient.Config(p.found.Path, p.found.Checksum)
	// go-plugin appends the host's environment after this, so a GOMAXPROCS
	// set there (the operator's choice) wins.
	cfg.Cmd.Env = append(cfg.Cmd.Env, "GOMAXPROCS="+strconv.Itoa(p.h.opts.Procs))
	killed := new(atomic.Bool)
	cfg.Logger = hclogToSlog(p.log, killed.Load)
	cfg.Stderr = &lineWriter{l: p.log}
	cfg.SyncStderr = &lineWriter{l: p.log}
	cfg.SyncStdout = &lineWriter{l: p.log}
	cfg.StartTimeout = p.h.opts.StartTimeout
	client := plugin.NewClient(cfg)
	rpc, err := client.Client()
	if err != nil {
		killed.Store(true)
		client.Kill()
		return nil, err
	}
	impl, err := pluginclient.Dispense(rpc, p.found.Manifest.Kind)
	if err != nil {
		killed.Store(true)
		client.Kill()
		return nil, err
	}
	in := &instance{client: client, impl: impl, killed: killed}
	if rc := client.ReattachConfig(); rc != nil {
		in.pid = rc.Pid
	}
	return in, nil
}

// supervise keeps the plugin running until the host closes. started is
// closed after the first attempt, up or not.
func (p *proc) supervise(started chan<- struct{}) {
	defer close(p.exit)
	signal := func() {
		if started != nil {
			close(started)
			started = nil
		}
	}
	defer signal()
	attempt := 0
	for {
		in, err := p.start()
		if err != nil {
			if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
				p.refuse("checksum mismatch: the binary changed after discovery")
				return
			}
			p.down(StateFailed, fmt.Sprintf("start: %v", err))
			p.log.Error("plugin failed to start", "err", err, "retry_in", p.h.backoff(attempt))
		} else {
			p.up(in)
		}
		signal()
		if err == nil {
			upAt := time.Now()
			reason, closing := p.watch(in)
			in.kill()
			if closing {
				return
			}
			if time.Since(upAt) > p.h.opts.MaxBackoff {
				attempt = 0 // it ran well for a while: start over gently
			}
			p.mu.Lock()
			p.restarts++
			p.mu.Unlock()
			p.log.Warn("plugin stopped; restarting", "reason", reason, "retry_in", p.h.backoff(attempt))
		}
		select {
		case <-p.h.closed:
			return
		case <-time.After(p.h.backoff(attempt)):
		}
		attempt++
	}
}

// watch waits until in dies (exits, or a call found it dead or hung) or the
// host closes, and says why.
func (p *proc) watch(in *instance) (reason string, closing bool) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.h.closed:
			p.markDead(in, "host closing")
			return "host closing", true
		case <-p.kick:
		case <-tick.C:
			if in.client.Exited() {
				p.markDead(in, "process exited")
			}
		}
		if in.dead.Load() {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.reason, false
		}
	}
}

func (p *proc) up(in *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inst = in
	p.state, p.reason = StateUp, ""
	close(p.ready)
	p.log.Info("plugin up", "pid", in.pid, "version", p.found.Manifest.Version)
}

// down records a failed start.
func (p *proc) down(state State, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state, p.reason = state, reason
	p.noteErr(reason)
}

func (p *proc) refuse(reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state, p.reason = StateRefused, reason
	p.log.Error("plugin refused", "reason", reason, "manifest", p.found.File)
}

// markDead takes in out of service (once) and wakes the supervisor.
func (p *proc) markDead(in *instance, reason string) {
	if in.dead.Swap(true) {
		return
	}
	p.mu.Lock()
	if p.inst == in {
		p.inst = nil
		p.ready = make(chan struct{})
		p.state, p.reason = StateRestarting, reason
		p.noteErr(reason)
	}
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// noteErr records the last error; p.mu is held.
func (p *proc) noteErr(msg string) {
	p.lastErr, p.lastErrAt = msg, time.Now()
}

// Status is one plugin's state, for /readyz and the APIs.
type Status struct {
	Name        string    `json:"name"`
	Kind        string    `json:"kind"`
	Version     string    `json:"version"`
	Description string    `json:"description"`
	State       State     `json:"state"`
	Reason      string    `json:"reason,omitempty"`
	Restarts    int       `json:"restarts"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

func (p *proc) status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.found.Manifest
	s := Status{
		Name: p.name, Kind: string(m.Kind), Version: m.Version, Description: m.Description,
		State: p.state, Reason: p.reason, Restarts: p.restarts,
		LastError: p.lastErr, LastErrorAt: p.lastErrAt,
	}
	if s.State != StateRefused && p.breaker.open(time.Now()) {
		s.State, s.Reason = StateFailed, "circuit open: "+p.lastErr
	}
	return s
}

// breaker opens after Threshold consecutive failures of the process (a
// crash, a hang) and fails calls fast until Cooldown has passed; then one
// trial call goes through (half-open) and its outcome closes or reopens it.
type breaker struct {
	fails     int
	openUntil time.Time
	trial     bool
}

func (b *breaker) open(now time.Time) bool {
	return !b.openUntil.IsZero() && (now.Before(b.openUntil) || b.trial)
}

// allow says whether a call may go ahead, and whether it is the trial.
func (b *breaker) allow(now time.Time) (ok, trial bool) {
	if b.openUntil.IsZero() {
		return true, false
	}
	if b.open(now) {
		return false, false
	}
	b.trial = true
	return true, true
}

func (b *breaker) record(failed bool, now time.Time, threshold int, cooldown time.Duration) {
	b.trial = false
	if !failed {
		b.fails, b.openUntil = 0, time.Time{}
		return
	}
	b.fails++
	if b.fails >= threshold {
		b.openUntil = now.Add(cooldown)
	}
}
