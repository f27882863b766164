// Package worker is the operator's `workspace-operator worker <task> [flags]` subcommand: the program its Jobs and
// CronJobs run. Main is its entry point.
//
// Tasks:
//
//	sync       copy one feature (products, orders, fulfillment, returns) of one Integration from TikTok Shop or
//	           AliExpress into the tenant's PostgreSQL schema, skipping restricted data subjects
//	erase      erase a data subject's personal data, except in categories under a legal hold
//	export     export a data subject's data (an access request) to a file and/or a pre-created Secret
//	rectify    correct a data subject's personal data
//	purge      delete all data of one Integration, or of the whole tenant, except held categories
//	retention  delete records older than the tenant's retention rules, except held categories
//
// Each task's inputs are one type of package contract, which the operator fills and writes as the Job's arguments
// and mounts, and which Main parses the command line back into (Parse), so the two sides cannot disagree unseen.
// Platforms are registered by name (registerPlatform): a provider without a client is a usage error, never handed
// to another platform's client.
//
// Inputs are flags; secrets (provider credentials, the database DSN, the tenant's HMAC key) and data-subject
// identifiers are read from mounted files and never taken as flag values, so they appear neither in the Pod spec
// nor in the process list.
//
// Every run ends by writing exactly one compact JSON object, below the kubelet's 4096-byte termination-message
// limit, to --termination-log (default /dev/termination-log), where the operator reads it into the owning
// resource's status. It says which task ran, whether it succeeded and, on failure, a machine-readable reason and a
// message; see Result. A one-line summary goes to stdout. The exit code is 0 on success, 2 for usage errors (an
// unknown task or flag, a missing or malformed flag value) and 1 for every other failure.
//
// Neither the result, the summary nor the logs on stderr ever contain a secret value (app secret, access token,
// DSN password, HMAC key), a data subject's identifier (email, buyer ID) or a pseudonym: errors name the file
// that is wrong, never its content, and as a last line of defence every such value the worker has read is
// masked in any text it prints.
//
// Pseudonyms. A buyer is keyed by store.Pseudonymize with the tenant's HMAC key: by the platform's buyer ID
// (kind = the provider's name, so "TikTokShop:<id>" as a data-subject request's buyer_ids file lists it) when the
// platform sends one, else by the buyer's email (kind "email"). Records the platforms send without any buyer
// (TikTok Shop packages and returns) carry no pseudonym, hold no buyer data, and cannot be restricted per buyer.
//
// Every task is idempotent: run again on unchanged data it changes nothing and reports zero writes.
package worker
