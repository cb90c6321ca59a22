package pluginhost

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	calls   *prometheus.CounterVec
	errors  *prometheus.CounterVec
	seconds *prometheus.HistogramVec
}

// opMetrics are one plugin method's series. A proc keeps them (proc.ops),
// because looking a series up by its label values hashes them and takes the
// vector's lock: ~5% of the host's CPU for a plugin call.
type opMetrics struct {
	calls, errors prometheus.Counter
	seconds       prometheus.Observer
}

func (p *proc) opMetrics(op string) *opMetrics {
	if m, ok := p.ops.Load(op); ok {
		return m.(*opMetrics)
	}
	vec := p.h.metrics
	m, _ := p.ops.LoadOrStore(op, &opMetrics{
		calls:   vec.calls.WithLabelValues(p.name, op),
		errors:  vec.errors.WithLabelValues(p.name, op),
		seconds: vec.seconds.WithLabelValues(p.name, op),
	})
	return m.(*opMetrics)
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "banyan_plugin_calls_total",
			Help: "Plugin calls made by the host.",
		}, []string{"plugin", "method"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "banyan_plugin_errors_total",
			Help: "Plugin calls that returned an error, of any kind.",
		}, []string{"plugin", "method"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "banyan_plugin_call_seconds",
			Help:    "Duration of plugin calls, as the host sees them.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2.5, 12),
		}, []string{"plugin", "method"}),
	}
	if reg == nil {
		return m, nil
	}
	// A second host on the same registry (tests, a reload) shares the
	// collectors already there.
	var err error
	if m.calls, err = register(reg, m.calls); err != nil {
		return nil, err
	}
	if m.errors, err = register(reg, m.errors); err != nil {
		return nil, err
	}
	if m.seconds, err = register(reg, m.seconds); err != nil {
		return nil, err
	}
	return m, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}
