package sdk

import (
	"encoding/json"
	"sync"
)

// ConfigCache remembers what a parse function made of each config it has
// seen, so a plugin parses and checks a tenant's config (or a campaign's)
// once instead of on every call: the host sends the config with every
// request (a plugin is a pure function of its request), and decoding JSON
// into decimals and checking it costs more CPU than many a plugin's whole
// answer.
//
// The key is the config's exact bytes, and nothing else: a changed config is
// other bytes, so the very next call parses it afresh (no version, no
// expiry, nothing to invalidate), and since the parsed value depends on
// those bytes alone, two tenants can only ever share an entry when they
// sent the same config, in which case each would have parsed the same value.
// Use it only for a parse function for which that holds: one that reads
// nothing but its argument.
//
// Values are shared by every call that passes the same bytes, concurrently:
// treat them as read-only (copy a slice or map before changing it). Errors
// are not cached: a bad config is parsed again, and answers the same error,
// each time. At most about 2 × Size configs are kept (the least recently
// used go first). The zero value is not usable: call [NewConfigCache].
// Since protocol 1.
type ConfigCache[T any] struct {
	parse func(json.RawMessage) (T, error)
	size  int

	mu sync.Mutex
	// Two generations: lookups hit either, new entries go into cur, and
	// when cur is full it becomes old and old is dropped. An entry found
	// only in old moves to cur, so what is in use survives.
	cur, old map[string]T
}

// DefaultConfigCacheSize is the Size of a [NewConfigCache] given 0.
const DefaultConfigCacheSize = 4096

// NewConfigCache returns a cache of parse's results for up to about twice
// size configs (size 0: [DefaultConfigCacheSize]). Since protocol 1.
func NewConfigCache[T any](size int, parse func(json.RawMessage) (T, error)) *ConfigCache[T] {
	if size <= 0 {
		size = DefaultConfigCacheSize
	}
	return &ConfigCache[T]{parse: parse, size: size, cur: make(map[string]T)}
}

// Get returns parse(raw): the remembered value when these bytes were parsed
// before, otherwise parse's answer, remembered when it is not an error.
func (c *ConfigCache[T]) Get(raw json.RawMessage) (T, error) {
	c.mu.Lock()
	v, ok := c.cur[string(raw)]
	if !ok {
		if v, ok = c.old[string(raw)]; ok {
			c.put(string(raw), v)
		}
	}
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	// Parsed outside the lock: two calls that miss at once both parse,
	// and get equal values.
	v, err := c.parse(raw)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	c.put(string(raw), v)
	c.mu.Unlock()
	return v, nil
}

// put adds an entry to cur, turning the generations over when it is full;
// c.mu is held.
func (c *ConfigCache[T]) put(key string, v T) {
	if len(c.cur) >= c.size {
		c.old, c.cur = c.cur, make(map[string]T, c.size)
	}
	c.cur[key] = v
}

// Len is how many configs the cache holds now.
func (c *ConfigCache[T]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.cur)
	for k := range c.old {
		if _, dup := c.cur[k]; !dup {
			n++
		}
	}
	return n
}
