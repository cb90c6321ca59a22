package storefront

import (
	"net/http"
	"strings"

	"github.com/shopspring/decimal"
)

// langCookie remembers the language chosen with ?lang=.
const langCookie = "banyan_lang"

// langOf is the request's language: ?lang= (remembered in a cookie), the
// cookie, else Chinese.
func langOf(w http.ResponseWriter, r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q != "" {
		l := normLang(q)
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil {
		return normLang(c.Value)
	}
	return "zh"
}

func normLang(s string) string {
	if strings.HasPrefix(strings.ToLower(s), "en") {
		return "en"
	}
	return "zh"
}

func htmlLang(l string) string {
	if l == "en" {
		return "en"
	}
	return "zh-CN"
}

func messages(l string) map[string]string {
	if l == "en" {
		return en
	}
	return zh
}

// money formats an amount with two decimals.
func money(d decimal.Decimal) string { return d.StringFixed(2) }

var currencySymbols = map[string]string{"CNY": "¥", "HKD": "HK$", "TWD": "NT$", "USD": "$", "EUR": "€", "JPY": "¥", "SGD": "S$", "GBP": "£"}

// zh and en are the storefront's message catalogue. Keys used by the
// JavaScript are sent to it in the page (data-i18n JSON).
var zh = map[string]string{
	"shop_not_found": "店铺不存在", "shop_not_found_text": "您访问的店铺不存在或已关闭。",
	"shop_suspended": "店铺已暂停营业", "shop_suspended_text": "该店铺已被暂停，暂时无法访问。",
	"page_not_found": "页面不存在", "page_not_found_text": "您要找的页面不存在或商品已下架。",
	"bad_request": "请求有误", "bad_request_text": "请检查您的输入后重试。",
	"error": "出错了", "error_text": "请稍后再试。", "banners": "店铺推荐",
	"home": "首页", "categories": "分类", "all_categories": "全部分类", "cart": "购物车", "me": "我的",
	"search": "搜索", "search_placeholder": "搜索商品", "recommended": "为你推荐", "best_sellers": "热销商品",
	"new_arrivals": "新品上架", "more": "加载更多", "no_results": "没有找到相关商品",
	"sort": "排序", "sort_relevance": "综合", "sort_newest": "最新", "sort_sales": "销量", "sort_price_asc": "价格从低到高", "sort_price_desc": "价格从高到低",
	"price": "价格", "min": "最低价", "max": "最高价", "filter": "筛选", "sold": "已售", "stock": "库存", "out_of_stock": "已售罄",
	"choose": "请选择", "quantity": "数量", "add_to_cart": "加入购物车", "buy_now": "立即购买", "description": "商品详情",
	"member_price": "会员价", "points_price": "积分兑换", "redeem_points": "积分兑换", "points": "积分", "promotions": "优惠", "you_may_like": "猜你喜欢",
	"results_for": "搜索结果", "products": "件商品", "language": "English", "lang_switch": "en",
	"checkout": "结算", "orders": "我的订单", "login": "登录", "register": "注册", "logout": "退出登录",
	"member_centre": "会员中心", "distributor": "分销中心", "coupons": "优惠券", "addresses": "收货地址",
	"after_sales": "售后", "pay": "支付", "coming_soon": "即将上线：此功能尚未开放。", "noscript": "此页面需要启用 JavaScript。",
	"home_description": "欢迎光临", "loading": "加载中…", "no_payment": "店铺暂未开通在线支付。",
	"refund_only": "仅退款", "return_and_refund": "退货退款", "pending": "审核中", "rejected": "未通过",
	"cart_empty": "购物车是空的", "remove": "删除", "pick": "结算此商品", "cart_gone": "商品已不存在", "cart_off_shelf": "商品已下架",
	"cart_out_of_stock": "已售罄", "cart_insufficient_stock": "库存不足", "level": "会员等级", "no_level": "普通会员",
	"claimable_coupons": "可领取的优惠券", "claim": "领取", "claimed": "已领取",
}

var en = map[string]string{
	"shop_not_found": "Shop not found", "shop_not_found_text": "The shop you are looking for does not exist.",
	"shop_suspended": "This shop is suspended", "shop_suspended_text": "This shop has been suspended and cannot be visited for now.",
	"page_not_found": "Page not found", "page_not_found_text": "The page does not exist or the product is no longer on sale.",
	"bad_request": "Bad request", "bad_request_text": "Please check what you entered and try again.",
	"error": "Something went wrong", "error_text": "Please try again later.", "banners": "Featured",
	"home": "Home", "categories": "Categories", "all_categories": "All categories", "cart": "Cart", "me": "Me",
	"search": "Search", "search_placeholder": "Search products", "recommended": "Recommended for you", "best_sellers": "Best sellers",
	"new_arrivals": "New arrivals", "more": "More", "no_results": "No products found",
	"sort": "Sort", "sort_relevance": "Relevance", "sort_newest": "Newest", "sort_sales": "Best selling", "sort_price_asc": "Price: low to high", "sort_price_desc": "Price: high to low",
	"price": "Price", "min": "Min", "max": "Max", "filter": "Filter", "sold": "sold", "stock": "Stock", "out_of_stock": "Sold out",
	"choose": "Choose", "quantity": "Quantity", "add_to_cart": "Add to cart", "buy_now": "Buy now", "description": "Details",
	"member_price": "Member price", "points_price": "Points exchange", "redeem_points": "Redeem with points", "points": "points", "promotions": "Offers", "you_may_like": "You may also like",
	"results_for": "Results", "products": "products", "language": "中文", "lang_switch": "zh",
	"checkout": "Checkout", "orders": "My orders", "login": "Log in", "register": "Register", "logout": "Log out",
	"member_centre": "Member centre", "distributor": "Distributor centre", "coupons": "Coupons", "addresses": "Addresses",
	"after_sales": "After-sales", "pay": "Pay", "coming_soon": "Coming soon: this is not open yet.", "noscript": "This page needs JavaScript.",
	"home_description": "Welcome to", "loading": "Loading…", "no_payment": "This shop takes no online payments yet.",
	"refund_only": "Refund only", "return_and_refund": "Return and refund", "pending": "Under review", "rejected": "Not approved",
	"cart_empty": "Your cart is empty", "remove": "Remove", "pick": "Check this item out", "cart_gone": "No longer available", "cart_off_shelf": "Off the shelf",
	"cart_out_of_stock": "Sold out", "cart_insufficient_stock": "Not enough stock", "level": "Member level", "no_level": "Member",
	"claimable_coupons": "Coupons to claim", "claim": "Claim", "claimed": "Claimed",
}
