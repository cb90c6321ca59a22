package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// rateConfig is what the tests' parse makes of {"rate":"..."}.
type rateConfig struct{ Rate string }

// countingParse parses {"rate":"..."} and counts its calls; a rate "bad"
// is an invalid config.
func countingParse(n *atomic.Int64) func(json.RawMessage) (rateConfig, error) {
	return func(raw json.RawMessage) (rateConfig, error) {
		n.Add(1)
		var c struct {
			Rate string `json:"rate"`
		}
		if err := json.Unmarshal(raw, &c); err != nil || c.Rate == "bad" {
			return rateConfig{}, InvalidConfig(FieldError{Path: "/rate", Message: "bad"})
		}
		return rateConfig{Rate: c.Rate}, nil
	}
}

func TestConfigCacheParsesOnceAndSeesAChangeAtOnce(t *testing.T) {
	var parses atomic.Int64
	c := NewConfigCache(0, countingParse(&parses))
	get := func(raw string) string {
		t.Helper()
		v, err := c.Get(json.RawMessage(raw))
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		return v.Rate
	}
	if got := get(`{"rate":"0.1"}`); got != "0.1" {
		t.Fatalf("got %s", got)
	}
	if got := get(`{"rate":"0.1"}`); got != "0.1" || parses.Load() != 1 {
		t.Fatalf("second call: %s after %d parses, want 0.1 after 1", got, parses.Load())
	}
	// The tenant changes its config: the very next call sees it.
	if got := get(`{"rate":"0.2"}`); got != "0.2" {
		t.Fatalf("changed config answered %s", got)
	}
	// And back: both are remembered, each under its own bytes.
	if got := get(`{"rate":"0.1"}`); got != "0.1" || parses.Load() != 2 {
		t.Fatalf("back to 0.1: %s after %d parses, want 0.1 after 2", got, parses.Load())
	}
	// Other bytes for the same meaning are another entry, never a wrong one.
	if got := get(`{ "rate": "0.1" }`); got != "0.1" || parses.Load() != 3 {
		t.Fatalf("reformatted: %s after %d parses", got, parses.Load())
	}
}

func TestConfigCacheKeepsNoErrors(t *testing.T) {
	var parses atomic.Int64
	c := NewConfigCache(0, countingParse(&parses))
	for i := 1; i <= 2; i++ {
		_, err := c.Get(json.RawMessage(`{"rate":"bad"}`))
		if !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("call %d: %v, want an invalid config", i, err)
		}
		if parses.Load() != int64(i) {
			t.Fatalf("call %d: %d parses: an error must not be cached", i, parses.Load())
		}
	}
	// Each caller gets its own error value, so changing one (as a plugin
	// adding context does) changes no other.
	_, e1 := c.Get(json.RawMessage(`{"rate":"bad"}`))
	_, e2 := c.Get(json.RawMessage(`{"rate":"bad"}`))
	a, _ := AsError(e1)
	b, _ := AsError(e2)
	a.Message = "campaign c1"
	if b.Message == a.Message {
		t.Error("two calls shared one error value")
	}
	if c.Len() != 0 {
		t.Errorf("Len = %d after errors only", c.Len())
	}
}

// The key is a copy: a caller reusing its buffer for other bytes gets the
// other bytes' value.
func TestConfigCacheCopiesTheKey(t *testing.T) {
	var parses atomic.Int64
	c := NewConfigCache(0, countingParse(&parses))
	buf := []byte(`{"rate":"0.1"}`)
	if v, _ := c.Get(buf); v.Rate != "0.1" {
		t.Fatal(v)
	}
	copy(buf, `{"rate":"0.7"}`)
	if v, _ := c.Get(buf); v.Rate != "0.7" {
		t.Fatalf("reused buffer answered %s, want 0.7", v.Rate)
	}
	if v, _ := c.Get(json.RawMessage(`{"rate":"0.1"}`)); v.Rate != "0.1" {
		t.Fatalf("first config now answers %s", v.Rate)
	}
}

func TestConfigCacheIsBoundedAndKeepsWhatIsUsed(t *testing.T) {
	var parses atomic.Int64
	c := NewConfigCache(4, countingParse(&parses))
	hot := json.RawMessage(`{"rate":"hot"}`)
	if _, err := c.Get(hot); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if v, err := c.Get(json.RawMessage(fmt.Sprintf(`{"rate":"%d"}`, i))); err != nil || v.Rate != fmt.Sprint(i) {
			t.Fatalf("%d: %v %v", i, v, err)
		}
		if v, _ := c.Get(hot); v.Rate != "hot" {
			t.Fatalf("hot answered %s", v.Rate)
		}
		if n := c.Len(); n > 2*4 {
			t.Fatalf("holds %d configs, more than 2 × 4", n)
		}
	}
	// 101 distinct configs, each parsed once: the one in use every call
	// was never dropped.
	if parses.Load() != 101 {
		t.Errorf("%d parses, want 101", parses.Load())
	}
}

// Many tenants' calls at once (run with -race): each gets its own config's
// value, whatever the others are doing to the cache.
func TestConfigCacheConcurrentTenants(t *testing.T) {
	var parses atomic.Int64
	c := NewConfigCache(8, countingParse(&parses)) // small: generations turn over during the test
	var wg sync.WaitGroup
	for tenant := range 16 {
		wg.Go(func() {
			for i := range 300 {
				rate := fmt.Sprintf("%d.%d", tenant, i%5)
				v, err := c.Get(json.RawMessage(`{"rate":"` + rate + `"}`))
				if err != nil || v.Rate != rate {
					t.Errorf("tenant %d got %q (%v), want %s", tenant, v.Rate, err, rate)
					return
				}
			}
		})
	}
	wg.Wait()
}
