package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	banyanv1 "github.com/banyanmall/banyan/sdk/proto/banyan/v1"
)

// decoder turns wire strings into decimals and times, keeping the first
// error so a translation reads as straight-line code.
type decoder struct {
	err  error
	wrap error // ErrInvalidRequest on the plugin side, ErrContract on the host side
}

func (d *decoder) dec(s, what string) decimal.Decimal {
	if s == "" {
		return decimal.Zero
	}
	v, err := decimal.NewFromString(s)
	if err != nil && d.err == nil {
		d.err = fmt.Errorf("%w: %s: %q is not a decimal", d.wrap, what, s)
	}
	return v
}

func (d *decoder) decs(ss []string, what string) []decimal.Decimal {
	if len(ss) == 0 {
		return nil
	}
	out := make([]decimal.Decimal, len(ss))
	for i, s := range ss {
		out[i] = d.dec(s, what)
	}
	return out
}

func encDecs(ds []decimal.Decimal) []string {
	if len(ds) == 0 {
		return nil
	}
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

func fromUnixMs(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func toUnixMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromContext(c *banyanv1.PluginContext) PluginContext {
	if c == nil {
		return PluginContext{}
	}
	pc := PluginContext{
		TenantID:   c.TenantId,
		Currency:   c.Currency,
		MinorUnits: c.MinorUnits,
		Now:        fromUnixMs(c.NowUnixMs),
		Settings:   c.Settings,
	}
	if c.ConfigJson != "" {
		pc.ConfigJSON = []byte(c.ConfigJson)
	}
	return pc
}

func toContext(c PluginContext) *banyanv1.PluginContext {
	return &banyanv1.PluginContext{
		TenantId:   c.TenantID,
		ConfigJson: string(c.ConfigJSON),
		Currency:   c.Currency,
		MinorUnits: c.MinorUnits,
		NowUnixMs:  toUnixMs(c.Now),
		Settings:   c.Settings,
	}
}

var grpcCodes = map[Code]codes.Code{
	CodeInvalidConfig:  codes.InvalidArgument,
	CodeInvalidRequest: codes.InvalidArgument,
	CodeBadSignature:   codes.Unauthenticated,
	CodeStaleWebhook:   codes.Unauthenticated,
	CodeUnsupported:    codes.FailedPrecondition,
	CodeUnimplemented:  codes.Unimplemented,
}

// toStatus is how the plugin side answers an error: an *Error keeps its
// code and fields in the status details; anything else is a plugin failure.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return status.FromContextError(err).Err()
	}
	e, ok := AsError(err)
	if !ok {
		return status.Error(codes.Unknown, err.Error())
	}
	c, ok := grpcCodes[e.Code]
	if !ok {
		c = codes.FailedPrecondition
	}
	detail := &banyanv1.ErrorDetail{Code: string(e.Code), Message: e.Message}
	for _, f := range e.Fields {
		detail.Fields = append(detail.Fields, &banyanv1.FieldError{Path: f.Path, Message: f.Message})
	}
	st, derr := status.New(c, e.Error()).WithDetails(detail)
	if derr != nil {
		return status.Error(c, e.Error())
	}
	return st.Err()
}

// fromStatus is how the host side reads an error: typed plugin errors come
// back as *Error; transport and plugin failures stay gRPC status errors.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	for _, d := range st.Details() {
		if detail, ok := d.(*banyanv1.ErrorDetail); ok {
			e := &Error{Code: Code(detail.Code), Message: detail.Message}
			for _, f := range detail.Fields {
				e.Fields = append(e.Fields, FieldError{Path: f.Path, Message: f.Message})
			}
			return e
		}
	}
	if st.Code() == codes.Unimplemented {
		return &Error{Code: CodeUnimplemented, Message: st.Message()}
	}
	return err
}

// validateConfig is the ValidateConfig every kind's server shares.
func validateConfig(ctx context.Context, impl ConfigValidator, req *banyanv1.ValidateConfigRequest) (*banyanv1.ValidateConfigResponse, error) {
	err := impl.ValidateConfig(ctx, fromContext(req.GetContext()).ConfigJSON)
	if err != nil {
		return nil, toStatus(err)
	}
	return &banyanv1.ValidateConfigResponse{}, nil
}

// validateConfigClient is the ValidateConfig half every kind's client shares.
type validateConfigClient struct {
	call func(context.Context, *banyanv1.ValidateConfigRequest, ...grpc.CallOption) (*banyanv1.ValidateConfigResponse, error)
}

func (c validateConfigClient) ValidateConfig(ctx context.Context, config json.RawMessage) error {
	_, err := c.call(ctx, &banyanv1.ValidateConfigRequest{Context: &banyanv1.PluginContext{ConfigJson: string(config)}})
	return fromStatus(err)
}
