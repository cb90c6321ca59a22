package api

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/tenancy"
)

var searchQuery = []string{"q", "category_id", "min_price", "max_price", "in_stock", "sort", "cursor", "limit"}

func init() {
	strp := func(s string) *string { return &s }
	register(
		Route{Name: "listCategories", Method: "GET", Path: "/api/v1/admin/categories", Access: TenantStaff, Perm: "catalog:read",
			Summary: "The category tree (3 levels at most), each level ordered by sort", Resp: categoryTree{}, H: (*Server).handleCategoryTree},
		Route{Name: "createCategory", Method: "POST", Path: "/api/v1/admin/categories", Access: TenantStaff, Perm: "catalog:write", Status: 201,
			Summary: "Add a category (under parent_id, or at the top)", Body: catalog.CategoryInput{}, Resp: catalog.Category{}, H: (*Server).handleCreateCategory},
		Route{Name: "updateCategory", Method: "PATCH", Path: "/api/v1/admin/categories/{id}", Access: TenantStaff, Perm: "catalog:write", Fixture: "category",
			Summary: "Rename, reorder or move a category (parent_id \"\" moves it to the top)", Body: catalog.CategoryPatch{},
			Example: catalog.CategoryPatch{Name: strp("新名称")}, Resp: catalog.Category{}, H: (*Server).handleUpdateCategory},
		Route{Name: "deleteCategory", Method: "DELETE", Path: "/api/v1/admin/categories/{id}", Access: TenantStaff, Perm: "catalog:write", Fixture: "category", Status: 204,
			Summary: "Delete an empty category (one with subcategories or products is refused)", H: (*Server).handleDeleteCategory},

		Route{Name: "listProducts", Method: "GET", Path: "/api/v1/admin/products", Access: TenantStaff, Perm: "catalog:read",
			Summary: "Search and filter the shop's products, drafts included (status: comma-separated statuses; facets=true adds counts per category)",
			Query:   append(append([]string{}, searchQuery...), "status", "facets"), Resp: catalog.Result{}, H: (*Server).handleAdminSearch},
		Route{Name: "createProduct", Method: "POST", Path: "/api/v1/admin/products", Access: TenantStaff, Perm: "catalog:write", Status: 201,
			Summary: "Create a product with its SKUs (variants: one SKU per spec combination, or generated from a template)",
			Body:    catalog.ProductInput{}, Resp: catalog.Product{}, H: (*Server).handleCreateProduct},
		Route{Name: "getProduct", Method: "GET", Path: "/api/v1/admin/products/{id}", Access: TenantStaff, Perm: "catalog:read", Fixture: "product",
			Summary: "A product with its SKUs", Resp: catalog.Product{}, H: (*Server).handleGetProduct},
		Route{Name: "updateProduct", Method: "PATCH", Path: "/api/v1/admin/products/{id}", Access: TenantStaff, Perm: "catalog:write", Fixture: "product",
			Summary: "Change a product; skus, when sent, is the whole new set (matched by id or code)", Body: catalog.ProductPatch{},
			Example: catalog.ProductPatch{Title: strp("新标题")}, Resp: catalog.Product{}, H: (*Server).handleUpdateProduct},
		Route{Name: "deleteProduct", Method: "DELETE", Path: "/api/v1/admin/products/{id}", Access: TenantStaff, Perm: "catalog:write", Fixture: "product", Status: 204,
			Summary: "Delete a product and its SKUs", H: (*Server).handleDeleteProduct},
		Route{Name: "uploadProductImage", Method: "POST", Path: "/api/v1/admin/products/{id}/images", Access: TenantStaff, Perm: "catalog:write", Fixture: "product",
			Summary: "Upload an image (multipart/form-data, field file: JPEG, PNG, WebP or GIF, at most 5 MiB) and append it to the product's images",
			Resp:    catalog.Product{}, MaxBody: 6 << 20, H: (*Server).handleUploadImage},
		Route{Name: "uploadShopImage", Method: "POST", Path: "/api/v1/admin/images", Access: TenantStaff, Perm: "settings:write", Status: 201,
			Summary: "Upload an image for the shop's branding or banners (multipart/form-data, field file: JPEG, PNG, WebP or GIF, at most 5 MiB); answers its URL",
			Resp:    UploadedImage{}, MaxBody: 6 << 20, H: (*Server).handleUploadShopImage},
		Route{Name: "importProducts", Method: "POST", Path: "/api/v1/admin/products/import", Access: TenantStaff, Perm: "catalog:write", Status: 202,
			Summary: "Import products and SKUs from CSV or XLSX (multipart/form-data: file; dry_run=true answers 200 with the report and changes nothing; else 202 with the job)",
			Resp:    catalog.ImportJob{}, MaxBody: 32 << 20, H: (*Server).handleImport},
		Route{Name: "getImport", Method: "GET", Path: "/api/v1/admin/products/import/{id}", Access: TenantStaff, Perm: "catalog:read", Fixture: "catalog_import",
			Summary: "An import's progress: status, rows done of total, errors", Resp: catalog.ImportJob{}, H: (*Server).handleGetImport},
		Route{Name: "exportProducts", Method: "GET", Path: "/api/v1/admin/products/export", Access: TenantStaff, Perm: "catalog:read", Raw: true,
			Summary: "Download the catalogue in the import format (format=csv or xlsx)", Query: []string{"format"}, H: (*Server).handleExport},
		Route{Name: "bulkProducts", Method: "POST", Path: "/api/v1/admin/products/bulk", Access: TenantStaff, Perm: "catalog:write",
			Summary: "Change the price, stock or status of many SKUs (by code) or products (by id) at once; all or nothing",
			Body:    catalog.BulkInput{}, Resp: catalog.BulkResult{}, H: (*Server).handleBulk},
		Route{Name: "listJobs", Method: "GET", Path: "/api/v1/admin/jobs", Access: TenantStaff, Perm: "jobs:read",
			Summary: "Recent imports and exports, newest first", Query: []string{"cursor", "limit"}, Resp: List[catalog.ImportJob]{}, H: (*Server).handleListJobs},

		Route{Name: "shopProducts", Method: "GET", Path: "/api/v1/shop/products", Access: PublicTenant,
			Summary: "Search the products on sale (keyword over title, subtitle, brand and tags; category with its subcategories; price range of the lowest SKU price); the first page has counts per category",
			Query:   searchQuery, Resp: catalog.Result{}, H: (*Server).handleShopSearch},
		Route{Name: "shopProduct", Method: "GET", Path: "/api/v1/shop/products/{id}", Access: PublicTenant,
			Summary: "A product on sale; records the view for the member (Bearer token) or the visitor (X-Visitor-ID header or banyan_vid cookie, issued when absent)",
			Resp:    catalog.Product{}, H: (*Server).handleShopProduct},
		Route{Name: "shopCategories", Method: "GET", Path: "/api/v1/shop/categories", Access: PublicTenant,
			Summary: "The category tree", Resp: categoryTree{}, H: (*Server).handleCategoryTree},
		Route{Name: "shopRecommendations", Method: "GET", Path: "/api/v1/shop/recommendations", Access: PublicTenant,
			Summary: "Recommended products, each with its reason: bought_together, also_viewed, for_you or best_seller",
			Query:   []string{"product_id", "limit"}, Resp: recommendations{}, H: (*Server).handleRecommendations},
		Route{Name: "upload", Method: "GET", Path: "/uploads/{tenant}/{file}", Access: Public, Raw: true,
			Summary: "An uploaded product image", H: (*Server).handleUpload},
	)
}

