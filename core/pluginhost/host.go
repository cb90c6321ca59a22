// Package pluginhost runs the plugins: it discovers them in a directory,
// refuses any whose manifest or checksum is wrong, keeps one process per
// plugin for all tenants, and hands core the SDK's own interfaces wrapped
// with a per-call deadline, metrics, restart with backoff and a circuit
// breaker. Every failure is an *Error with a Kind.
package pluginhost

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/banyanmall/banyan/sdk"
)

// Options configure a Host. Zero values take the defaults.
type Options struct {
	// Dir holds the plugins: <name> binaries beside <name>.manifest.json.
	Dir string
	// CallTimeout bounds every call (default 2s); a shorter deadline on the
	// caller's context wins.
	CallTimeout time.Duration
	// StartTimeout bounds a process's start (default 10s).
	StartTimeout time.Duration
	// MinBackoff and MaxBackoff bound the delay before a restart (default 100ms, 30s).
	MinBackoff, MaxBackoff time.Duration
	// BreakerThreshold consecutive crashes or hangs open a plugin's circuit
	// (default 5) for BreakerCooldown (default 10s).
	BreakerThreshold int
	BreakerCooldown  time.Duration
	// Procs is the GOMAXPROCS of each plugin process (default 1): see
	// README.md, "What a call costs". A GOMAXPROCS in the host's own
	// environment, which plugins inherit, wins over it.
	Procs  int
	Logger *slog.Logger
	// Registerer receives the metrics; nil keeps them unregistered.
	Registerer prometheus.Registerer
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.CallTimeout, 2*time.Second)
	def(&o.StartTimeout, 10*time.Second)
	def(&o.MinBackoff, 100*time.Millisecond)
	def(&o.MaxBackoff, 30*time.Second)
	def(&o.BreakerCooldown, 10*time.Second)
	if o.BreakerThreshold <= 0 {
		o.BreakerThreshold = 5
	}
	if o.Procs <= 0 {
		o.Procs = 1
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Host owns the plugin processes. It is safe for concurrent use.
type Host struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	procs   map[string]*proc
	closed  chan struct{}
	once    sync.Once
}

// New discovers the plugins in opts.Dir and starts every one that passes the
// checks, waiting for each first start (up or failed). A refused or failing
// plugin never stops the host: it shows in Status.
func New(opts Options) (*Host, error) {
	opts.defaults()
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("pluginhost: metrics: %w", err)
	}
	found, err := Discover(opts.Dir)
	if err != nil {
		return nil, err
	}
	h := &Host{
		opts:    opts,
		log:     opts.Logger,
		metrics: m,
		procs:   make(map[string]*proc, len(found)),
		closed:  make(chan struct{}),
	}
	var started []chan struct{}
	for _, f := range found {
		if _, dup := h.procs[f.Manifest.Name]; dup {
			h.log.Error("plugin refused", "plugin", f.Manifest.Name, "reason", f.Refused, "manifest", f.File)
			continue
		}
		p := newProc(h, f)
		h.procs[p.name] = p
		if f.Refused != "" {
			p.refuse(f.Refused)
			close(p.exit)
			continue
		}
		s := make(chan struct{})
		started = append(started, s)
		go p.supervise(s)
	}
	for _, s := range started {
		<-s
	}
	if len(found) == 0 {
		h.log.Warn("no plugins found", "dir", opts.Dir)
	}
	return h, nil
}

func (h *Host) backoff(attempt int) time.Duration {
	d := h.opts.MinBackoff
	for i := 0; i < attempt && d < h.opts.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, h.opts.MaxBackoff)
}

// Close stops every plugin process and waits for them.
func (h *Host) Close() error {
	h.once.Do(func() { close(h.closed) })
	for _, p := range h.procs {
		<-p.exit
	}
	return nil
}

// Status reports every discovered plugin, refused ones included, by name.
func (h *Host) Status() []Status {
	out := make([]Status, 0, len(h.procs))
	for _, p := range h.procs {
		out = append(out, p.status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Manifest returns a discovered plugin's manifest.
func (h *Host) Manifest(name string) (Manifest, bool) {
	p, ok := h.procs[name]
	if !ok {
		return Manifest{}, false
	}
	return p.found.Manifest, true
}

func (h *Host) lookup(name string, kind sdk.Kind) (*proc, error) {
	p, ok := h.procs[name]
	if !ok {
		return nil, newError(name, "lookup", NotFound, "no such plugin")
	}
	if k := p.found.Manifest.Kind; k != kind {
		return nil, newError(name, "lookup", NotFound, "is a %s plugin, not %s", k, kind)
	}
	return p, nil
}

// Commission returns the named commission scheme.
func (h *Host) Commission(name string) (sdk.CommissionScheme, error) {
	p, err := h.lookup(name, sdk.KindCommission)
	if err != nil {
		return nil, err
	}
	return commission{p}, nil
}

// Promotion returns the named promotion rule.
func (h *Host) Promotion(name string) (sdk.PromotionRule, error) {
	p, err := h.lookup(name, sdk.KindPromotion)
	if err != nil {
		return nil, err
	}
	return promotion{p}, nil
}

// Payment returns the named payment provider. It also implements
// sdk.SandboxSimulator; a provider without the capability answers an
// error matching sdk.ErrUnimplemented.
func (h *Host) Payment(name string) (sdk.PaymentProvider, error) {
	p, err := h.lookup(name, sdk.KindPayment)
	if err != nil {
		return nil, err
	}
	return payment{p}, nil
}

// ValidateConfig checks a tenant's config for the named plugin: first
// against the manifest's JSON Schema, here in the host, then by the
// plugin's own ValidateConfig. It returns the wrong fields (none: valid), or
// an error when the check itself could not be made.
func (h *Host) ValidateConfig(ctx context.Context, name string, config json.RawMessage) ([]FieldError, error) {
	p, ok := h.procs[name]
	if !ok {
		return nil, newError(name, "ValidateConfig", NotFound, "no such plugin")
	}
	if p.found.Schema == nil {
		return nil, newError(name, "ValidateConfig", Unavailable, "refused: %s", p.found.Refused)
	}
	if fields := schemaErrors(p.found.Schema, config); len(fields) > 0 {
		return fields, nil
	}
	err := validate(ctx, p, config)
	if e, ok := asHostError(err); ok && e.Kind == InvalidConfig {
		fields := FieldErrors(err)
		if len(fields) == 0 {
			fields = []FieldError{{Path: "", Message: e.Err.Error()}}
		}
		return fields, nil
	}
	return nil, err
}

// ValidateCampaign checks one campaign's config for the named promotion
// plugin against its manifest's campaign_schema, here in the host. A plugin
// without a campaign schema accepts any JSON object.
func (h *Host) ValidateCampaign(name string, config json.RawMessage) ([]FieldError, error) {
	p, err := h.lookup(name, sdk.KindPromotion)
	if err != nil {
		return nil, err
	}
	if p.found.Schema == nil {
		return nil, newError(name, "ValidateCampaign", Unavailable, "refused: %s", p.found.Refused)
	}
	if p.found.CampaignSchema == nil {
		return schemaErrors(anyObject, config), nil
	}
	return schemaErrors(p.found.CampaignSchema, config), nil
}

var anyObject = func() *jsonschema.Schema {
	s, err := compileSchema("any", json.RawMessage(`{"type":"object"}`))
	if err != nil {
		panic(err)
	}
	return s
}()
