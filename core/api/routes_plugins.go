package api

import (
	"encoding/json"
	"net/http"

	"github.com/banyanmall/banyan/core/plugins"
)

// Plugins: the platform's catalogue of discovered plugins and which plans may
// use them; a shop's enabled plugins and their config.
func init() {
	priority := 10
	register(
		Route{Name: "platformListPlugins", Method: "GET", Path: "/api/v1/platform/plugins", Access: Platform, Perm: "platform.plugins:read",
			Summary: "Every discovered plugin (refused ones too) with its state, restarts, last error, config schema and the plans it is available to",
			Resp:    List[plugins.PlatformPlugin]{}, H: (*Server).handlePlatformPlugins},
		Route{Name: "platformUpdatePlugin", Method: "PATCH", Path: "/api/v1/platform/plugins/{name}", Access: Platform, Perm: "platform.plugins:write",
			Summary: `Make a plugin available to every plan ("all") or to a list of plan ids`, Body: availabilityBody{},
			Resp: plugins.PlatformPlugin{}, H: (*Server).handlePlatformUpdatePlugin},
		Route{Name: "listShopPlugins", Method: "GET", Path: "/api/v1/admin/plugins", Access: TenantStaff, Perm: "plugins:read",
			Summary: "The plugins the shop's plan may use, with the shop's settings (secrets masked) and each plugin's state",
			Resp:    List[plugins.ShopPlugin]{}, H: (*Server).handleListShopPlugins},
		Route{Name: "getShopPlugin", Method: "GET", Path: "/api/v1/admin/plugins/{name}", Access: TenantStaff, Perm: "plugins:read", Fixture: "plugin",
			Summary: "One plugin the shop's plan may use, with the shop's settings", Resp: plugins.ShopPlugin{}, H: (*Server).handleGetShopPlugin},
		Route{Name: "putShopPlugin", Method: "PUT", Path: "/api/v1/admin/plugins/{name}", Access: TenantStaff, Perm: "plugins:write", Fixture: "plugin",
			Summary: "Enable or disable a plugin for the shop and set its config (validated by the plugin's schema and the plugin) and priority",
			Body:    plugins.Setting{}, Example: plugins.Setting{Enabled: false, Config: json.RawMessage(`{}`), Priority: &priority},
			Resp: plugins.ShopPlugin{}, H: (*Server).handlePutShopPlugin},
	)
}

type availabilityBody struct {
	// AvailableTo is "all" or a list of plan ids.
	AvailableTo json.RawMessage `json:"available_to"`
}

func (s *Server) handlePlatformPlugins(w http.ResponseWriter, r *http.Request) error {
	items, err := s.TenantPlugins.ListPlatform(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, ""))
}

func (s *Server) handlePlatformUpdatePlugin(w http.ResponseWriter, r *http.Request) error {
	var in availabilityBody
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.TenantPlugins.SetAvailability(r.Context(), pathVar(r, "name"), in.AvailableTo)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleListShopPlugins(w http.ResponseWriter, r *http.Request) error {
	items, err := s.TenantPlugins.List(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, ""))
}

func (s *Server) handleGetShopPlugin(w http.ResponseWriter, r *http.Request) error {
	p, err := s.TenantPlugins.Get(r.Context(), pathVar(r, "name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) handlePutShopPlugin(w http.ResponseWriter, r *http.Request) error {
	var in plugins.Setting
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.TenantPlugins.Put(r.Context(), pathVar(r, "name"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}
