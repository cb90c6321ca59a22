package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/banyanmall/banyan/core/errs"
)

const defaultMaxBody = 1 << 20

func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if v == nil {
		return nil
	}
	return jsonEncode(w, v)
}

// decode reads a JSON body strictly: the right content type, within the size
// limit set by the router, one object, no unknown fields, right types.
func decode(r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return errs.E(errs.UnsupportedMedia, "send the body as application/json")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return errs.E(errs.MalformedJSON, "the body must hold exactly one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.E(errs.MalformedJSON, "the body must hold exactly one JSON value")
	}
	return nil
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return errs.E(errs.BodyTooLarge, "the body is larger than %d bytes", tooBig.Limit)
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.MalformedJSON, "the body is not valid JSON: %v", err)
	case errors.Is(err, io.EOF):
		return errs.E(errs.MalformedJSON, "the body is empty; send a JSON object")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return &errs.Error{Code: errs.Invalid, Message: "the request has invalid fields", Fields: []errs.FieldError{{
			Field: field, Code: "wrong_type", Message: fmt.Sprintf("must be %s", jsonKind(typ.Type.String())),
		}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &errs.Error{Code: errs.UnknownField, Message: fmt.Sprintf("unknown field %q", name), Fields: []errs.FieldError{{
			Field: name, Code: "unknown_field", Message: "this field is not accepted here",
		}}}
	default:
		// Errors from UnmarshalJSON methods (decimal amounts, enums).
		return &errs.Error{Code: errs.Invalid, Message: err.Error(), Fields: []errs.FieldError{{Field: "(body)", Code: "invalid", Message: err.Error()}}}
	}
}

func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "a number"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	default:
		return "an object"
	}
}
