package api

import (
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/page"
)

// pageOf reads ?cursor= and ?limit=.
func pageOf(r *http.Request) (page.Request, error) {
	q := r.URL.Query()
	p := page.Request{Cursor: q.Get("cursor")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > page.MaxLimit {
			return p, errs.Field("limit", "out_of_range", "limit must be a whole number from 1 to 100")
		}
		p.Limit = n
	}
	return p.Normalize(), nil
}

// List is the shape of every paginated answer.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func list[T any](items []T, next string) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items, NextCursor: next}
}

func pathVar(r *http.Request, name string) string { return mux.Vars(r)[name] }
