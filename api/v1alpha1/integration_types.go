package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Provider is the marketplace platform an Integration connects to.
// +kubebuilder:validation:Enum=TikTokShop;AliExpress
type Provider string

// The providers.
const (
	ProviderTikTokShop Provider = "TikTokShop"
	ProviderAliExpress Provider = "AliExpress"
)

// Providers lists every Provider: the worker has a client registered for each, and the operator's provider
// catalog an entry.
var Providers = []Provider{ProviderTikTokShop, ProviderAliExpress}

// FeatureName is a kind of data an Integration syncs.
// +kubebuilder:validation:Enum=products;orders;fulfillment;returns
type FeatureName string

// The features.
const (
	FeatureProducts    FeatureName = "products"
	FeatureOrders      FeatureName = "orders"
	FeatureFulfillment FeatureName = "fulfillment"
	FeatureReturns     FeatureName = "returns"
)

// Features lists every FeatureName.
var Features = []FeatureName{FeatureProducts, FeatureOrders, FeatureFulfillment, FeatureReturns}

// OnDisconnect is what deleting an Integration does to the data it synced.
// +kubebuilder:validation:Enum=Retain;Purge
type OnDisconnect string

// The disconnect policies.
const (
	OnDisconnectRetain OnDisconnect = "Retain"
	OnDisconnectPurge  OnDisconnect = "Purge"
)

// AccountRef names the seller's account on the platform.
type AccountRef struct {
	// id is the seller's shop ID (TikTok Shop) or seller ID (AliExpress).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9._:-]+$`
	ID string `json:"id,omitempty"`

	// region is the platform's market of the account, e.g. "GB" or "US".
	// +optional
	// +kubebuilder:validation:MaxLength=16
	Region string `json:"region,omitempty"`
}

// Feature enables syncing one kind of data.
type Feature struct {
	// name is the feature: products, orders, fulfillment or returns.
	// +required
	Name FeatureName `json:"name,omitempty"`

	// schedule is the sync CronJob's schedule in cron syntax (UTC); absent, the provider catalog's default applies.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(([*]|([0-5]?[0-9])(-([0-5]?[0-9]))?)(/[1-9][0-9]?)?(,([*]|([0-5]?[0-9])(-([0-5]?[0-9]))?)(/[1-9][0-9]?)?)*) +(([*]|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[1-9][0-9]?)?(,([*]|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[1-9][0-9]?)?)*) +(([*]|(0?[1-9]|[12][0-9]|3[01]|[?])(-(0?[1-9]|[12][0-9]|3[01]|[?]))?)(/[1-9][0-9]?)?(,([*]|(0?[1-9]|[12][0-9]|3[01]|[?])(-(0?[1-9]|[12][0-9]|3[01]|[?]))?)(/[1-9][0-9]?)?)*) +(([*]|(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(-(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))?)(/[1-9][0-9]?)?(,([*]|(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(-(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))?)(/[1-9][0-9]?)?)*) +(([*]|([0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|[?])(-([0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|[?]))?)(/[1-9][0-9]?)?(,([*]|([0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|[?])(-([0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|[?]))?)(/[1-9][0-9]?)?)*))$')",message="schedule must be a cron expression of five fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC), day of week (0-7 or SUN-SAT), each *, a value, a range a-b, with an optional step /n, or a comma-separated list, e.g. */15 * * * *; or @hourly, @daily, @weekly, @monthly or @yearly"
	Schedule string `json:"schedule,omitempty"`
}

// CredentialsSpec says where the integration's platform credentials live in the tenant's secret backend.
type CredentialsSpec struct {
	// remoteKey is the key of the credentials, relative to the tenant's path in the secret backend. Absolute
	// paths and '..' are refused: an integration reads only its own tenant's secrets.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9._/-]+$`
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/')",message="remoteKey must be relative to the tenant's secret path, not absolute"
	// +kubebuilder:validation:XValidation:rule="!self.split('/').exists(s, s == '..' || s == '.')",message="remoteKey must not contain '.' or '..' segments: it may not leave the tenant's secret path"
	RemoteKey string `json:"remoteKey,omitempty"`

	// refreshInterval is how often the credentials are re-read from the backend.
	// +optional
	// +kubebuilder:default="1h0m0s"
	RefreshInterval *metav1.Duration `json:"refreshInterval,omitempty"`
}

// IntegrationSpec is the desired state of one connected seller account.
type IntegrationSpec struct {
	// provider is the platform: TikTokShop or AliExpress.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="provider is immutable: create a new Integration for another platform"
	Provider Provider `json:"provider,omitempty"`

	// account is the seller's account on the platform.
	// +required
	Account AccountRef `json:"account,omitzero"`

	// features are the kinds of data synced; one CronJob runs per feature.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=4
	Features []Feature `json:"features,omitempty"`

	// scopes are the platform permissions granted to the integration. Each enabled feature needs its scopes
	// (the operator's provider catalog lists them); a scope no enabled feature needs is refused.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=128
	Scopes []string `json:"scopes,omitempty"`

	// credentials locate the platform credentials in the tenant's secret backend.
	// +required
	Credentials CredentialsSpec `json:"credentials,omitzero"`

	// suspend stops syncing (restriction of processing) and keeps the credentials.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// onDisconnect is what deleting the Integration does to its synced data: Retain (default) or Purge.
	// +optional
	// +kubebuilder:default=Retain
	OnDisconnect OnDisconnect `json:"onDisconnect,omitempty"`
}

