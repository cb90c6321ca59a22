package pluginhost

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/banyanmall/banyan/sdk"
)

// ManifestSuffix ends the name of every manifest file in the plugin directory:
// <name>.manifest.json beside the binary <name>.
const ManifestSuffix = ".manifest.json"

// Manifest describes one plugin binary; plugins/build.sh writes it.
type Manifest struct {
	Name        string   `json:"name"`
	Kind        sdk.Kind `json:"kind"`
	Version     string   `json:"version"`
	Protocol    int      `json:"protocol"`
	Description string   `json:"description"`
	// ConfigSchema is the JSON Schema (draft 2020-12) of a tenant's config.
	ConfigSchema json.RawMessage `json:"config_schema"`
	// CampaignSchema, for promotion plugins, is the JSON Schema (draft
	// 2020-12) of one campaign's config (sdk.Campaign.ConfigJSON).
	CampaignSchema json.RawMessage `json:"campaign_schema,omitempty"`
	// SHA256 is the hex digest of the binary; the host refuses any other.
	SHA256 string `json:"sha256"`
	// Binary is the executable's file name in the same directory; default Name.
	Binary string `json:"binary,omitempty"`
}

// Found is a manifest read by Discover: either usable, or Refused with why.
type Found struct {
	Manifest Manifest
	// File is the manifest's path; Path the binary's.
	File string
	Path string
	// Checksum is the binary's expected sha256, decoded.
	Checksum []byte
	// Schema is the compiled ConfigSchema, CampaignSchema the compiled
	// CampaignSchema (nil when the manifest has none).
	Schema         *jsonschema.Schema
	CampaignSchema *jsonschema.Schema
	// Refused says why the plugin must not run; "" when it may.
	Refused string
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Discover reads every *.manifest.json in dir, in name order, and checks
// each: the manifest's fields, protocol 1, a config schema that compiles,
// a binary whose sha256 matches. A plugin that fails any check comes back
// with Refused set; Discover never fails for one plugin's sake. A missing
// directory, or none (""), holds no plugins.
func Discover(dir string) ([]Found, error) {
	if dir == "" {
		return nil, nil // no directory configured: no plugins (not the working directory's)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"+ManifestSuffix))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("pluginhost: plugin dir: %w", err)
	}
	sort.Strings(files)
	seen := map[string]bool{}
	var out []Found
	for _, file := range files {
		f := inspect(file)
		if f.Refused == "" && seen[f.Manifest.Name] {
			f.Refused = "another manifest already names plugin " + f.Manifest.Name
		}
		seen[f.Manifest.Name] = true
		out = append(out, f)
	}
	return out, nil
}

// inspect reads and checks one manifest file.
func inspect(file string) Found {
	f := Found{File: file}
	base := strings.TrimSuffix(filepath.Base(file), ManifestSuffix)
	// A refused plugin goes by its file's name, whatever the manifest says.
	refuse := func(format string, args ...any) Found {
		f.Refused = fmt.Sprintf(format, args...)
		f.Manifest.Name = base
		return f
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return refuse("cannot read manifest: %v", err)
	}
	m := &f.Manifest
	if err := json.Unmarshal(raw, m); err != nil {
		return refuse("manifest is not valid JSON: %v", err)
	}
	switch {
	case !nameRE.MatchString(m.Name):
		return refuse("manifest name %q: want lower-case letters, digits and dashes", m.Name)
	case m.Name != base:
		return refuse("manifest file %s names plugin %q: want %s%s", filepath.Base(file), m.Name, m.Name, ManifestSuffix)
	case m.Kind != sdk.KindCommission && m.Kind != sdk.KindPromotion && m.Kind != sdk.KindPayment:
		return refuse("manifest kind %q: want commission, promotion or payment", m.Kind)
	case m.Version == "":
		return refuse("manifest has no version")
	case m.Protocol != sdk.ProtocolVersion:
		return refuse("manifest protocol %d: this host speaks protocol %d", m.Protocol, sdk.ProtocolVersion)
	}
	if m.Binary == "" {
		m.Binary = m.Name
	}
	if m.Binary != filepath.Base(m.Binary) || strings.HasPrefix(m.Binary, ".") {
		return refuse("manifest binary %q must be a file name in the plugin directory", m.Binary)
	}
	f.Path = filepath.Join(filepath.Dir(file), m.Binary)
	sum, err := hex.DecodeString(m.SHA256)
	if err != nil || len(sum) != sha256.Size {
		return refuse("manifest sha256 %q is not a hex sha256 digest", m.SHA256)
	}
	f.Checksum = sum
	schema, err := compileSchema(m.Name, m.ConfigSchema)
	if err != nil {
		return refuse("config_schema: %v", err)
	}
	f.Schema = schema
	if len(m.CampaignSchema) > 0 {
		if f.CampaignSchema, err = compileSchema(m.Name+":campaign", m.CampaignSchema); err != nil {
			return refuse("campaign_schema: %v", err)
		}
	}
	got, err := fileSHA256(f.Path)
	if err != nil {
		return refuse("binary: %v", err)
	}
	if !bytes.Equal(got, sum) {
		return refuse("checksum mismatch: manifest says sha256 %s, binary %s is %x", m.SHA256, f.Path, got)
	}
	return f
}

func fileSHA256(path string) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	h := sha256.New()
	if _, err := io.Copy(h, file); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// compileSchema compiles a manifest's config schema as draft 2020-12. It
// loads nothing from outside: a $ref must stay inside the document.
func compileSchema(name string, raw json.RawMessage) (*jsonschema.Schema, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("missing")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, fmt.Errorf("must be a JSON Schema object")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(jsonschema.SchemeURLLoader{})
	url := "urn:banyan:plugin:" + name + ":config"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// schemaErrors validates a config against a compiled schema and names each
// failing field by JSON pointer.
func schemaErrors(schema *jsonschema.Schema, config []byte) []FieldError {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(config))
	if err != nil {
		return []FieldError{{Path: "", Message: "not valid JSON: " + err.Error()}}
	}
	err = schema.Validate(doc)
	if err == nil {
		return nil
	}
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []FieldError{{Path: "", Message: err.Error()}}
	}
	var out []FieldError
	seen := map[FieldError]bool{}
	for _, u := range verr.BasicOutput().Errors {
		if u.Error == nil {
			continue
		}
		fe := FieldError{Path: u.InstanceLocation, Message: u.Error.String()}
		if !seen[fe] {
			seen[fe] = true
			out = append(out, fe)
		}
	}
	if len(out) == 0 {
		out = []FieldError{{Path: "", Message: verr.Error()}}
	}
	return out
}
