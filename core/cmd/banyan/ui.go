package main

import (
	adminui "github.com/banyanmall/banyan/admin-ui"
	"github.com/banyanmall/banyan/core/app"
	"github.com/banyanmall/banyan/core/config"
)

// uiOptions mounts the embedded consoles; core/app builds the storefront
// (core/storefront) itself.
func uiOptions(config.Config) app.Options {
	return app.Options{AdminUI: adminui.Handler()}
}
