package plugins

import (
	"encoding/json"
	"strings"
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
