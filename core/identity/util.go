package identity

import "github.com/lib/pq"

func pqArray(s []string) any { return pq.Array(s) }
