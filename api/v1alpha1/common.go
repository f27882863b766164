package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Labels and annotations the operator reads or writes. They are part of the public API: NetworkPolicies,
// admission policies, audits and GitOps repositories select on them.
const (
	// TenantLabel names the Tenant a namespace or object belongs to.
	TenantLabel = "workspaces.alitok.ai/tenant"
	// RegionLabel carries the tenant's residency region on its namespace.
	RegionLabel = "workspaces.alitok.ai/region"
	// ManagedByLabel is the standard label; its value is ManagedByValue on everything the operator creates.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of ManagedByLabel on objects the operator creates.
	ManagedByValue = "workspace-operator"
	// ComponentLabel says what part of a workspace an object is (namespace, network-policy, rbac, …).
	ComponentLabel = "app.kubernetes.io/component"

	// ConfirmPurgeAnnotation on a Closed Tenant, with the tenant's own name as value, skips the closure grace
	// period and purges the workspace now.
	ConfirmPurgeAnnotation = "workspaces.alitok.ai/confirm-purge"
	// SyncNowAnnotation on an Integration, with a new value each time, starts one sync Job per feature at once.
	SyncNowAnnotation = "workspaces.alitok.ai/sync-now"
	// RefreshNowAnnotation on an Integration, with a new value each time, starts its token refresh Job at once.
	RefreshNowAnnotation = "workspaces.alitok.ai/refresh-now"
	// RevokedAnnotation on an Integration says the seller revoked the app's access on the platform's side, and
	// when (RFC 3339): the webhook receiver sets it on a verified deauthorization. The operator then stops syncing
	// and applies onDisconnect as if the Integration had been deleted, keeping the object as the record. Removing
	// the annotation after the seller authorized again reconnects it.
	RevokedAnnotation = "workspaces.alitok.ai/revoked-at"
	// APIHostsAnnotation on an Integration's egress NetworkPolicy lists, comma-separated, the host names of its
	// platform's API (the configuration's providers.*.apiHosts). A NetworkPolicy matches addresses, not names, so
	// the policy itself admits HTTPS to any public address; an FQDN-aware network plugin or egress proxy can read
	// the hosts here to narrow it.
	APIHostsAnnotation = "workspaces.alitok.ai/api-hosts"
)

// Condition types shared by the kinds. Ready is the summary; Reconciling and Stalled are abnormal-true
// (kstatus); the others are specific to one kind.
const (
	ConditionReady            = "Ready"
	ConditionReconciling      = "Reconciling"
	ConditionStalled          = "Stalled"
	ConditionIsolated         = "Isolated"
	ConditionSecretStoreReady = "SecretStoreReady"
	ConditionDeletionBlocked  = "DeletionBlocked"
	ConditionCredentialsReady = "CredentialsReady"
	ConditionCredentialsValid = "CredentialsValid"
	ConditionOverdue          = "Overdue"
	ConditionBlocked          = "Blocked"
)

// DataCategory is a category of synced seller data that retention, legal holds and data-subject requests act on.
// +kubebuilder:validation:Enum=products;orders;shipping;support;accountProfile;logs
type DataCategory string

// The data categories.
const (
	CategoryProducts       DataCategory = "products"
	CategoryOrders         DataCategory = "orders"
	CategoryShipping       DataCategory = "shipping"
	CategorySupport        DataCategory = "support"
	CategoryAccountProfile DataCategory = "accountProfile"
	CategoryLogs           DataCategory = "logs"
)

// AllCategories lists every DataCategory, in a fixed order.
var AllCategories = []DataCategory{
	CategoryProducts, CategoryOrders, CategoryShipping, CategorySupport, CategoryAccountProfile, CategoryLogs,
}

// PurgeStatus is the progress of a purge Job, retried with backoff until it succeeds: a Tenant's at closure, an
// Integration's when it is disconnected with onDisconnect: Purge.
type PurgeStatus struct {
	// purgeJob is the name of the current purge Job.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	PurgeJob string `json:"purgeJob,omitempty"`

	// attempts is how many purge Jobs have failed so far.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Attempts int32 `json:"attempts,omitempty"`

	// lastFailure describes the last failed purge, from its Pod's termination message.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	LastFailure string `json:"lastFailure,omitempty"`

	// nextAttemptAt is when a failed purge is tried again.
	// +optional
	NextAttemptAt *metav1.Time `json:"nextAttemptAt,omitempty"`
}

// CronSchedulePattern is what a cron schedule may be: five fields within their ranges, or a macro, as the CronJob
// controller reads it. The schedule field's CEL rule spells out the same expression (a test checks they agree), so
// a schedule the CronJob would refuse is refused on the Integration, when it is written.
const CronSchedulePattern = `^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(([*]|([0-5]?[0-9])(-([0-5]?[0-9]))?)(/[1-9][0-9]?)?(,([*]|([0-5]?[0-9])(-([0-5]?[0-9]))?)(/[1-9][0-9]?)?)*) +(([*]|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[1-9][0-9]?)?(,([*]|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[1-9][0-9]?)?)*) +(([*]|(0?[1-9]|[12][0-9]|3[01]|[?])(-(0?[1-9]|[12][0-9]|3[01]|[?]))?)(/[1-9][0-9]?)?(,([*]|(0?[1-9]|[12][0-9]|3[01]|[?])(-(0?[1-9]|[12][0-9]|3[01]|[?]))?)(/[1-9][0-9]?)?)*) +(([*]|(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(-(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))?)(/[1-9][0-9]?)?(,([*]|(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(-(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))?)(/[1-9][0-9]?)?)*) +(([*]|([0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|[?])(-([0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|[?]))?)(/[1-9][0-9]?)?(,([*]|([0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|[?])(-([0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|[?]))?)(/[1-9][0-9]?)?)*))$`
