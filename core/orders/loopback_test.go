package orders_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/banyanmall/banyan/core/orders"
)

// TestLoopbackLocalhost: a shop's {slug}.localhost host reaches a server on
// the loopback address (the sandbox webhook in development), with the Host
// header kept; other names are left to the resolver.
func TestLoopbackLocalhost(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(r.Host)) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	c := &http.Client{Transport: orders.LoopbackLocalhost()}
	for _, host := range []string{"shop-a.localhost", "Deep.Shop.LOCALHOST", "localhost"} {
		res, err := c.Get("http://" + net.JoinHostPort(host, port) + "/")
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		b := make([]byte, 64)
		n, _ := res.Body.Read(b)
		res.Body.Close()
		if res.StatusCode != 200 || string(b[:n]) != net.JoinHostPort(host, port) {
			t.Errorf("%s: %d %q", host, res.StatusCode, b[:n])
		}
	}
	if _, err := c.Get("http://shop.localhost.invalid:" + port + "/"); err == nil {
		t.Error("a name outside .localhost reached the loopback server")
	}
}
