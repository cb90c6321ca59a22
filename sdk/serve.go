package sdk

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/banyanmall/banyan/sdk/internal/wire"
	banyanv1 "github.com/banyanmall/banyan/sdk/proto/banyan/v1"
)

func init() {
	wire.Adapters.CommissionServer = func(impl any) banyanv1.CommissionSchemeServer {
		return &commissionServer{impl: impl.(CommissionScheme)}
	}
	wire.Adapters.CommissionClient = func(c banyanv1.CommissionSchemeClient) any {
		return &commissionClient{validateConfigClient{c.ValidateConfig}, c}
	}
	wire.Adapters.PromotionServer = func(impl any) banyanv1.PromotionRuleServer {
		return &promotionServer{impl: impl.(PromotionRule)}
	}
	wire.Adapters.PromotionClient = func(c banyanv1.PromotionRuleClient) any {
		return &promotionClient{validateConfigClient{c.ValidateConfig}, c}
	}
	wire.Adapters.PaymentServer = func(impl any) banyanv1.PaymentProviderServer {
		return &paymentServer{impl: impl.(PaymentProvider)}
	}
	wire.Adapters.PaymentClient = func(c banyanv1.PaymentProviderClient) any {
		return &paymentClient{validateConfigClient{c.ValidateConfig}, c}
	}
}

// ServeOpts names the one implementation a plugin serves: set exactly one field.
type ServeOpts struct {
	Commission CommissionScheme
	Promotion  PromotionRule
	Payment    PaymentProvider
}

func (o ServeOpts) kind() (string, any, error) {
	var kind string
	var impl any
	n := 0
	if o.Commission != nil {
		kind, impl, n = wire.Commission, o.Commission, n+1
	}
	if o.Promotion != nil {
		kind, impl, n = wire.Promotion, o.Promotion, n+1
	}
	if o.Payment != nil {
		kind, impl, n = wire.Payment, o.Payment, n+1
	}
	if n != 1 {
		return "", nil, fmt.Errorf("sdk.Serve: set exactly one of Commission, Promotion, Payment (got %d)", n)
	}
	return kind, impl, nil
}

// Serve runs the plugin until the host stops it; call it once from main.
// Run by hand, the binary says it is a plugin and exits. Since protocol 1.
func Serve(opts ServeOpts) {
	kind, impl, err := opts.kind()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sets, err := wire.ServerPlugins(kind, impl)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if dir := os.Getenv(EnvCPUProfile); dir != "" {
		startProfiling(dir)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: sets,
		GRPCServer: func(o []grpc.ServerOption) *grpc.Server {
			o = append(o, wire.ServerOptions()...)
			return grpc.NewServer(append(o, grpc.ChainUnaryInterceptor(recoverPanic))...)
		},
	})
}

// recoverPanic turns a panic in the implementation into an error answer, so
// one bad request does not take the process (and every tenant's calls) down.
func recoverPanic(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "panic in %s: %v\n%s", info.FullMethod, r, debug.Stack())
			err = status.Errorf(codes.Internal, "plugin panicked: %v", r)
		}
	}()
	return next(ctx, req)
}
