// Package store keeps a tenant's synced TikTok Shop and AliExpress data in PostgreSQL, one schema per tenant, and
// carries out the privacy operations the operator promises on it: erasure, access (export), rectification,
// purge and retention, each honouring legal holds.
//
// Tables and the data categories they belong to:
//
//	products   products
//	orders     orders (the order and its buyer columns); its shipping-address columns are shipping data
//	shipments  shipping
//	returns    support
//
// The categories accountProfile and logs are known (holds, scopes and retention rules may name them) but no
// table holds them yet, so they always count zero.
//
// Buyers are found by pseudonym only (see Pseudonymize): the plain personal-data columns are written by syncs and
// rewritten only by erasure and rectification, never searched. Counts returned by the operations are per category;
// an order that has a shipping address counts once under orders and once under shipping, because erasure, holds
// and retention treat the address as shipping data. Categories with nothing to report are absent from the maps,
// so a repeated operation that changes nothing returns empty maps (or only Held counts, where a hold still keeps
// records).
//
// Errors and logs never contain a DSN's password, a pseudonym, or any personal data.
package store
