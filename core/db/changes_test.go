package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/dbtest"
	"github.com/banyanmall/banyan/core/tenancy"
)

// liveChanges answers Changes listening on d's database.
func liveChanges(t *testing.T, d *dbtest.DB) *db.Changes {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch := &db.Changes{}
	if err := ch.Start(ctx, d.AppURL); err != nil {
		t.Fatal(err)
	}
	if !ch.Live() {
		t.Fatal("not live after Start")
	}
	return ch
}

// counter is a loader that answers its calls so far.
type counter struct {
	mu    sync.Mutex
	n     int
	dirty bool
}

func (c *counter) load() (int, db.Dirty, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n, db.Dirty(c.dirty), nil
}

func get(t *testing.T, c *db.Cache[int], tenant string, l *counter) int {
	t.Helper()
	v, err := c.Get(tenant, "k", l.load)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCacheReadsThroughUnlessLive(t *testing.T) {
	// Never started: nothing tells this replica about changes elsewhere,
	// so every Get loads.
	c := db.NewCache[int](&db.Changes{}, "t", time.Hour, 10)
	l := &counter{}
	for want := 1; want <= 3; want++ {
		if got := get(t, c, "a", l); got != want {
			t.Fatalf("not live: Get = %d, want a fresh load %d", got, want)
		}
	}
	// Nil Changes: the same.
	c = db.NewCache[int](nil, "t", time.Hour, 10)
	if get(t, c, "a", l) != 4 || get(t, c, "a", l) != 5 {
		t.Fatal("nil Changes: a Get did not load")
	}
}

func TestCacheForget(t *testing.T) {
	d := dbtest.New(t)
	ch := liveChanges(t, d)
	c := db.NewCache[int](ch, "t", time.Hour, 100)
	la, lb := &counter{}, &counter{}
	if get(t, c, "a", la) != 1 || get(t, c, "a", la) != 1 || get(t, c, "b", lb) != 1 {
		t.Fatal("a second Get loaded again")
	}
	// Another topic, then the other tenant: a's value stays.
	ch.Announce("other:a")
	ch.Announce("t:b")
	if get(t, c, "a", la) != 1 || get(t, c, "b", lb) != 2 {
		t.Fatal("an announcement dropped the wrong value")
	}
	ch.Announce("t:*")
	if get(t, c, "a", la) != 2 || get(t, c, "b", lb) != 3 {
		t.Fatal(`"t:*" did not drop every tenant`)
	}
	// Dirty loads are answered, never kept.
	ld := &counter{dirty: true}
	if get(t, c, "c", ld) != 1 || get(t, c, "c", ld) != 2 {
		t.Fatal("a dirty value was cached")
	}
}

func TestCacheTTLAndBound(t *testing.T) {
	d := dbtest.New(t)
	ch := liveChanges(t, d)
	c := db.NewCache[int](ch, "t", time.Nanosecond, 100)
	l := &counter{}
	get(t, c, "a", l)
	time.Sleep(time.Millisecond)
	if get(t, c, "a", l) != 2 {
		t.Fatal("an expired value was answered")
	}
	c = db.NewCache[int](ch, "t", time.Hour, 2)
	l1, l2, l3 := &counter{}, &counter{}, &counter{}
	get(t, c, "1", l1)
	get(t, c, "2", l2)
	get(t, c, "3", l3) // full: starts again with only this one
	if get(t, c, "3", l3) != 1 || get(t, c, "1", l1) != 2 {
		t.Fatal("the bound did not reset the cache")
	}
}

// A load that began before a change was announced must not store what it
// read: it may have read the row before the change committed.
func TestCacheLoadRacingAnAnnouncement(t *testing.T) {
	d := dbtest.New(t)
	ch := liveChanges(t, d)
	c := db.NewCache[int](ch, "t", time.Hour, 100)
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan int)
	go func() {
		v, _ := c.Get("a", "k", func() (int, db.Dirty, error) {
			close(started)
			<-release
			return 1, false, nil
		})
		done <- v
	}()
	<-started
	ch.Announce("t:a")
	close(release)
	if v := <-done; v != 1 {
		t.Fatalf("the racing load answered %d", v)
	}
	l := &counter{n: 1}
	if got := get(t, c, "a", l); got != 2 {
		t.Fatalf("the racing load's value was kept: Get = %d, want a new load", got)
	}
	// Errors are never kept either.
	boom := errors.New("boom")
	if _, err := c.Get("e", "k", func() (int, db.Dirty, error) { return 0, false, boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := get(t, c, "e", &counter{n: 6}); got != 7 {
		t.Fatal("a failed load was cached")
	}
}

// The triggers of migration 00081 announce committed writes to every
// listener, and mark the writing transaction dirty for its own reads.
func TestChangesAnnouncedByTriggers(t *testing.T) {
	d := dbtest.New(t)
	a, b := twoTenants(t, d)
	ch := liveChanges(t, d)
	got := make(chan string, 100)
	for _, topic := range []string{"sessions", "plugins", "order_settings", "distribution_settings"} {
		ch.Subscribe(topic, func(key string) { got <- topic + ":" + key })
	}
	expect := func(want string) {
		t.Helper()
		select {
		case g := <-got:
			if g != want {
				t.Fatalf("announced %q, want %q", g, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no announcement of %q", want)
		}
	}
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.Owner.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO order_settings (tenant_id, quote_key) VALUES ($1, 'k')`, a)
	expect("order_settings:" + string(a))
	exec(`INSERT INTO distribution_settings (tenant_id, settings) VALUES ($1, '{}')`, b)
	expect("distribution_settings:" + string(b))
	exec(`INSERT INTO tenant_plugins (tenant_id, plugin, kind, enabled, config) VALUES ($1, 'payment-sandbox', 'payment', true, '{}')`, b)
	expect("plugins:" + string(b))
	exec(`INSERT INTO plugin_availability (plugin, all_plans, plan_ids) VALUES ('payment-sandbox', true, '{}')`)
	expect("plugins:*")
	exec(`UPDATE tenants SET plan_id = plan_id WHERE id = $1`, a)
	expect("plugins:" + string(a))
	exec(`UPDATE members SET status = 'disabled' WHERE tenant_id = $1`, a)
	expect("sessions:" + string(a))
	// A member's other columns are not a session's business; a rolled-back
	// change announces nothing (the next announcement is the one after).
	exec(`UPDATE members SET email = 'x' || email WHERE tenant_id = $1`, b)
	tx, err := d.Owner.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE order_settings SET auto_confirm_days = 9 WHERE tenant_id = $1`, a); err != nil {
		t.Fatal(err)
	}
	var dirty bool
	if err := tx.GetContext(ctx, &dirty, `SELECT `+db.DirtyColumn("order_settings")); err != nil || !dirty {
		t.Fatalf("the writing transaction is not dirty (%v, %v)", dirty, err)
	}
	if err := tx.GetContext(ctx, &dirty, `SELECT `+db.DirtyColumn("plugins")); err != nil || dirty {
		t.Fatalf("another topic is dirty (%v, %v)", dirty, err)
	}
	_ = tx.Rollback()
	exec(`UPDATE distribution_settings SET settings = '{"depth": 2}' WHERE tenant_id = $1`, b)
	expect("distribution_settings:" + string(b))
	// Outside the writing transaction nothing is dirty.
	err = d.App.InTenant(tenancy.With(ctx, tenancy.Tenant{ID: a}), func(tx *db.Tx) error {
		return tx.GetContext(ctx, &dirty, `SELECT `+db.DirtyColumn("order_settings"))
	})
	if err != nil || dirty {
		t.Fatalf("a fresh transaction is dirty (%v, %v)", dirty, err)
	}
}
