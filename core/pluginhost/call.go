package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/banyanmall/banyan/sdk"
)

// call runs f against the plugin's running instance with the host's
// deadline, metrics, restart and circuit breaker around it.
func call[T any](ctx context.Context, p *proc, op string, f func(ctx context.Context, impl any) (T, error)) (T, error) {
	var res T
	err := p.do(ctx, op, func(ctx context.Context, impl any) error {
		var err error
		res, err = f(ctx, impl)
		return err
	})
	return res, err
}

func (p *proc) do(ctx context.Context, op string, f func(context.Context, any) error) error {
	m := p.opMetrics(op)
	start := time.Now()
	m.calls.Inc()
	err := p.try(ctx, op, f)
	m.seconds.Observe(time.Since(start).Seconds())
	if err != nil {
		m.errors.Inc()
	}
	return err
}

func (p *proc) try(parent context.Context, op string, f func(context.Context, any) error) error {
	ctx, cancel := context.WithTimeout(parent, p.h.opts.CallTimeout)
	defer cancel()
	in, err := p.acquire(ctx, op)
	if err != nil {
		return err
	}
	err = f(ctx, in.impl)
	kind, processFault := classify(err, ctx, parent)
	if processFault {
		reason := "call " + op + ": " + kind.String()
		if kind == Timeout {
			reason = "hung: no answer to " + op + " within " + p.h.opts.CallTimeout.String()
		}
		p.markDead(in, reason)
	}
	if parent.Err() == nil {
		p.mu.Lock()
		p.breaker.record(processFault, time.Now(), p.h.opts.BreakerThreshold, p.h.opts.BreakerCooldown)
		p.mu.Unlock()
	}
	if err == nil {
		return nil
	}
	if kind == Timeout {
		err = fmt.Errorf("no answer in time: %w", context.DeadlineExceeded)
	}
	return &Error{Plugin: p.name, Op: op, Kind: kind, Err: err}
}

// acquire returns the running instance, waiting within ctx for one that is
// restarting; it fails fast when the plugin is refused, failing to start, or
// its circuit is open.
func (p *proc) acquire(ctx context.Context, op string) (*instance, error) {
	p.mu.Lock()
	if p.state == StateRefused {
		p.mu.Unlock()
		return nil, newError(p.name, op, Unavailable, "refused: %s", p.reason)
	}
	ok, trial := p.breaker.allow(time.Now())
	if !ok {
		last := p.lastErr
		p.mu.Unlock()
		return nil, newError(p.name, op, Unavailable, "circuit open after repeated failures (last: %s)", last)
	}
	in, ready, state, reason := p.inst, p.ready, p.state, p.reason
	p.mu.Unlock()
	if in != nil && !in.dead.Load() {
		return in, nil
	}
	fail := func(err error) (*instance, error) {
		if trial {
			p.mu.Lock()
			p.breaker.record(true, time.Now(), p.h.opts.BreakerThreshold, p.h.opts.BreakerCooldown)
			p.mu.Unlock()
		}
		return nil, err
	}
	if state == StateFailed && !trial {
		return fail(newError(p.name, op, Unavailable, "not running: %s", reason))
	}
	select {
	case <-ready:
		p.mu.Lock()
		in = p.inst
		p.mu.Unlock()
		if in == nil {
			return fail(newError(p.name, op, Unavailable, "restarting"))
		}
		return in, nil
	case <-ctx.Done():
		return fail(newError(p.name, op, Unavailable, "not up within the deadline (%s: %s)", state, reason))
	case <-p.h.closed:
		return fail(newError(p.name, op, Unavailable, "host closed"))
	}
}

// classify says what kind of failure err is, and whether it is the process's
// fault (it crashed or hung), which restarts it and counts toward the
// circuit. A caller that gave up is nobody's fault.
func classify(err error, ctx, parent context.Context) (Kind, bool) {
	if err == nil {
		return 0, false
	}
	if e, ok := sdk.AsError(err); ok {
		if e.Code == sdk.CodeInvalidConfig {
			return InvalidConfig, false
		}
		return Rejected, false
	}
	if errors.Is(err, sdk.ErrContract) {
		return Failed, false
	}
	code := status.Code(err)
	switch {
	case parent.Err() != nil:
		if errors.Is(parent.Err(), context.DeadlineExceeded) {
			return Timeout, false
		}
		return Unavailable, false
	case ctx.Err() != nil || code == codes.DeadlineExceeded:
		return Timeout, true
	case code == codes.Unavailable || code == codes.Canceled:
		return Unavailable, true
	}
	return Failed, false
}
