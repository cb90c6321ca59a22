package db

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// ChangesChannel is the PostgreSQL channel on which the triggers of
// migration 00081 announce committed writes to cached rows, as
// "topic:tenant" ("topic:*" for all tenants).
const ChangesChannel = "banyan_changes"

// Changes fans the announcements of one LISTEN connection out to the
// replica's caches. While that connection is down a replica cannot know
// what other replicas change, so Live is false and every Cache reads
// through; when it is back every cache is emptied, since anything may have
// been missed in between.
type Changes struct {
	mu   sync.Mutex
	subs map[string][]func(key string)
	live atomic.Bool
}

// Subscribe calls fn with the tenant of every announcement of topic, and
// with "*" when everything must go (a change to all tenants, a reconnect).
func (c *Changes) Subscribe(topic string, fn func(key string)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.subs == nil {
		c.subs = map[string][]func(string){}
	}
	c.subs[topic] = append(c.subs[topic], fn)
}

// Live reports whether announcements are being received; a nil Changes
// never is.
func (c *Changes) Live() bool { return c != nil && c.live.Load() }

// Announce delivers one payload ("topic:key") to its topic's subscribers;
// the listener calls it, and a replica calls it itself after committing a
// change so that its own next request does not wait for the round trip
// through PostgreSQL.
func (c *Changes) Announce(payload string) {
	if c == nil {
		return
	}
	topic, key, ok := strings.Cut(payload, ":")
	if !ok || key == "" {
		key = "*"
	}
	c.mu.Lock()
	subs := c.subs[topic]
	c.mu.Unlock()
	for _, fn := range subs {
		fn(key)
	}
}

// all tells every subscriber to drop everything.
func (c *Changes) all() {
	c.mu.Lock()
	var subs []func(string)
	for _, fns := range c.subs {
		subs = append(subs, fns...)
	}
	c.mu.Unlock()
	for _, fn := range subs {
		fn("*")
	}
}

// Start listens on ChangesChannel until ctx ends. It returns once the
// first LISTEN succeeded; the caches are live from then on.
func (c *Changes) Start(ctx context.Context, dsn string) error {
	dsn, _, err := withDefaults(dsn)
	if err != nil {
		return err
	}
	l := pq.NewListener(dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, _ error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			// From now until the reconnect, announcements are lost.
			c.live.Store(false)
			c.all()
		case pq.ListenerEventReconnected:
			// Drop what was cached before the connection went away (a
			// request may have filled the cache from a read that raced the
			// disconnect), then trust the cache again.
			c.all()
			c.live.Store(true)
		}
	})
	if err := l.Listen(ChangesChannel); err != nil {
		l.Close()
		return fmt.Errorf("db listen %s: %w", ChangesChannel, err)
	}
	c.live.Store(true)
	go func() {
		defer func() {
			c.live.Store(false)
			l.Close()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-l.Notify:
				// n is nil after a reconnect (handled by the event above).
				if n != nil {
					c.Announce(n.Extra)
				}
			case <-time.After(60 * time.Second):
				// A dead connection is only noticed when used.
				go l.Ping() //nolint:errcheck
			}
		}
	}()
	return nil
}

// Cache holds values of one topic per tenant and key, filled from committed
// rows only and dropped when their topic is announced for their tenant.
//
// A value is stored only if no announcement of its topic arrived between
// the start of its load and its end (gen): a load that read a row before a
// concurrent change committed cannot overwrite the invalidation. The load
// runs in the caller's READ COMMITTED transaction, whose statements see
// rows committed before they start, so a change announced before the load
// began is already in what it reads. A row the caller's own transaction
// wrote is not committed yet: loaders report that (Dirty) and it is not
// stored. TTL bounds how long a value lives even if an announcement were
// lost without the connection noticing.
type Cache[V any] struct {
	changes *Changes
	ttl     time.Duration
	max     int

	mu  sync.Mutex
	gen uint64
	m   map[string]map[string]cacheEntry[V] // tenant → key → value
	n   int
}

type cacheEntry[V any] struct {
	v  V
	at time.Time
}

// NewCache returns a cache of topic that keeps at most max values, each
// for at most ttl. A nil changes gives a cache that always reads through.
func NewCache[V any](changes *Changes, topic string, ttl time.Duration, max int) *Cache[V] {
	c := &Cache[V]{changes: changes, ttl: ttl, max: max, m: map[string]map[string]cacheEntry[V]{}}
	if changes != nil {
		changes.Subscribe(topic, c.Forget)
	}
	return c
}

// Dirty is what a loader answers when the row it read was written by the
// caller's own, uncommitted transaction (see DirtyColumn).
type Dirty bool

// DirtyColumn is the select-list expression telling a loader whether the
// current transaction changed topic's rows (migration 00081 marks it).
func DirtyColumn(topic string) string {
	return `coalesce(current_setting('banyan.changed_` + topic + `', true), '') = 'on'`
}

// Get answers the value of (tenant, key), calling load on a miss.
func (c *Cache[V]) Get(tenant, key string, load func() (V, Dirty, error)) (V, error) {
	if c == nil || !c.changes.Live() {
		v, _, err := load()
		return v, err
	}
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.m[tenant][key]; ok && now.Sub(e.at) < c.ttl {
		c.mu.Unlock()
		return e.v, nil
	}
	gen := c.gen
	c.mu.Unlock()
	v, dirty, err := load()
	if err != nil || dirty {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || !c.changes.Live() {
		return v, nil
	}
	if c.n >= c.max {
		// Simplest bound that cannot grow: start again. A full cache of
		// sessions or shops means a busy replica, which refills it fast.
		c.m, c.n = map[string]map[string]cacheEntry[V]{}, 0
	}
	t := c.m[tenant]
	if t == nil {
		t = map[string]cacheEntry[V]{}
		c.m[tenant] = t
	}
	if _, ok := t[key]; !ok {
		c.n++
	}
	t[key] = cacheEntry[V]{v: v, at: now}
	return v, nil
}

// Forget drops the values of tenant ("*": of every tenant) and fails the
// loads in flight, on this replica.
func (c *Cache[V]) Forget(tenant string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if tenant == "*" {
		c.m, c.n = map[string]map[string]cacheEntry[V]{}, 0
		return
	}
	c.n -= len(c.m[tenant])
	delete(c.m, tenant)
}
