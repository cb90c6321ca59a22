package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/banyanmall/banyan/core/secrets"
	"github.com/banyanmall/banyan/core/tenancy"
)

// MaskValue replaces a secret config value when it is read back.
const MaskValue = "********"

// isSecret says whether a config key holds a secret: the schema marks it
// "writeOnly": true, or its name says so.
func isSecret(key string, schema map[string]any) bool {
	if wo, _ := schema["writeOnly"].(bool); wo {
		return true
	}
	k := strings.ToLower(key)
	return strings.Contains(k, "secret") || strings.Contains(k, "password") || strings.Contains(k, "key")
}

// propSchema returns the schema of property key inside an object schema.
func propSchema(schema map[string]any, key string) map[string]any {
	props, _ := schema["properties"].(map[string]any)
	s, _ := props[key].(map[string]any)
	return s
}

func parseSchema(raw json.RawMessage) map[string]any {
	var s map[string]any
	_ = json.Unmarshal(raw, &s)
	return s
}

// Mask returns config with every secret value (at any depth of objects)
// replaced by MaskValue. An empty secret stays empty: nothing to hide.
func Mask(schema, config json.RawMessage) json.RawMessage {
	var v any
	if err := json.Unmarshal(config, &v); err != nil {
		return json.RawMessage(`{}`)
	}
	out, _ := json.Marshal(mask(parseSchema(schema), v))
	return out
}

func mask(schema map[string]any, v any) any {
	obj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for k, val := range obj {
		sub := propSchema(schema, k)
		if isSecret(k, sub) && val != nil && val != "" {
			if _, nested := val.(map[string]any); !nested {
				obj[k] = MaskValue
				continue
			}
		}
		obj[k] = mask(sub, val)
	}
	return obj
}

// Unmask returns sent with every secret that holds MaskValue replaced by the
// stored value at the same place, so a client that sends back what it read
// keeps the secrets it never saw.
func Unmask(schema, sent, stored json.RawMessage) json.RawMessage {
	var v, old any
	if json.Unmarshal(sent, &v) != nil {
		return sent
	}
	_ = json.Unmarshal(stored, &old)
	out, err := json.Marshal(unmask(parseSchema(schema), v, old))
	if err != nil {
		return sent
	}
	return out
}

func unmask(schema map[string]any, v, old any) any {
	obj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	prev, _ := old.(map[string]any)
	for k, val := range obj {
		sub := propSchema(schema, k)
		if val == MaskValue && isSecret(k, sub) {
			if p, ok := prev[k]; ok {
				obj[k] = p
			}
			continue
		}
		obj[k] = unmask(sub, val, prev[k])
	}
	return obj
}

// A shop's plugin config is stored with its secret values sealed
// (core/secrets), so that a database copy does not hand out payment keys:
// Put seals the values Mask would hide (string values only), Enabled and
// Config open them for the plugin calls. A sealed value is bound to the shop
// and the plugin; one that does not open (the key changed) reaches the plugin
// empty, which its own validation then refuses, and the merchant enters it
// again. Values stored before sealing are read as they are.

func configPlace(ctx context.Context, plugin string) string {
	return "tenant_plugins.config:" + string(tenancy.ID(ctx)) + ":" + plugin
}

// sealConfig answers config with its secret string values sealed.
func (s *Service) sealConfig(ctx context.Context, plugin string, schema, config json.RawMessage) (json.RawMessage, error) {
	if s.Secrets == nil {
		return nil, errors.New("plugins: no secret box to seal a config with")
	}
	var v any
	if err := json.Unmarshal(config, &v); err != nil {
		return nil, fmt.Errorf("plugins: seal config: %w", err)
	}
	where := configPlace(ctx, plugin)
	var serr error
	var walk func(schema map[string]any, v any) any
	walk = func(schema map[string]any, v any) any {
		obj, ok := v.(map[string]any)
		if !ok {
			return v
		}
		for k, val := range obj {
			sub := propSchema(schema, k)
			if str, isStr := val.(string); isStr && isSecret(k, sub) && !secrets.IsSealed(str) {
				sealed, err := s.Secrets.Seal(where, str)
				if err != nil && serr == nil {
					serr = err
				}
				obj[k] = sealed
				continue
			}
			obj[k] = walk(sub, val)
		}
		return obj
	}
	out, err := json.Marshal(walk(parseSchema(schema), v))
	if serr != nil {
		return nil, serr
	}
	return out, err
}

// openConfig answers config with every sealed value opened (one that does
// not open becomes "").
func (s *Service) openConfig(ctx context.Context, plugin string, config json.RawMessage) json.RawMessage {
	if !bytes.Contains(config, []byte(`"sealed:`)) {
		return config
	}
	var v any
	if json.Unmarshal(config, &v) != nil {
		return config
	}
	where := configPlace(ctx, plugin)
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				x[k] = walk(val)
			}
		case []any:
			for i, val := range x {
				x[i] = walk(val)
			}
		case string:
			if secrets.IsSealed(x) {
				plain := ""
				if s.Secrets != nil {
					plain, _ = s.Secrets.Open(where, x)
				}
				return plain
			}
		}
		return v
	}
	out, err := json.Marshal(walk(v))
	if err != nil {
		return config
	}
	return out
}
