// Package contract is the contract between the operator and its worker: each task's inputs as one Go type, the
// files the operator mounts for them, and the JSON result a run reports.
//
// The operator fills a task's struct and turns it into a Job's arguments (Args) and mounts (Mounts); the worker
// parses its command line back into the same struct (Bind, CheckRequired). A flag is declared once, in a field's
// `flag` tag, so the two sides cannot name it differently; the contract test in controllers parses every command
// line the operator can write with the worker's parser and compares what comes out with what went in.
package contract

import (
	"fmt"
	"slices"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// Task is a worker task: the word after `workspace-operator worker`.
type Task string

// The worker's tasks.
const (
	TaskSync      Task = "sync"
	TaskErase     Task = "erase"
	TaskExport    Task = "export"
	TaskRectify   Task = "rectify"
	TaskPurge     Task = "purge"
	TaskRetention Task = "retention"
	TaskRefresh   Task = "refresh"
)

// Tasks lists every task, sorted.
var Tasks = []Task{TaskErase, TaskExport, TaskPurge, TaskRectify, TaskRefresh, TaskRetention, TaskSync}

// APIServerTasks are the tasks that talk to the Kubernetes API server (an Access export writes its Secret, a
// token refresh the new tokens): only their Pods get a service-account token and egress to the API server.
var APIServerTasks = []Task{TaskExport, TaskRefresh}

// DatabaseTasks are the tasks that read or write the tenant's synced data: all but the token refresh.
var DatabaseTasks = []Task{TaskErase, TaskExport, TaskPurge, TaskRectify, TaskRetention, TaskSync}

// PlatformTasks are the tasks that call a platform's API (HTTPS on 443).
var PlatformTasks = []Task{TaskRefresh, TaskSync}

// NeedsAPIServer reports whether a task's Pods must reach the Kubernetes API server.
func NeedsAPIServer(t Task) bool { return slices.Contains(APIServerTasks, t) }

// Inputs is one task's inputs: a pointer to one of the structs below.
type Inputs interface {
	Task() Task
}

// Sync copies one feature of one Integration from its platform into the tenant's schema.
type Sync struct {
	Tenant      string                         `flag:"tenant" required:"true" usage:"the Tenant"`
	Integration string                         `flag:"integration" required:"true" usage:"the Integration"`
	Provider    workspacesv1alpha1.Provider    `flag:"provider" required:"true" usage:"the platform: TikTokShop or AliExpress"`
	Feature     workspacesv1alpha1.FeatureName `flag:"feature" required:"true" usage:"products, orders, fulfillment or returns"`
	AccountID   string                         `flag:"account-id" usage:"the seller account (TikTok Shop: the shop ID, used to find the shop cipher when the credentials have none)"`
	APIBaseURL  string                         `flag:"api-base-url" usage:"the platform API's https://host (default: the platform's own)"`
	Since       string                         `flag:"since" usage:"RFC 3339 cursor: sync records updated from then on (default: everything)"`
	Credentials Mounted                        `flag:"credentials-dir" required:"true" usage:"directory of the credential files app_key, app_secret, access_token, [shop_cipher], [access_token_expire_at]"`
	Database    Mounted                        `flag:"database-dsn-file" required:"true" usage:"file holding the PostgreSQL DSN"`
	HMACKey     Mounted                        `flag:"hmac-key-file" required:"true" usage:"file holding the tenant's HMAC key, raw bytes"`
	// RestrictionList is one file of restricted pseudonyms, for runs by hand; Jobs mount Restrictions.
	RestrictionList Mounted `flag:"restriction-list" usage:"file holding a JSON array of pseudonyms whose records are not synced"`
	Restrictions    Mounted `flag:"restriction-dir" usage:"folder of such files, one per restriction (the mounted restriction-list ConfigMap)"`
}

// Refresh renews an Integration's access token through the platform's refresh call when it expires within
// RefreshBefore, and writes the whole credentials document, with the new tokens, to TokenSecret, from where the
// operator's PushSecret writes it back to the secret backend.
type Refresh struct {
	Tenant        string                      `flag:"tenant" required:"true" usage:"the Tenant"`
	Integration   string                      `flag:"integration" required:"true" usage:"the Integration"`
	Provider      workspacesv1alpha1.Provider `flag:"provider" required:"true" usage:"the platform: TikTokShop or AliExpress"`
	APIBaseURL    string                      `flag:"api-base-url" usage:"the platform API's https://host (default: the platform's own)"`
	AuthBaseURL   string                      `flag:"auth-base-url" usage:"the platform's token endpoint https://host, where it differs from the API's (TikTok Shop; default: the platform's own)"`
	RefreshBefore string                      `flag:"refresh-before" usage:"refresh when the access token expires within this duration (default 72h)"`
	Credentials   Mounted                     `flag:"credentials-dir" required:"true" usage:"directory of the credential files: app_key, app_secret, access_token, refresh_token, [access_token_expire_at], …"`
	TokenSecret   string                      `flag:"token-secret" required:"true" usage:"NAMESPACE/NAME of the Secret whose key credentials.json receives the renewed credentials"`
}

// TokenSecretKey is the key of the token Secret holding the renewed credentials document (JSON, one field per
// credential file), which the PushSecret writes to the backend at the Integration's remoteKey.
const TokenSecretKey = "credentials.json"

// Subject is what the data-subject tasks (erase, export, rectify) share: whose data, where, and in what scope.
type Subject struct {
	Tenant       string                            `flag:"tenant" required:"true" usage:"the Tenant"`
	SubjectDir   Mounted                           `flag:"subject-dir" required:"true" usage:"directory of the subject's files: email, [buyer_ids] (<provider>:<id> per line), [corrections.json]"`
	HMACKey      Mounted                           `flag:"hmac-key-file" required:"true" usage:"file holding the tenant's HMAC key, raw bytes"`
	Database     Mounted                           `flag:"database-dsn-file" required:"true" usage:"file holding the PostgreSQL DSN"`
	Held         []workspacesv1alpha1.DataCategory `flag:"held-categories" usage:"comma-separated data categories under a legal hold"`
	Integrations []string                          `flag:"integrations" usage:"comma-separated Integrations in scope (default: all)"`
	Categories   []workspacesv1alpha1.DataCategory `flag:"categories" usage:"comma-separated data categories in scope (default: all)"`
}

// Erase erases a data subject's personal data, except in held categories.
type Erase struct{ Subject }

// Rectify applies the corrections in the subject's corrections.json. Holds stop deletion, not correction.
type Rectify struct{ Subject }

// Export writes a data subject's data to a file and/or a pre-created Secret (an Access request).
type Export struct {
	Subject
	// MaxBytes bounds the export; zero means DefaultExportMaxBytes.
	MaxBytes     int    `flag:"max-bytes" usage:"largest export accepted, in bytes (default 4194304)"`
	Output       string `flag:"output" usage:"file the export JSON is written to"`
	ExportSecret string `flag:"export-secret" usage:"NAMESPACE/NAME of an existing Secret whose key export.json receives the export"`
}

// DefaultExportMaxBytes bounds an export unless Export.MaxBytes says otherwise.
const DefaultExportMaxBytes = 4 << 20

// Purge deletes an Integration's data, or the whole tenant's without Integration, except held categories.
type Purge struct {
	Tenant      string                            `flag:"tenant" required:"true" usage:"the Tenant"`
	Integration string                            `flag:"integration" usage:"the Integration whose data is purged (default: the whole tenant's)"`
	Held        []workspacesv1alpha1.DataCategory `flag:"held-categories" usage:"comma-separated data categories under a legal hold"`
	Database    Mounted                           `flag:"database-dsn-file" required:"true" usage:"file holding the PostgreSQL DSN"`
}

// Retention deletes records older than their category's days to keep, except held categories.
type Retention struct {
	Tenant   string                            `flag:"tenant" required:"true" usage:"the Tenant"`
	Keep     Keep                              `flag:"keep" required:"true" usage:"retention rules <category>=<days>, comma-separated, e.g. orders=2555,logs=30"`
	Held     []workspacesv1alpha1.DataCategory `flag:"held-categories" usage:"comma-separated data categories under a legal hold"`
	Database Mounted                           `flag:"database-dsn-file" required:"true" usage:"file holding the PostgreSQL DSN"`
}

// Task is TaskSync.
func (*Sync) Task() Task { return TaskSync }

// Task is TaskErase.
func (*Erase) Task() Task { return TaskErase }

// Task is TaskRectify.
func (*Rectify) Task() Task { return TaskRectify }

// Task is TaskExport.
func (*Export) Task() Task { return TaskExport }

// Task is TaskPurge.
func (*Purge) Task() Task { return TaskPurge }

// Task is TaskRetention.
func (*Retention) Task() Task { return TaskRetention }

// Task is TaskRefresh.
func (*Refresh) Task() Task { return TaskRefresh }

// New returns empty inputs of a task, for the worker to parse its command line into.
func New(t Task) (Inputs, error) {
	switch t {
	case TaskSync:
		return &Sync{}, nil
	case TaskErase:
		return &Erase{}, nil
	case TaskRectify:
		return &Rectify{}, nil
	case TaskExport:
		return &Export{}, nil
	case TaskPurge:
		return &Purge{}, nil
	case TaskRetention:
		return &Retention{}, nil
	case TaskRefresh:
		return &Refresh{}, nil
	}
	return nil, fmt.Errorf("unknown task %q", t)
}
