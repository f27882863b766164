package contract

// MaxResultBytes is the kubelet's limit on a termination message; a longer one is cut, and a cut JSON object is
// no longer readable.
const MaxResultBytes = 4096

// Result is the JSON object every run writes to its termination log, where the operator reads it. Fields a task
// does not produce are left out. It never holds secret values, subject identifiers, pseudonyms or exported data.
type Result struct {
	// Task is the task that ran ("" for an unknown task).
	Task string `json:"task"`
	// OK is true when the task completed.
	OK bool `json:"ok"`
	// Reason is a machine-readable cause of a failure (the Reason… constants); Error says it for people.
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`

	Tenant      string `json:"tenant,omitempty"`
	Integration string `json:"integration,omitempty"`
	Provider    string `json:"provider,omitempty"`
	Feature     string `json:"feature,omitempty"`

	// Counts is the task's report: SyncCounts for sync; per category, the erase counts for erase, the number of
	// exported or corrected records for export and rectify, the delete counts for purge and retention.
	Counts any `json:"counts,omitempty"`
	// Totals sums Counts over the categories (found, erased, anonymized, held, records, corrected, deleted).
	Totals map[string]int64 `json:"totals,omitempty"`
	// Held lists the categories in which a legal hold kept records this run would otherwise have deleted or
	// anonymized (erase, purge, retention).
	Held []string `json:"held,omitempty"`

	// Cursor is the upper bound of a sync's listing, RFC 3339: the --since of the next incremental sync.
	Cursor string `json:"cursor,omitempty"`
	// TokenExpiresAt is when the access token expires (RFC 3339), when the credentials say.
	TokenExpiresAt string `json:"tokenExpiresAt,omitempty"`
	// RefreshTokenExpiresAt is when the refresh token expires (RFC 3339), after a refresh that says.
	RefreshTokenExpiresAt string `json:"refreshTokenExpiresAt,omitempty"`

	// SHA256 and Bytes describe an export's document (lowercase hex of its SHA-256, its size), for the receipt.
	SHA256 string `json:"sha256,omitempty"`
	Bytes  int    `json:"bytes,omitempty"`
	// ExportSecret is the namespace/name of the Secret the export was written to.
	ExportSecret string `json:"exportSecret,omitempty"`

	// SchemaDropped is set when a whole-tenant purge with nothing held dropped the tenant's schema.
	SchemaDropped bool `json:"schemaDropped,omitempty"`
	// Truncated is set when parts of the result were left out to stay within MaxResultBytes.
	Truncated bool `json:"truncated,omitempty"`

	CompletedAt string `json:"completedAt"`
}

// SyncCounts is a sync's report.
type SyncCounts struct {
	// Fetched is how many records the platform delivered.
	Fetched int `json:"fetched"`
	// Written is how many rows were inserted or changed; zero when nothing changed since the last sync.
	Written int `json:"written"`
	// SkippedRestricted is how many records were not written because their buyer is on the restriction list.
	SkippedRestricted int `json:"skippedRestricted"`
}

// Reasons of a failed Result, for the operator to act on without parsing messages.
const (
	ReasonUsage                = "UsageError"              // an unknown task or flag, a missing or bad flag value
	ReasonInvalidInput         = "InvalidInput"            // a missing or malformed input file
	ReasonUnauthorized         = "Unauthorized"            // the platform refused the credentials: re-authorize
	ReasonTokenExpired         = "TokenExpired"            // the access token has expired: refresh it
	ReasonReauthorize          = "ReauthorizationRequired" // the refresh token expired or was revoked: re-authorize the seller account
	ReasonForbidden            = "Forbidden"               // the token lacks a scope the feature needs
	ReasonAccountNotAuthorized = "AccountNotAuthorized"    // the token is not authorized for --account-id
	ReasonRateLimited          = "RateLimited"             // still rate limited after the retries: come back later
	ReasonProviderUnavailable  = "ProviderUnavailable"     // the platform failed, still so after the retries
	ReasonProviderMalformed    = "ProviderMalformedResponse"
	ReasonProviderError        = "ProviderError" // any other platform error
	ReasonDBUnreachable        = "DatabaseUnreachable"
	ReasonDBError              = "DatabaseError"
	ReasonExportTooLarge       = "ExportTooLarge"
	ReasonExportOutput         = "ExportOutputFailed" // --output could not be written
	ReasonExportSecret         = "ExportSecretFailed" // --export-secret could not be patched
	ReasonTokenSecret          = "TokenSecretFailed"  // --token-secret could not be patched
	ReasonInternal             = "InternalError"
)
