// Package migrations embeds Banyan's SQL migrations (goose). They run as the
// schema owner (MIGRATE_DATABASE_URL); the server connects as banyan_app,
// which owns nothing and cannot bypass Row-Level Security.
//
// Numbering: the first schema was laid out in ranges (00001 foundation,
// 00010 plugins, 00020 catalogue, 00030 members and marketing, 00040
// orders, 00050 finance, 00060 distribution). Every migration after 00061
// takes the next number above the highest one on main, whatever package it
// serves: goose refuses to apply a migration numbered below one a database
// has already run, so a number slotted into an old range would break every
// existing installation's upgrade.
//
// Every tenant-owned table calls banyan_tenant_table('name') right after its
// CREATE TABLE; the schema test in core/db fails on any table that does not.
package migrations

import "embed"

// FS holds the *.sql files.
//
//go:embed *.sql
var FS embed.FS
