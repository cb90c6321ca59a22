package main

import (
	adminui "github.com/banyanmall/banyan/admin-ui"
	"github.com/banyanmall/banyan/core/app"
	"github.com/banyanmall/banyan/core/config"
)

// uiOptions mounts the embedded consoles; the storefront is added by the
// storefront package when it exists.
func uiOptions(config.Config) app.Options {
	return app.Options{AdminUI: adminui.Handler()}
}
