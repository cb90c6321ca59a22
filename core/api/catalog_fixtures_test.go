package api_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"sync/atomic"
	"testing"

	"github.com/banyanmall/banyan/core/apptest"
)

var catalogSeq atomic.Int64

// Cross-tenant fixtures of the catalogue.
func init() {
	crossTenantFixtures["category"] = func(e *apptest.Env, shop apptest.Shop) string {
		return newCategory(e, shop, fmt.Sprintf("类目%d", catalogSeq.Add(1)), "")
	}
	crossTenantFixtures["product"] = func(e *apptest.Env, shop apptest.Shop) string {
		return newProduct(e, shop, map[string]any{"title": "商品", "skus": []any{map[string]any{"code": fmt.Sprintf("FX-%d", catalogSeq.Add(1)), "price": "9.90", "stock": 5}}})
	}
	crossTenantFixtures["catalog_import"] = func(e *apptest.Env, shop apptest.Shop) string {
		n := catalogSeq.Add(1)
		csv := fmt.Sprintf("product_code,title,sku_code,price\nIMP%d,导入商品,IMP%d-1,1\n", n, n)
		res := e.Must(202, multipartReq(e.T, shop, "/api/v1/admin/products/import", "file", "x.csv", []byte(csv), nil))
		var out struct{ ID string }
		res.Decode(e.T, &out)
		return out.ID
	}
}

func newCategory(e *apptest.Env, shop apptest.Shop, name, parent string) string {
	e.T.Helper()
	body := map[string]any{"name": name}
	if parent != "" {
		body["parent_id"] = parent
	}
	res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/categories", Token: shop.OwnerToken, Tenant: shop.Slug, Body: body})
	var out struct{ ID string }
	res.Decode(e.T, &out)
	return out.ID
}

func newProduct(e *apptest.Env, shop apptest.Shop, body map[string]any) string {
	e.T.Helper()
	res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/products", Token: shop.OwnerToken, Tenant: shop.Slug, Body: body})
	var out struct{ ID string }
	res.Decode(e.T, &out)
	return out.ID
}

// multipartReq builds a multipart/form-data POST with one file and fields.
func multipartReq(t testing.TB, shop apptest.Shop, path, field, name string, data []byte, fields map[string]string) apptest.Req {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return apptest.Req{Method: "POST", Path: path, Token: shop.OwnerToken, Tenant: shop.Slug, Body: buf.Bytes(),
		Header: map[string]string{"Content-Type": mw.FormDataContentType()}}
}
