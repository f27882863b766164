package v1alpha1

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Lifecycle is where a Tenant stands in its account life.
// +kubebuilder:validation:Enum=Active;Suspended;Closed
type Lifecycle string

// The lifecycles.
const (
	// LifecycleActive is the normal state: members have their roles and work runs.
	LifecycleActive Lifecycle = "Active"
	// LifecycleSuspended keeps data and read access but stops work: every member is bound read-only and
	// sync CronJobs are suspended.
	LifecycleSuspended Lifecycle = "Suspended"
	// LifecycleClosed removes member access at once and purges the workspace after the grace period.
	LifecycleClosed Lifecycle = "Closed"
)

// MemberKind is the kind of subject a member is.
// +kubebuilder:validation:Enum=User;Group;ServiceAccount
type MemberKind string

// The member kinds, as RBAC subjects spell them.
const (
	MemberUser           MemberKind = "User"
	MemberGroup          MemberKind = "Group"
	MemberServiceAccount MemberKind = "ServiceAccount"
)

// Role is a member's role in the tenant; each maps to the ClusterRole workspace-operator:tenant-<role>.
// +kubebuilder:validation:Enum=owner;admin;member;viewer
type Role string

// The roles, from most to least privileged.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
	RoleViewer Role = "viewer"
)

// Roles lists every Role, most privileged first.
var Roles = []Role{RoleOwner, RoleAdmin, RoleMember, RoleViewer}

// Member grants one subject a role in the tenant's namespace.
// +kubebuilder:validation:XValidation:rule="self.kind == 'ServiceAccount' ? self.__namespace__.size() > 0 : self.__namespace__.size() == 0",message="namespace is required for a ServiceAccount member and must be empty for User and Group members"
type Member struct {
	// kind is the kind of subject: User, Group or ServiceAccount.
	// +required
	Kind MemberKind `json:"kind,omitempty"`

	// name is the user name, group name or ServiceAccount name, as the cluster's authenticator reports it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`

	// namespace is the ServiceAccount's namespace; only for kind ServiceAccount.
	// +optional
	// +kubebuilder:default=""
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// role is the member's role: owner, admin, member or viewer. No role may read Secrets.
	// +required
	Role Role `json:"role,omitempty"`
}

// QuotaSpec sets the tenant namespace's ResourceQuota.
type QuotaSpec struct {
	// hard is the ResourceQuota's hard limits, e.g. {"requests.cpu": "4", "pods": "50"}.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Hard corev1.ResourceList `json:"hard,omitempty"`
}

// LimitsSpec sets the default requests and limits of containers in the tenant namespace (its LimitRange).
// +kubebuilder:validation:MinProperties=1
type LimitsSpec struct {
	// default is the limit a container gets when it sets none.
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	Default corev1.ResourceList `json:"default,omitempty"`

	// defaultRequest is the request a container gets when it sets none.
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	DefaultRequest corev1.ResourceList `json:"defaultRequest,omitempty"`
}

// ResidencySpec keeps a tenant's processing in one region.
type ResidencySpec struct {
	// region is where the tenant's data is processed; it must be one of the operator's allowed regions. Every
	// Job of the tenant is pinned to nodes labelled topology.kubernetes.io/region=<region>.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Region string `json:"region,omitempty"`
}

// RetentionRule keeps one category of data for a number of days.
type RetentionRule struct {
	// category is the data category the rule applies to.
	// +required
	Category DataCategory `json:"category,omitempty"`

	// keepDays is how many days records of the category are kept before the retention job deletes them.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=36500
	KeepDays int32 `json:"keepDays,omitempty"`
}

// LegalHold stops deletion of held categories, by retention, requests or closure, until it is removed or expires.
type LegalHold struct {
	// name identifies the hold, e.g. a case number.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name,omitempty"`

	// reason says why the data is held.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason,omitempty"`

	// categories are the held categories; empty holds every category.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=6
	Categories []DataCategory `json:"categories,omitempty"`

	// until is when the hold expires on its own; absent, it lasts until removed.
	// +optional
	Until *metav1.Time `json:"until,omitempty"`
}

// ClosureSpec tunes what happens when the tenant's account is closed.
type ClosureSpec struct {
	// gracePeriodDays is how long after closure the workspace and its data are purged.
	// +optional
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3650
	GracePeriodDays *int32 `json:"gracePeriodDays,omitempty"`
}