// FeatureStatus reports one feature's sync.
type FeatureStatus struct {
	// name is the feature.
	// +required
	Name FeatureName `json:"name,omitempty"`

	// cronJob is the name of the feature's CronJob.
	// +optional
	CronJob string `json:"cronJob,omitempty"`

	// lastScheduleTime is when a sync last started.
	// +optional
	LastScheduleTime *metav1.Time `json:"lastScheduleTime,omitempty"`

	// lastSuccessfulTime is when a sync last succeeded.
	// +optional
	LastSuccessfulTime *metav1.Time `json:"lastSuccessfulTime,omitempty"`

	// lastFailure describes the last failed sync, from its Pod's termination message.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	LastFailure string `json:"lastFailure,omitempty"`
}

// IntegrationStatus is the observed state of an Integration.
type IntegrationStatus struct {
	// conditions are the integration's conditions: Ready (the summary), CredentialsReady (the ExternalSecret
	// fetched them), CredentialsValid (the platform accepts them), Reconciling and Stalled.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec last reconciled successfully.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// secretName is the Secret the ExternalSecret writes the credentials to.
	// +optional
	SecretName string `json:"secretName,omitempty"`

	// features report each enabled feature's sync.
	// +optional
	// +listType=map
	// +listMapKey=name
	Features []FeatureStatus `json:"features,omitempty"`

	// lastHandledSyncNow is the value of the sync-now annotation last acted on.
	// +optional
	LastHandledSyncNow string `json:"lastHandledSyncNow,omitempty"`

	// lastHandledRefreshNow is the value of the refresh-now annotation last acted on.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	LastHandledRefreshNow string `json:"lastHandledRefreshNow,omitempty"`

	// credentialsCheck says which version of the credentials Secret CredentialsValid speaks of, and since when.
	// +optional
	CredentialsCheck *CredentialsCheck `json:"credentialsCheck,omitempty"`

	// tokenExpiresAt is when the access token expires, as the last sync or token refresh reported.
	// +optional
	TokenExpiresAt *metav1.Time `json:"tokenExpiresAt,omitempty"`

	// tokenRefreshFailure says why the last token refresh failed; empty once one succeeds. The refresh CronJob
	// retries on its schedule, each Job with the cluster's backoff.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	TokenRefreshFailure string `json:"tokenRefreshFailure,omitempty"`

	// disconnect reports the purge run when the Integration is deleted with onDisconnect: Purge, or revoked on
	// the platform's side.
	// +optional
	Disconnect *DisconnectStatus `json:"disconnect,omitempty"`
}

// CredentialsCheck ties the platform's verdict on the credentials to one version of their Secret.
type CredentialsCheck struct {
	// secretVersion is the resourceVersion of the credentials Secret the verdict is about; a new version (the
	// seller authorized the app again) starts a new verdict.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	SecretVersion string `json:"secretVersion,omitempty"`

	// since is when the operator first saw that version: only syncs started after it count towards the verdict.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
}

// DisconnectStatus reports the purge of an Integration's data on disconnect.
type DisconnectStatus struct {
	PurgeStatus `json:",inline"`

	// disconnectedAt is when onDisconnect was applied and the integration's access revoked, for an Integration
	// revoked on the platform's side (which stays as the record).
	// +optional
	DisconnectedAt *metav1.Time `json:"disconnectedAt,omitempty"`
}

// Integration is one connected seller account on TikTok Shop or AliExpress, in its tenant's namespace.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=intg
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider`
// +kubebuilder:printcolumn:name="Account",type=string,JSONPath=`.spec.account.id`
// +kubebuilder:printcolumn:name="Credentials",type=string,JSONPath=`.status.conditions[?(@.type=="CredentialsReady")].status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 40 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="Integration name must be a DNS label of at most 40 characters, so that its CronJobs '<name>-<feature>' fit the 52-character limit"
type Integration struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the integration.
	// +required
	Spec IntegrationSpec `json:"spec,omitzero"`

	// status is the observed state of the integration.
	// +optional
	Status IntegrationStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// IntegrationList is a list of Integrations.
type IntegrationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Integration `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &Integration{}, &IntegrationList{})
}

// GetRefreshInterval returns the credentials' refresh interval, one hour when unset.
func (i *Integration) GetRefreshInterval() time.Duration {
	if i.Spec.Credentials.RefreshInterval == nil {
		return time.Hour
	}
	return i.Spec.Credentials.RefreshInterval.Duration
}

// GetOnDisconnect returns the disconnect policy, Retain when unset.
func (i *Integration) GetOnDisconnect() OnDisconnect {
	if i.Spec.OnDisconnect == "" {
		return OnDisconnectRetain
	}
	return i.Spec.OnDisconnect
}
