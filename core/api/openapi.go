package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// OpenAPI builds the OpenAPI 3.1 document from the route table, so the
// document cannot drift from the routes: a test walks the router and checks
// both ways.
func OpenAPI(version string) map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, rt := range Routes() {
		op := map[string]any{
			"operationId": rt.Name,
			"summary":     rt.Summary,
			"tags":        []string{tagOf(rt.Path)},
			"x-access":    rt.Access.String(),
		}
		if rt.Perm != "" {
			op["x-permission"] = rt.Perm
		}
		var params []any
		for _, m := range pathParamRe.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		switch rt.Access {
		case PublicTenant, TenantStaff, Member:
			params = append(params, map[string]any{"name": "X-Tenant", "in": "header", "description": "shop slug (or use the shop's host)", "schema": map[string]any{"type": "string"}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		switch rt.Access {
		case Staff, TenantStaff, Platform, Member:
			op["security"] = []any{map[string]any{"bearer": []string{}}}
		}
		if rt.Body != nil {
			media := map[string]any{"schema": g.schema(reflect.TypeOf(rt.Body))}
			if rt.Example != nil {
				media["example"] = rt.Example
			}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": media}}
		}
		status := rt.Status
		if status == 0 {
			status = 200
		}
		resp := map[string]any{"description": "success"}
		if rt.Resp != nil {
			resp["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Resp))}}
		}
		responses := map[string]any{
			itoa(status): resp,
			"default":    map[string]any{"description": "problem", "content": map[string]any{"application/problem+json": map[string]any{"schema": g.schema(reflect.TypeOf(Problem{}))}}},
		}
		if rt.Accepted != "" {
			accepted := map[string]any{"description": rt.Accepted}
			if c, ok := resp["content"]; ok {
				accepted["content"] = c
			}
			responses["202"] = accepted
		}
		op["responses"] = responses
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "Banyan API", "version": version, "description": "Multi-tenant distribution mall API. Errors are RFC 9457 problem documents with a stable `code`."},
		"paths":   paths,
		"components": map[string]any{
			"schemas":         g.defs,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}

var pathParamRe = regexp.MustCompile(`\{([a-zA-Z_]+)\}`)

func tagOf(path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/")
	if len(parts) > 1 && (parts[0] == "admin" || parts[0] == "platform" || parts[0] == "shop") {
		return parts[0] + "/" + parts[1]
	}
	return parts[0]
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

type schemaGen struct{ defs map[string]any }

var (
	timeType    = reflect.TypeOf(time.Time{})
	decimalType = reflect.TypeOf(decimal.Decimal{})
	rawType     = reflect.TypeOf(json.RawMessage{})
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case decimalType:
		return map[string]any{"type": "string", "format": "decimal", "description": "exact decimal amount"}
	case rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := defName(t)
		if name != "" {
			if _, ok := g.defs[name]; !ok {
				g.defs[name] = map[string]any{} // break cycles
				g.defs[name] = g.object(t)
			}
			return map[string]any{"$ref": "#/components/schemas/" + name}
		}
		return g.object(t)
	}
	return map[string]any{}
}

func defName(t reflect.Type) string {
	if t.Name() == "" {
		return ""
	}
	pkg := t.PkgPath()
	pkg = pkg[strings.LastIndex(pkg, "/")+1:]
	n := t.Name()
	if i := strings.Index(n, "["); i >= 0 { // generic instantiation
		inner := n[i+1 : len(n)-1]
		inner = inner[strings.LastIndex(inner, ".")+1:]
		n = n[:i] + "_" + inner
	}
	return pkg + "." + n
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name := strings.Split(tag, ",")[0]
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range g.object(ft)["properties"].(map[string]any) {
					props[k] = v
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
	}
	return map[string]any{"type": "object", "properties": props}
}

var (
	openapiOnce sync.Once
	openapiDoc  []byte
)

func init() {
	register(
		Route{Name: "openapi", Method: "GET", Path: "/api/v1/openapi.json", Access: Public, Raw: true,
			Summary: "This document", H: (*Server).handleOpenAPI},
	)
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	openapiOnce.Do(func() { openapiDoc, _ = json.MarshalIndent(OpenAPI(s.Cfg.Version), "", "  ") })
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(openapiDoc)
	return err
}