// TenantSpec is the desired state of one customer organization's workspace.
type TenantSpec struct {
	// displayName is a human-readable name for the tenant.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	DisplayName string `json:"displayName,omitempty"`

	// lifecycle is Active (default), Suspended (read-only, no work runs) or Closed (access removed, purged
	// after closure.gracePeriodDays).
	// +optional
	// +kubebuilder:default=Active
	Lifecycle Lifecycle `json:"lifecycle,omitempty"`

	// members are the subjects bound to tenant roles in the tenant's namespace.
	// +optional
	// +listType=map
	// +listMapKey=kind
	// +listMapKey=name
	// +listMapKey=namespace
	// +kubebuilder:validation:MaxItems=256
	Members []Member `json:"members,omitempty"`

	// quota sets the namespace's ResourceQuota; absent, the operator's default quota applies.
	// +optional
	Quota *QuotaSpec `json:"quota,omitempty"`

	// limits sets default container requests and limits; absent, the operator's defaults apply.
	// +optional
	Limits *LimitsSpec `json:"limits,omitempty"`

	// residency pins the tenant's processing to a region; absent, the operator's default region applies.
	// +optional
	Residency *ResidencySpec `json:"residency,omitempty"`

	// retention keeps each listed category for a number of days.
	// +optional
	// +listType=map
	// +listMapKey=category
	// +kubebuilder:validation:MaxItems=6
	Retention []RetentionRule `json:"retention,omitempty"`

	// legalHolds stop deletion of held categories.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	LegalHolds []LegalHold `json:"legalHolds,omitempty"`

	// closure tunes account closure.
	// +optional
	Closure *ClosureSpec `json:"closure,omitempty"`
}

// TenantPhase summarizes where a Tenant is in its life.
// +kubebuilder:validation:Enum=Active;Suspended;Closing;Purging;Closed
type TenantPhase string

// The phases.
const (
	TenantPhaseActive    TenantPhase = "Active"
	TenantPhaseSuspended TenantPhase = "Suspended"
	TenantPhaseClosing   TenantPhase = "Closing"
	TenantPhasePurging   TenantPhase = "Purging"
	TenantPhaseClosed    TenantPhase = "Closed"
)

// ClosureStatus records the account closure's timeline.
type ClosureStatus struct {
	// closedAt is when the operator first saw lifecycle Closed.
	// +optional
	ClosedAt *metav1.Time `json:"closedAt,omitempty"`

	// purgeAfter is when the workspace will be purged: closedAt plus closure.gracePeriodDays.
	// +optional
	PurgeAfter *metav1.Time `json:"purgeAfter,omitempty"`

	// purgedAt is when the workspace's namespace was gone.
	// +optional
	PurgedAt *metav1.Time `json:"purgedAt,omitempty"`

	// The purge Job deleting the tenant's synced data before the namespace goes: its name, failed attempts,
	// last failure and next attempt.
	PurgeStatus `json:",inline"`
}

// TenantStatus is the observed state of a Tenant.
type TenantStatus struct {
	// conditions are the tenant's conditions: Ready (the summary), Reconciling, Stalled, Isolated,
	// SecretStoreReady and DeletionBlocked.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec last reconciled successfully.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// phase summarizes the tenant's lifecycle: Active, Suspended, Closing, Purging or Closed.
	// +optional
	Phase TenantPhase `json:"phase,omitempty"`

	// namespace is the tenant's namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// closure records the closure timeline once the tenant is Closed.
	// +optional
	Closure *ClosureStatus `json:"closure,omitempty"`
}

// Tenant is one customer organization: an isolated namespace, its access, its secrets and its data policy.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=tn
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Namespace",type=string,JSONPath=`.status.namespace`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Isolated",type=string,JSONPath=`.status.conditions[?(@.type=="Isolated")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 56 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="Tenant name must be a DNS label (lowercase letters, digits, '-') of at most 56 characters, so that its namespace 'tenant-<name>' fits the 63-character limit"
type Tenant struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the tenant.
	// +required
	Spec TenantSpec `json:"spec"`

	// status is the observed state of the tenant.
	// +optional
	Status TenantStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// TenantList is a list of Tenants.
type TenantList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Tenant `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &Tenant{}, &TenantList{})
}

// DefaultGracePeriodDays is the closure grace period when the spec sets none.
const DefaultGracePeriodDays = 30

// GetLifecycle returns the lifecycle, Active when unset.
func (t *Tenant) GetLifecycle() Lifecycle {
	if t.Spec.Lifecycle == "" {
		return LifecycleActive
	}
	return t.Spec.Lifecycle
}

// GetGracePeriod returns the closure grace period.
func (t *Tenant) GetGracePeriod() time.Duration {
	days := int32(DefaultGracePeriodDays)
	if t.Spec.Closure != nil && t.Spec.Closure.GracePeriodDays != nil {
		days = *t.Spec.Closure.GracePeriodDays
	}
	return time.Duration(days) * 24 * time.Hour
}

// PurgeConfirmed reports whether the confirm-purge annotation names this tenant.
func (t *Tenant) PurgeConfirmed() bool {
	return t.Annotations[ConfirmPurgeAnnotation] == t.Name
}
