// Package migrations embeds Banyan's SQL migrations (goose). They run as the
// schema owner (MIGRATE_DATABASE_URL); the server connects as banyan_app,
// which owns nothing and cannot bypass Row-Level Security.
//
// Numbering: 00001–00009 foundation, 00010–00019 plugins, 00020–00029
// catalogue, 00030–00039 members and marketing, 00040–00049 orders and
// payments, 00050–00059 finance, 00060–00069 distribution, 00070+ later.
//
// Every tenant-owned table calls banyan_tenant_table('name') right after its
// CREATE TABLE; the schema test in core/db fails on any table that does not.
package migrations

import "embed"

// FS holds the *.sql files.
//
//go:embed *.sql
var FS embed.FS
