package sdk

import (
	"context"

	banyanv1 "github.com/banyanmall/banyan/sdk/proto/banyan/v1"
)

type commissionServer struct {
	banyanv1.UnimplementedCommissionSchemeServer
	impl CommissionScheme
}

func (s *commissionServer) ValidateConfig(ctx context.Context, req *banyanv1.ValidateConfigRequest) (*banyanv1.ValidateConfigResponse, error) {
	return validateConfig(ctx, s.impl, req)
}

func (s *commissionServer) Compute(ctx context.Context, in *banyanv1.CommissionRequest) (*banyanv1.CommissionResult, error) {
	d := decoder{wrap: ErrInvalidRequest}
	req := decodeCommissionRequest(&d, in)
	if d.err != nil {
		return nil, toStatus(d.err)
	}
	res, err := s.impl.Compute(ctx, req)
	if err != nil {
		return nil, toStatus(err)
	}
	return encodeCommissionResult(res), nil
}

type commissionClient struct {
	validateConfigClient
	c banyanv1.CommissionSchemeClient
}

func (c *commissionClient) Compute(ctx context.Context, req CommissionRequest) (CommissionResult, error) {
	out, err := c.c.Compute(ctx, encodeCommissionRequest(req))
	if err != nil {
		return CommissionResult{}, fromStatus(err)
	}
	d := decoder{wrap: ErrContract}
	res := decodeCommissionResult(&d, out)
	return res, d.err
}

func encodeCommissionRequest(r CommissionRequest) *banyanv1.CommissionRequest {
	out := &banyanv1.CommissionRequest{
		Context:            toContext(r.Context),
		OrderId:            r.OrderID,
		OrderNo:            r.OrderNo,
		BuyerMemberId:      r.BuyerID,
		BuyerIsDistributor: r.BuyerIsDistributor,
		Depth:              int32(r.Depth),
		SelfPurchase:       r.SelfPurchase,
		Lines:              make([]*banyanv1.CommissionLine, len(r.Lines)),
		Upline:             make([]*banyanv1.Upline, len(r.Upline)),
	}
	for i, l := range r.Lines {
		out.Lines[i] = &banyanv1.CommissionLine{
			LineId:        l.LineID,
			ProductId:     l.ProductID,
			SkuId:         l.SKUID,
			CategoryId:    l.CategoryID,
			Quantity:      l.Quantity,
			UnitPrice:     l.UnitPrice.String(),
			PaidAmount:    l.PaidAmount.String(),
			Distribution:  string(l.Distribution),
			OverrideRates: encDecs(l.OverrideRates),
		}
	}
	for i, u := range r.Upline {
		out.Upline[i] = &banyanv1.Upline{
			MemberId:   u.MemberID,
			Level:      int32(u.Level),
			GradeId:    u.GradeID,
			GradeName:  u.GradeName,
			GradeRates: encDecs(u.GradeRates),
		}
	}
	return out
}

func decodeCommissionRequest(d *decoder, in *banyanv1.CommissionRequest) CommissionRequest {
	r := CommissionRequest{
		Context:            fromContext(in.Context),
		OrderID:            in.OrderId,
		OrderNo:            in.OrderNo,
		BuyerID:            in.BuyerMemberId,
		BuyerIsDistributor: in.BuyerIsDistributor,
		Depth:              int(in.Depth),
		SelfPurchase:       in.SelfPurchase,
		Lines:              make([]CommissionLine, len(in.Lines)),
		Upline:             make([]Upline, len(in.Upline)),
	}
	for i, l := range in.Lines {
		mode := DistributionMode(l.Distribution)
		if mode == "" {
			mode = DistributeDefault
		}
		r.Lines[i] = CommissionLine{
			LineID:        l.LineId,
			ProductID:     l.ProductId,
			SKUID:         l.SkuId,
			CategoryID:    l.CategoryId,
			Quantity:      l.Quantity,
			UnitPrice:     d.dec(l.UnitPrice, "unit_price"),
			PaidAmount:    d.dec(l.PaidAmount, "paid_amount"),
			Distribution:  mode,
			OverrideRates: d.decs(l.OverrideRates, "override_rates"),
		}
	}
	for i, u := range in.Upline {
		r.Upline[i] = Upline{
			MemberID:   u.MemberId,
			Level:      int(u.Level),
			GradeID:    u.GradeId,
			GradeName:  u.GradeName,
			GradeRates: d.decs(u.GradeRates, "grade_rates"),
		}
	}
	return r
}

func encodeCommissionResult(r CommissionResult) *banyanv1.CommissionResult {
	out := &banyanv1.CommissionResult{Beneficiaries: make([]*banyanv1.Beneficiary, len(r.Beneficiaries))}
	for i, b := range r.Beneficiaries {
		out.Beneficiaries[i] = &banyanv1.Beneficiary{
			LineId:   b.LineID,
			MemberId: b.MemberID,
			Level:    int32(b.Level),
			Base:     b.Base.String(),
			Rate:     b.Rate.String(),
			Amount:   b.Amount.String(),
			Note:     b.Note,
		}
	}
	return out
}

func decodeCommissionResult(d *decoder, in *banyanv1.CommissionResult) CommissionResult {
	var r CommissionResult
	for _, b := range in.Beneficiaries {
		r.Beneficiaries = append(r.Beneficiaries, Beneficiary{
			LineID:   b.LineId,
			MemberID: b.MemberId,
			Level:    int(b.Level),
			Base:     d.dec(b.Base, "base"),
			Rate:     d.dec(b.Rate, "rate"),
			Amount:   d.dec(b.Amount, "amount"),
			Note:     b.Note,
		})
	}
	return r
}
