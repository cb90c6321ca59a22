// Package sdk is what a third party imports to write a Banyan plugin.
//
// A plugin is one binary that serves one kind — a [CommissionScheme], a
// [PromotionRule] or a [PaymentProvider] — through a single [Serve] call in
// main. The host (banyan serve) runs one process per plugin, shared by all
// tenants, and talks to it over gRPC on a local socket (protocol 1). Authors
// see plain Go types only: money is [decimal.Decimal], times are [time.Time].
//
// A plugin is a pure function of its request. Everything a decision needs
// travels in the request: the tenant, the tenant's validated config for the
// plugin, its currency, tenant settings and the clock ([PluginContext]). A
// plugin never reads the wall clock, a database or the network to decide, so
// the same request always gets the same answer, which is what lets the host
// replay history through any scheme. Plugins propose; the host validates
// (see [CheckCommission], [CheckPromotion]) and commits.
//
// Errors that mean something to the host are [*Error] values with a stable
// [Code]; they cross the wire intact. Any other error is reported to the host
// as a plugin failure.
//
// Test a plugin with package sdk/plugintest, which launches the built binary
// through the same process boundary the host uses. The host side lives in
// package sdk/pluginclient.
package sdk
