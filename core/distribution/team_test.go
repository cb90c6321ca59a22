package distribution_test

import (
	"strings"
	"testing"

	"github.com/banyanmall/banyan/core/distribution"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/page"
)

// children reads every page of one level of a's team tree below parent as
// "id:level:children", checking the page size on the way.
func (e *env) children(a, parent string, limit int) []string {
	e.t.Helper()
	var out []string
	cursor := ""
	for pages := 0; ; pages++ {
		items, next, err := e.s.TeamChildren(e.ctx, a, parent, page.Request{Cursor: cursor, Limit: limit})
		if err != nil {
			e.t.Fatalf("team of %s below %s: %v", a, parent, err)
		}
		if len(items) > limit || pages > 10 {
			e.t.Fatalf("page of %d (limit %d)", len(items), limit)
		}
		for _, n := range items {
			out = append(out, n.MemberID+":"+string(rune('0'+n.Level))+":"+string(rune('0'+n.Children)))
		}
		if next == "" {
			return out
		}
		cursor = next
	}
}

func TestTeamChildren(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.settings(func(s *distribution.Settings) { s.Depth = 2 })
	// a ← b, x1, x2; b ← c, y; c ← z.
	a, codeA := e.distributor()
	b, codeB := e.distributor()
	c, codeC := e.distributor()
	e.mustBind(b, codeA)
	e.mustBind(c, codeB)
	x1, x2, y, z := e.member(), e.member(), e.member(), e.member()
	e.mustBind(x1, codeA)
	e.mustBind(x2, codeA)
	e.mustBind(y, codeB)
	e.mustBind(z, codeC)

	has := func(got []string, want ...string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		for _, w := range want {
			if !strings.Contains(strings.Join(got, " "), w) {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
	}
	// Direct members over two pages; b has two members of its own.
	has(e.children(a, "", 2), b+":1:2", x1+":1:0", x2+":1:0")
	has(e.children(a, a, 100), b+":1:2", x1+":1:0", x2+":1:0")
	// Level 2 is the last at depth 2: no children counted below it, and
	// nothing is listed below c.
	has(e.children(a, b, 1), c+":2:0", y+":2:0")
	has(e.children(a, c, 10))
	// At depth 3, z shows under c.
	e.settings(func(s *distribution.Settings) { s.Depth = 3 })
	has(e.children(a, b, 10), c+":2:1", y+":2:0")
	has(e.children(a, c, 10), z+":3:0")

	// A parent outside the distributor's team, or someone who is not a
	// distributor, is not found.
	for _, bad := range [][2]string{{b, x1}, {a, e.member()}, {a, "not-a-uuid"}, {x1, ""}, {"not-a-uuid", ""}} {
		if _, _, err := e.s.TeamChildren(e.ctx, bad[0], bad[1], page.Request{}); !errs.Is(err, errs.NotFound) {
			t.Fatalf("team of %s below %s: %v", bad[0], bad[1], err)
		}
	}
}
