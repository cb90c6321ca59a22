// Package pluginclient is the host side of the plugin protocol: the handshake,
// the plugin sets and typed clients that return the SDK's own interfaces, so
// the host never touches proto. Package core/pluginhost builds on it;
// package sdk/plugintest uses it to test a plugin binary.
package pluginclient

import (
	"crypto/sha256"
	"fmt"
	"os/exec"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/banyanmall/banyan/sdk"
	"github.com/banyanmall/banyan/sdk/internal/wire"
	banyanv1 "github.com/banyanmall/banyan/sdk/proto/banyan/v1"
)

// Handshake is the go-plugin handshake of protocol 1.
var Handshake = wire.Handshake

// VersionedPlugins is the host's plugin set per protocol version.
func VersionedPlugins() map[int]plugin.PluginSet { return wire.ClientPlugins() }

// Config returns the client config that launches the plugin binary at path:
// gRPC only, AutoMTLS, and, when checksum is set, go-plugin's SecureConfig
// check of the binary's sha256 before it runs, and a fixed flow-control
// window (see DialOptions). Callers add logging and timeouts.
func Config(path string, checksum []byte) *plugin.ClientConfig {
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: VersionedPlugins(),
		Cmd:              exec.Command(path),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		GRPCDialOptions:  DialOptions(),
	}
	if checksum != nil {
		cfg.SecureConfig = &plugin.SecureConfig{Checksum: checksum, Hash: sha256.New()}
	}
	return cfg
}

// DialOptions are the gRPC dial options of the host's end of a plugin
// connection: a fixed HTTP/2 flow-control window, as the plugin's end (sdk.Serve)
// has, which spares every call a PING and a WINDOW_UPDATE each way.
// Config sets them; a caller dialing a plugin by other means adds them.
func DialOptions() []grpc.DialOption { return wire.DialOptions() }

// ServerOptions are the gRPC server options sdk.Serve gives a plugin's end;
// a server set up by Register for a test takes them to behave the same.
func ServerOptions() []grpc.ServerOption { return wire.ServerOptions() }

// Dispense returns the implementation of kind served by a started client:
// an sdk.CommissionScheme, sdk.PromotionRule or sdk.PaymentProvider.
func Dispense(c plugin.ClientProtocol, kind sdk.Kind) (any, error) {
	switch kind {
	case sdk.KindCommission, sdk.KindPromotion, sdk.KindPayment:
	default:
		return nil, fmt.Errorf("pluginclient: unknown kind %q", kind)
	}
	raw, err := c.Dispense(string(kind))
	if err != nil {
		return nil, fmt.Errorf("pluginclient: dispense %s: %w", kind, err)
	}
	return raw, nil
}

// Commission dispenses a commission scheme.
func Commission(c plugin.ClientProtocol) (sdk.CommissionScheme, error) {
	raw, err := Dispense(c, sdk.KindCommission)
	if err != nil {
		return nil, err
	}
	return raw.(sdk.CommissionScheme), nil
}

// Promotion dispenses a promotion rule.
func Promotion(c plugin.ClientProtocol) (sdk.PromotionRule, error) {
	raw, err := Dispense(c, sdk.KindPromotion)
	if err != nil {
		return nil, err
	}
	return raw.(sdk.PromotionRule), nil
}

// Payment dispenses a payment provider; it also implements
// sdk.SandboxSimulator, which answers sdk.ErrUnimplemented when the plugin
// lacks it.
func Payment(c plugin.ClientProtocol) (sdk.PaymentProvider, error) {
	raw, err := Dispense(c, sdk.KindPayment)
	if err != nil {
		return nil, err
	}
	return raw.(sdk.PaymentProvider), nil
}

// Register serves impl of kind on a plain gRPC server, without go-plugin:
// for tests and benchmarks that measure the protocol alone.
func Register(s *grpc.Server, kind sdk.Kind, impl any) error {
	switch kind {
	case sdk.KindCommission:
		banyanv1.RegisterCommissionSchemeServer(s, wire.Adapters.CommissionServer(impl))
	case sdk.KindPromotion:
		banyanv1.RegisterPromotionRuleServer(s, wire.Adapters.PromotionServer(impl))
	case sdk.KindPayment:
		banyanv1.RegisterPaymentProviderServer(s, wire.Adapters.PaymentServer(impl))
	default:
		return fmt.Errorf("pluginclient: unknown kind %q", kind)
	}
	return nil
}

// NewGRPC is the client of a plain gRPC connection to a server set up by
// Register.
func NewGRPC(cc grpc.ClientConnInterface, kind sdk.Kind) (any, error) {
	switch kind {
	case sdk.KindCommission:
		return wire.Adapters.CommissionClient(banyanv1.NewCommissionSchemeClient(cc)), nil
	case sdk.KindPromotion:
		return wire.Adapters.PromotionClient(banyanv1.NewPromotionRuleClient(cc)), nil
	case sdk.KindPayment:
		return wire.Adapters.PaymentClient(banyanv1.NewPaymentProviderClient(cc)), nil
	}
	return nil, fmt.Errorf("pluginclient: unknown kind %q", kind)
}
