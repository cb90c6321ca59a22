package sdk

import (
	"context"

	banyanv1 "github.com/banyanmall/banyan/sdk/proto/banyan/v1"
)

type promotionServer struct {
	banyanv1.UnimplementedPromotionRuleServer
	impl PromotionRule
}

func (s *promotionServer) ValidateConfig(ctx context.Context, req *banyanv1.ValidateConfigRequest) (*banyanv1.ValidateConfigResponse, error) {
	return validateConfig(ctx, s.impl, req)
}

func (s *promotionServer) Apply(ctx context.Context, in *banyanv1.PromotionRequest) (*banyanv1.PromotionResult, error) {
	d := decoder{wrap: ErrInvalidRequest}
	req := decodePromotionRequest(&d, in)
	if d.err != nil {
		return nil, toStatus(d.err)
	}
	res, err := s.impl.Apply(ctx, req)
	if err != nil {
		return nil, toStatus(err)
	}
	return encodePromotionResult(res), nil
}

type promotionClient struct {
	validateConfigClient
	c banyanv1.PromotionRuleClient
}

func (c *promotionClient) Apply(ctx context.Context, req PromotionRequest) (PromotionResult, error) {
	out, err := c.c.Apply(ctx, encodePromotionRequest(req))
	if err != nil {
		return PromotionResult{}, fromStatus(err)
	}
	d := decoder{wrap: ErrContract}
	res := decodePromotionResult(&d, out)
	return res, d.err
}

func encodePromotionRequest(r PromotionRequest) *banyanv1.PromotionRequest {
	out := &banyanv1.PromotionRequest{
		Context:       toContext(r.Context),
		MemberId:      r.MemberID,
		MemberLevelId: r.MemberLevelID,
		Lines:         make([]*banyanv1.PromotionLine, len(r.Lines)),
		Campaigns:     make([]*banyanv1.Campaign, len(r.Campaigns)),
	}
	for i, l := range r.Lines {
		out.Lines[i] = &banyanv1.PromotionLine{
			LineId:     l.LineID,
			ProductId:  l.ProductID,
			SkuId:      l.SKUID,
			CategoryId: l.CategoryID,
			Quantity:   l.Quantity,
			UnitPrice:  l.UnitPrice.String(),
			Amount:     l.Amount.String(),
		}
	}
	for i, c := range r.Campaigns {
		out.Campaigns[i] = &banyanv1.Campaign{
			CampaignId:      c.CampaignID,
			Name:            c.Name,
			Priority:        int32(c.Priority),
			StackingGroup:   c.StackingGroup,
			Exclusive:       c.Exclusive,
			ConfigJson:      string(c.ConfigJSON),
			StartsAtUnixMs:  toUnixMs(c.StartsAt),
			EndsAtUnixMs:    toUnixMs(c.EndsAt),
			UsageLimit:      c.UsageLimit,
			UsedCount:       c.UsedCount,
			MemberUsedCount: c.MemberUsedCount,
		}
	}
	return out
}

func decodePromotionRequest(d *decoder, in *banyanv1.PromotionRequest) PromotionRequest {
	r := PromotionRequest{
		Context:       fromContext(in.Context),
		MemberID:      in.MemberId,
		MemberLevelID: in.MemberLevelId,
		Lines:         make([]PromotionLine, len(in.Lines)),
		Campaigns:     make([]Campaign, len(in.Campaigns)),
	}
	for i, l := range in.Lines {
		r.Lines[i] = PromotionLine{
			LineID:     l.LineId,
			ProductID:  l.ProductId,
			SKUID:      l.SkuId,
			CategoryID: l.CategoryId,
			Quantity:   l.Quantity,
			UnitPrice:  d.dec(l.UnitPrice, "unit_price"),
			Amount:     d.dec(l.Amount, "amount"),
		}
	}
	for i, c := range in.Campaigns {
		r.Campaigns[i] = Campaign{
			CampaignID:      c.CampaignId,
			Name:            c.Name,
			Priority:        int(c.Priority),
			StackingGroup:   c.StackingGroup,
			Exclusive:       c.Exclusive,
			StartsAt:        fromUnixMs(c.StartsAtUnixMs),
			EndsAt:          fromUnixMs(c.EndsAtUnixMs),
			UsageLimit:      c.UsageLimit,
			UsedCount:       c.UsedCount,
			MemberUsedCount: c.MemberUsedCount,
		}
		if c.ConfigJson != "" {
			r.Campaigns[i].ConfigJSON = []byte(c.ConfigJson)
		}
	}
	return r
}

func encodePromotionResult(r PromotionResult) *banyanv1.PromotionResult {
	out := &banyanv1.PromotionResult{
		Adjustments: make([]*banyanv1.Adjustment, len(r.Adjustments)),
		Gifts:       make([]*banyanv1.GiftLine, len(r.Gifts)),
	}
	for i, a := range r.Adjustments {
		out.Adjustments[i] = &banyanv1.Adjustment{
			CampaignId:    a.CampaignID,
			LineIds:       a.LineIDs,
			Amount:        a.Amount.String(),
			Reason:        a.Reason,
			StackingGroup: a.StackingGroup,
			Exclusive:     a.Exclusive,
		}
	}
	for i, g := range r.Gifts {
		out.Gifts[i] = &banyanv1.GiftLine{CampaignId: g.CampaignID, SkuId: g.SKUID, Quantity: g.Quantity, Reason: g.Reason}
	}
	return out
}

func decodePromotionResult(d *decoder, in *banyanv1.PromotionResult) PromotionResult {
	var r PromotionResult
	for _, a := range in.Adjustments {
		r.Adjustments = append(r.Adjustments, Adjustment{
			CampaignID:    a.CampaignId,
			LineIDs:       a.LineIds,
			Amount:        d.dec(a.Amount, "amount"),
			Reason:        a.Reason,
			StackingGroup: a.StackingGroup,
			Exclusive:     a.Exclusive,
		})
	}
	for _, g := range in.Gifts {
		r.Gifts = append(r.Gifts, GiftLine{CampaignID: g.CampaignId, SKUID: g.SkuId, Quantity: g.Quantity, Reason: g.Reason})
	}
	return r
}
