// Command testplugin serves testscheme for the host's tests.
package main

import (
	"github.com/banyanmall/banyan/core/pluginhost/internal/testscheme"
	"github.com/banyanmall/banyan/sdk"
)

func main() {
	sdk.Serve(sdk.ServeOpts{Commission: testscheme.Scheme{}})
}
