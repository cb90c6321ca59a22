// Package wire holds the go-plugin shims of protocol 1: the handshake and one
// plugin.GRPCPlugin per kind. GRPCServer registers the implementation,
// GRPCClient wraps the stub. The shims speak proto only; the translation to
// the SDK's Go types lives in package sdk, which installs it in Adapters.
package wire

import (
	"context"
	"fmt"
	"runtime"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	banyanv1 "github.com/banyanmall/banyan/sdk/proto/banyan/v1"
)

// Handshake keeps a plugin binary from running as a plain program and the
// host from starting something that is not a Banyan plugin.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "BANYAN_PLUGIN",
	MagicCookieValue: "7f9c2e4a-banyan-plugin-protocol",
}

// Window is the HTTP/2 flow-control window, per stream and per connection,
// of both ends of a plugin connection. Setting it turns off gRPC's dynamic
// window (BDP estimation), which on this connection cost a PING and a
// WINDOW_UPDATE each way with every call — a write and a read more on both
// sides, and a wake-up of each process, for messages of a few hundred bytes
// on a local socket, where the bandwidth-delay product it estimates is tiny.
// 1 MiB is far more than any request or answer of the protocol.
const Window = 1 << 20

// ServerOptions are the plugin side's gRPC server options: the window
// above, and a few long-lived goroutines that run the calls (4 per
// GOMAXPROCS; gRPC starts a goroutine of its own when all are busy).
// Without them every call ran on a new goroutine whose stack had to grow,
// by copying, several times on its way through gRPC, the SDK's decoding and
// the plugin (decimal formatting, JSON): 10–15% of a built-in plugin's CPU.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.InitialWindowSize(Window), grpc.InitialConnWindowSize(Window),
		grpc.NumStreamWorkers(uint32(4 * runtime.GOMAXPROCS(0))),
	}
}

// DialOptions are the host side's gRPC dial options.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithInitialWindowSize(Window), grpc.WithInitialConnWindowSize(Window)}
}

// Plugin set keys, one per kind; they match the manifest's kind.
const (
	Commission = "commission"
	Promotion  = "promotion"
	Payment    = "payment"
)

// Adapters translate between proto and the SDK's Go types. Package sdk sets
// them in its init; anything that dispenses a plugin imports sdk.
var Adapters struct {
	CommissionServer func(impl any) banyanv1.CommissionSchemeServer
	CommissionClient func(banyanv1.CommissionSchemeClient) any
	PromotionServer  func(impl any) banyanv1.PromotionRuleServer
	PromotionClient  func(banyanv1.PromotionRuleClient) any
	PaymentServer    func(impl any) banyanv1.PaymentProviderServer
	PaymentClient    func(banyanv1.PaymentProviderClient) any
}

// CommissionPlugin serves or dispenses a commission scheme.
type CommissionPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl any // sdk.CommissionScheme, plugin side only
}

func (p *CommissionPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	banyanv1.RegisterCommissionSchemeServer(s, Adapters.CommissionServer(p.Impl))
	return nil
}

func (p *CommissionPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return Adapters.CommissionClient(banyanv1.NewCommissionSchemeClient(c)), nil
}

// PromotionPlugin serves or dispenses a promotion rule.
type PromotionPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl any // sdk.PromotionRule, plugin side only
}

func (p *PromotionPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	banyanv1.RegisterPromotionRuleServer(s, Adapters.PromotionServer(p.Impl))
	return nil
}

func (p *PromotionPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return Adapters.PromotionClient(banyanv1.NewPromotionRuleClient(c)), nil
}

// PaymentPlugin serves or dispenses a payment provider.
type PaymentPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl any // sdk.PaymentProvider, plugin side only
}

func (p *PaymentPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	banyanv1.RegisterPaymentProviderServer(s, Adapters.PaymentServer(p.Impl))
	return nil
}

func (p *PaymentPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return Adapters.PaymentClient(banyanv1.NewPaymentProviderClient(c)), nil
}

// ClientPlugins is the host's plugin set for each protocol version.
func ClientPlugins() map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		1: {
			Commission: &CommissionPlugin{},
			Promotion:  &PromotionPlugin{},
			Payment:    &PaymentPlugin{},
		},
	}
}

// ServerPlugins is the plugin side's set: one kind, one implementation.
func ServerPlugins(kind string, impl any) (map[int]plugin.PluginSet, error) {
	var p plugin.Plugin
	switch kind {
	case Commission:
		p = &CommissionPlugin{Impl: impl}
	case Promotion:
		p = &PromotionPlugin{Impl: impl}
	case Payment:
		p = &PaymentPlugin{Impl: impl}
	default:
		return nil, fmt.Errorf("unknown plugin kind %q", kind)
	}
	return map[int]plugin.PluginSet{1: {kind: p}}, nil
}