type categoryTree struct {
	Items []*catalog.Category `json:"items"`
}

type recommendations struct {
	Items []catalog.Recommendation `json:"items"`
}

func (s *Server) handleCategoryTree(w http.ResponseWriter, r *http.Request) error {
	tree, err := s.Catalog.Tree(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, categoryTree{Items: tree})
}

func (s *Server) handleCreateCategory(w http.ResponseWriter, r *http.Request) error {
	var in catalog.CategoryInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.Catalog.CreateCategory(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (s *Server) handleUpdateCategory(w http.ResponseWriter, r *http.Request) error {
	var in catalog.CategoryPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.Catalog.UpdateCategory(r.Context(), catalog.CategoryID(pathVar(r, "id")), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleDeleteCategory(w http.ResponseWriter, r *http.Request) error {
	if err := s.Catalog.DeleteCategory(r.Context(), catalog.CategoryID(pathVar(r, "id"))); err != nil {
		return err
	}
	return writeJSON(w, http.StatusNoContent, nil)
}

// searchOf reads a search from the query string, naming each bad parameter.
func searchOf(r *http.Request) (catalog.Query, error) {
	qs := r.URL.Query()
	p, err := pageOf(r)
	if err != nil {
		return catalog.Query{}, err
	}
	q := catalog.Query{Keyword: qs.Get("q"), Sort: qs.Get("sort"), Page: p}
	v := errs.Validator{}
	if c := qs.Get("category_id"); c != "" {
		id := catalog.CategoryID(c)
		q.CategoryID = &id
	}
	money := func(name string) *decimal.Decimal {
		raw := qs.Get(name)
		if raw == "" {
			return nil
		}
		d, err := decimal.NewFromString(raw)
		if err != nil {
			v.Add(name, "invalid", "a decimal amount, e.g. 99.50")
			return nil
		}
		return &d
	}
	q.MinPrice, q.MaxPrice = money("min_price"), money("max_price")
	flag := func(name string) bool {
		raw := qs.Get(name)
		b, err := strconv.ParseBool(raw)
		if raw != "" && err != nil {
			v.Add(name, "invalid", "true or false")
		}
		return b
	}
	q.InStock = flag("in_stock")
	q.Facets = flag("facets")
	return q, v.Err()
}

func (s *Server) handleAdminSearch(w http.ResponseWriter, r *http.Request) error {
	q, err := searchOf(r)
	if err != nil {
		return err
	}
	if st := r.URL.Query().Get("status"); st != "" {
		for _, x := range strings.Split(st, ",") {
			q.Statuses = append(q.Statuses, catalog.Status(strings.TrimSpace(x)))
		}
	}
	res, err := s.Catalog.Search(r.Context(), q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleShopSearch(w http.ResponseWriter, r *http.Request) error {
	q, err := searchOf(r)
	if err != nil {
		return err
	}
	q.Statuses = []catalog.Status{catalog.OnSale}
	q.Facets = true
	res, err := s.Catalog.Search(r.Context(), q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleCreateProduct(w http.ResponseWriter, r *http.Request) error {
	var in catalog.ProductInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.Catalog.CreateProduct(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

func (s *Server) handleGetProduct(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Catalog.Product(r.Context(), catalog.ProductID(pathVar(r, "id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleUpdateProduct(w http.ResponseWriter, r *http.Request) error {
	var in catalog.ProductPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.Catalog.UpdateProduct(r.Context(), catalog.ProductID(pathVar(r, "id")), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleDeleteProduct(w http.ResponseWriter, r *http.Request) error {
	if err := s.Catalog.DeleteProduct(r.Context(), catalog.ProductID(pathVar(r, "id"))); err != nil {
		return err
	}
	return writeJSON(w, http.StatusNoContent, nil)
}

// formFile reads the multipart field file within the route's body limit.
func formFile(r *http.Request, field string) (name string, data []byte, err error) {
	if mt, _, perr := mime.ParseMediaType(r.Header.Get("Content-Type")); perr != nil || mt != "multipart/form-data" {
		return "", nil, errs.E(errs.UnsupportedMedia, "send the file as multipart/form-data (field %q)", field)
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", nil, errs.E(errs.BodyTooLarge, "the upload is larger than %d bytes", tooBig.Limit)
		}
		return "", nil, errs.Field(field, "unreadable", "the multipart body cannot be read: "+err.Error())
	}
	f, h, err := r.FormFile(field)
	if err != nil {
		return "", nil, errs.Field(field, "required", "attach the file in the field "+field)
	}
	defer f.Close()
	data, err = io.ReadAll(f)
	if err != nil {
		return "", nil, errs.Field(field, "unreadable", "the upload cannot be read")
	}
	return h.Filename, data, nil
}

func (s *Server) handleUploadImage(w http.ResponseWriter, r *http.Request) error {
	id := catalog.ProductID(pathVar(r, "id"))
	// Answer 404 before reading a body meant for a product that is not there.
	if _, err := s.Catalog.Product(r.Context(), id); err != nil {
		return err
	}
	_, data, err := formFile(r, "file")
	if err != nil {
		return err
	}
	p, err := s.Catalog.AddImage(r.Context(), id, bytes.NewReader(data))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// UploadedImage is where an uploaded image is served.
type UploadedImage struct {
	URL string `json:"url"`
}

func (s *Server) handleUploadShopImage(w http.ResponseWriter, r *http.Request) error {
	_, data, err := formFile(r, "file")
	if err != nil {
		return err
	}
	u, err := s.Catalog.StoreImage(r.Context(), bytes.NewReader(data))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, UploadedImage{URL: u})
}

func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) error {
	name, data, err := formFile(r, "file")
	if err != nil {
		return err
	}
	format := r.FormValue("format")
	if format == "" {
		format = catalog.DetectFormat(name, data[:min(8, len(data))])
	}
	dry, err := strconv.ParseBool(cmp.Or(r.FormValue("dry_run"), "false"))
	if err != nil {
		return errs.Field("dry_run", "invalid", "true or false")
	}
	if dry {
		rep, err := s.Catalog.CheckImport(r.Context(), format, data)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, rep)
	}
	job, err := s.Catalog.StartImport(r.Context(), name, format, data)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, job)
}

func (s *Server) handleGetImport(w http.ResponseWriter, r *http.Request) error {
	j, err := s.Catalog.ImportJobByID(r.Context(), catalog.ImportID(pathVar(r, "id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}

func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) error {
	format := cmp.Or(r.URL.Query().Get("format"), catalog.FormatCSV)
	ct := map[string]string{
		catalog.FormatCSV:  "text/csv; charset=utf-8",
		catalog.FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	}[format]
	if ct == "" {
		return errs.Field("format", "invalid", "csv or xlsx")
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="catalog-`+time.Now().UTC().Format("20060102")+`.`+format+`"`)
	return s.Catalog.Export(r.Context(), format, w)
}

func (s *Server) handleBulk(w http.ResponseWriter, r *http.Request) error {
	var in catalog.BulkInput
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.Catalog.Bulk(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleListJobs(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	items, next, err := s.Catalog.ListJobs(r.Context(), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

const visitorCookie = "banyan_vid"

// viewer is who browses the storefront: the member of a valid Bearer token
// (an invalid one is ignored on public pages) and the visitor id of the
// X-Visitor-ID header or the banyan_vid cookie. issue gives a visitor
// without one a fresh id (cookie and response header).
func (s *Server) viewer(w http.ResponseWriter, r *http.Request, issue bool) catalog.Viewer {
	var v catalog.Viewer
	if tok := bearer(r); tok != "" && identity.HasPrefix(tok, identity.MemberTokenPrefix) {
		if a, err := s.Members.Authenticate(r.Context(), tok); err == nil {
			v.MemberID = a.MemberID
		}
	}
	v.VisitorID = r.Header.Get("X-Visitor-ID")
	if !catalog.ValidVisitorID(v.VisitorID) {
		v.VisitorID = ""
		if c, err := r.Cookie(visitorCookie); err == nil && catalog.ValidVisitorID(c.Value) {
			v.VisitorID = c.Value
		}
	}
	if v.VisitorID == "" && issue {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		v.VisitorID = hex.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{Name: visitorCookie, Value: v.VisitorID, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	}
	if v.VisitorID != "" {
		w.Header().Set("X-Visitor-ID", v.VisitorID)
	}
	return v
}

func (s *Server) handleShopProduct(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Catalog.ShopProduct(r.Context(), catalog.ProductID(pathVar(r, "id")), s.viewer(w, r, true))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleRecommendations(w http.ResponseWriter, r *http.Request) error {
	qs := r.URL.Query()
	var product *catalog.ProductID
	if id := qs.Get("product_id"); id != "" {
		pid := catalog.ProductID(id)
		product = &pid
	}
	limit := 10
	if l := qs.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 50 {
			return errs.Field("limit", "out_of_range", "limit must be a whole number from 1 to 50")
		}
		limit = n
	}
	items, err := s.Catalog.Recommend(r.Context(), product, s.viewer(w, r, false), limit)
	if err != nil {
		return err
	}
	if items == nil {
		items = []catalog.Recommendation{}
	}
	return writeJSON(w, http.StatusOK, recommendations{Items: items})
}

func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) error {
	name := pathVar(r, "file")
	f, ct, err := s.Catalog.OpenUpload(r.Context(), tenancy.TenantID(pathVar(r, "tenant")), name)
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, name, f.ModTime(), f)
	return nil
}
