package pluginhost

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/banyanmall/banyan/core/pluginhost/internal/testscheme"
	"github.com/banyanmall/banyan/sdk"
	"github.com/banyanmall/banyan/sdk/pluginclient"
)

// BenchmarkPluginCall compares one Compute of the same scheme three ways:
// through the host (a go-plugin process: AutoMTLS gRPC over a unix socket,
// with deadline, metrics, breaker and result checks), in process, and over
// plain gRPC on a unix socket inside this process. It logs host/grpc, whose
// budget is 5×.
func BenchmarkPluginCall(b *testing.B) {
	ctx := context.Background()
	req := order(`{}`, nil)
	h := newHost(b, pluginDir(b, "testplugin"), Options{})
	hosted, err := h.Commission("testplugin")
	if err != nil {
		b.Fatal(err)
	}
	plain := plainGRPC(b)
	ns := map[string]float64{}
	for _, c := range []struct {
		name     string
		s        sdk.CommissionScheme
		parallel bool
	}{
		{"host", hosted, false},
		{"inprocess", testscheme.Scheme{}, false},
		{"grpc", plain, false},
		{"host-parallel", hosted, true},
		{"grpc-parallel", plain, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			if c.parallel {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := c.s.Compute(ctx, req); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for b.Loop() {
					if _, err := c.s.Compute(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
			}
			ns[c.name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
	}
	if ns["grpc"] > 0 && ns["grpc-parallel"] > 0 {
		fmt.Printf("BenchmarkPluginCall: ratio host/grpc = %.2f (budget 5), parallel %.2f; host %.0f ns/call, grpc %.0f, in process %.0f\n",
			ns["host"]/ns["grpc"], ns["host-parallel"]/ns["grpc-parallel"], ns["host"], ns["grpc"], ns["inprocess"])
	}
}

// plainGRPC serves testscheme over gRPC on a unix socket in this process.
func plainGRPC(b *testing.B) sdk.CommissionScheme {
	b.Helper()
	lis, err := net.Listen("unix", filepath.Join(b.TempDir(), "plain.sock"))
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer()
	if err := pluginclient.Register(srv, sdk.KindCommission, testscheme.Scheme{}); err != nil {
		b.Fatal(err)
	}
	go srv.Serve(lis)
	b.Cleanup(srv.Stop)
	cc, err := grpc.NewClient("unix://"+lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cc.Close() })
	s, err := pluginclient.NewGRPC(cc, sdk.KindCommission)
	if err != nil {
		b.Fatal(err)
	}
	return s.(sdk.CommissionScheme)
}
