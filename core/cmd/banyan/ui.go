package main

import (
	"github.com/banyanmall/banyan/core/app"
	"github.com/banyanmall/banyan/core/config"
)

func uiOptions(cfg config.Config) app.Options { return app.Options{} }
