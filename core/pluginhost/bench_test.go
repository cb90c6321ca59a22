package pluginhost

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/banyanmall/banyan/core/internal/procstat"
	"github.com/banyanmall/banyan/core/pluginhost/internal/testscheme"
	"github.com/banyanmall/banyan/sdk"
	"github.com/banyanmall/banyan/sdk/pluginclient"
)

// BenchmarkPluginCall compares one Compute of the same scheme three ways:
// through the host (a go-plugin process: AutoMTLS gRPC over a unix socket,
// with deadline, metrics, breaker and result checks), in process, and over
// plain gRPC on a unix socket inside this process. It logs host/grpc, whose
// budget is 5×. The host cases also report the CPU each call costs this
// process (host_cpu_µs/op: the client side, with the benchmark loop) and the
// plugin's process (plugin_cpu_µs/op).
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
			var cpu cpuMeter
			if c.s == hosted {
				cpu = startCPU(h, "testplugin")
			}
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
			cpu.report(b)
			ns[c.name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
	}
	if ns["grpc"] > 0 && ns["grpc-parallel"] > 0 {
		fmt.Printf("BenchmarkPluginCall: ratio host/grpc = %.2f (budget 5), parallel %.2f; host %.0f ns/call, grpc %.0f, in process %.0f\n",
			ns["host"]/ns["grpc"], ns["host-parallel"]/ns["grpc-parallel"], ns["host"], ns["grpc"], ns["inprocess"])
	}
}

// BenchmarkCheckoutCalls makes the four plugin calls of one checkout
// (promotion Apply at quote and at order, CreatePayment, VerifyWebhook of
// the signed notification) through the host against the built-in plugins,
// with requests shaped like core/orders' for a one-line cart, and reports
// the CPU they cost on both sides per checkout.
func BenchmarkCheckoutCalls(b *testing.B) {
	ctx := context.Background()
	h := newHost(b, pluginDir(b, "promotion-basic", "payment-sandbox"), Options{})
	promo, err := h.Promotion("promotion-basic")
	if err != nil {
		b.Fatal(err)
	}
	pay, err := h.Payment("payment-sandbox")
	if err != nil {
		b.Fatal(err)
	}
	pc := pctx(`{"webhook_secret":"bench-secret-0123456789"}`, nil)
	quote := sdk.PromotionRequest{
		Context:  pctx(`{}`, nil),
		MemberID: "0b7c5d3e-8f1a-4c2b-9d6e-1f2a3b4c5d6e", MemberLevelID: "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
		Lines: []sdk.PromotionLine{{LineID: "0", ProductID: "8c1f0e2d-3b4a-4c5d-9e6f-7a8b9c0d1e2f", SKUID: "9d2e1f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a",
			CategoryID: "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b", Quantity: 1, UnitPrice: d("259.00"), Amount: d("259.00")}},
		Campaigns: []sdk.Campaign{{CampaignID: "2f3a4b5c-6d7e-4f8a-9b0c-1d2e3f4a5b6c", Name: "满199减20", Priority: 10,
			ConfigJSON: json.RawMessage(`{"type":"full_reduction","tiers":[{"spend":"199","save":"20"}]}`)}},
	}
	payment := sdk.PaymentRequest{Context: pc, PaymentID: "3a4b5c6d-7e8f-4a9b-8c0d-1e2f3a4b5c6d", OrderNo: "N2026050112000001",
		Amount: d("239.00"), Currency: "CNY", Description: "Order N2026050112000001",
		ReturnURL: "http://bench.localhost/orders/x", NotifyURL: "http://bench.localhost/api/v1/webhooks/payments/payment-sandbox/bench"}
	intent, err := pay.CreatePayment(ctx, payment)
	if err != nil {
		b.Fatal(err)
	}
	hook, err := pay.(sdk.SandboxSimulator).SimulatePayment(ctx, sdk.SimulateRequest{Context: pc, PaymentID: payment.PaymentID,
		ProviderRef: intent.ProviderRef, Amount: payment.Amount, Currency: "CNY", Approve: true})
	if err != nil {
		b.Fatal(err)
	}
	checkout := func() error {
		for range 2 {
			res, err := promo.Apply(ctx, quote)
			if err != nil {
				return err
			}
			if len(res.Adjustments) != 1 {
				return fmt.Errorf("adjustments %+v", res.Adjustments)
			}
		}
		if _, err := pay.CreatePayment(ctx, payment); err != nil {
			return err
		}
		_, err := pay.VerifyWebhook(ctx, sdk.WebhookRequest{Context: pc, Headers: hook.Headers, Body: hook.Body})
		return err
	}
	for _, parallel := range []bool{false, true} {
		name := "serial"
		if parallel {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) {
			cpu := startCPU(h, "promotion-basic", "payment-sandbox")
			if parallel {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := checkout(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for b.Loop() {
					if err := checkout(); err != nil {
						b.Fatal(err)
					}
				}
			}
			cpu.report(b)
		})
	}
}

// cpuMeter measures the CPU this process and some plugin processes spend
// over a benchmark.
type cpuMeter struct {
	pids        []int
	self, plugs time.Duration
	switches    int64
}

func startCPU(h *Host, plugins ...string) cpuMeter {
	m := cpuMeter{}
	for _, name := range plugins {
		p := h.procs[name]
		p.mu.Lock()
		if p.inst != nil {
			m.pids = append(m.pids, p.inst.pid)
		}
		p.mu.Unlock()
	}
	m.self, m.plugs, m.switches = procstat.Self(), procstat.CPU(m.pids), ctxSwitches(m.pids)
	return m
}

func (m cpuMeter) report(b *testing.B) {
	if m.pids == nil || b.N == 0 {
		return
	}
	n := float64(b.N)
	b.ReportMetric(float64((procstat.Self()-m.self).Microseconds())/n, "host_cpu_µs/op")
	b.ReportMetric(float64((procstat.CPU(m.pids)-m.plugs).Microseconds())/n, "plugin_cpu_µs/op")
	b.ReportMetric(float64(ctxSwitches(m.pids)-m.switches)/n, "plugin_ctxsw/op")
}

// ctxSwitches counts the context switches of every thread of pids so far.
func ctxSwitches(pids []int) int64 {
	var n int64
	for _, pid := range pids {
		tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
		for _, t := range tasks {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + t.Name() + "/status")
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(b), "\n") {
				if k, v, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
					c, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
					n += c
				}
			}
		}
	}
	return n
}

// plainGRPC serves testscheme over gRPC on a unix socket in this process,
// with the same gRPC options as the host and sdk.Serve.
func plainGRPC(b *testing.B) sdk.CommissionScheme {
	b.Helper()
	lis, err := net.Listen("unix", filepath.Join(b.TempDir(), "plain.sock"))
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer(pluginclient.ServerOptions()...)
	if err := pluginclient.Register(srv, sdk.KindCommission, testscheme.Scheme{}); err != nil {
		b.Fatal(err)
	}
	go srv.Serve(lis)
	b.Cleanup(srv.Stop)
	cc, err := grpc.NewClient("unix://"+lis.Addr().String(),
		append(pluginclient.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
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
