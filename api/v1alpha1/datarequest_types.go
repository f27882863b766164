package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RequestType is the data-subject right a DataRequest exercises.
// +kubebuilder:validation:Enum=Access;Rectification;Erasure;Restriction;Objection
type RequestType string

// The request types.
const (
	RequestAccess        RequestType = "Access"
	RequestRectification RequestType = "Rectification"
	RequestErasure       RequestType = "Erasure"
	RequestRestriction   RequestType = "Restriction"
	RequestObjection     RequestType = "Objection"
)

// Jurisdiction is the law a request is answered under; it sets the deadlines.
// +kubebuilder:validation:Enum=GDPR;UKGDPR;CCPA;LGPD;PIPEDA;VCDPA
type Jurisdiction string

// The jurisdictions.
const (
	JurisdictionGDPR   Jurisdiction = "GDPR"
	JurisdictionUKGDPR Jurisdiction = "UKGDPR"
	JurisdictionCCPA   Jurisdiction = "CCPA"
	JurisdictionLGPD   Jurisdiction = "LGPD"
	JurisdictionPIPEDA Jurisdiction = "PIPEDA"
	JurisdictionVCDPA  Jurisdiction = "VCDPA"
)

// TenantReference names a Tenant.
type TenantReference struct {
	// name is the Tenant's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=56
	Name string `json:"name,omitempty"`
}

// SecretReference names a Secret in a namespace.
type SecretReference struct {
	// name is the Secret's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`

	// namespace is the Secret's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}

// Subject points at the data subject's identifiers. They stay in the Secret: the DataRequest and its status
// never carry them.
type Subject struct {
	// secretRef is the Secret holding the subject's identifiers (email, platform buyer IDs) and, for
	// Rectification, the corrections.
	// +required
	SecretRef SecretReference `json:"secretRef,omitzero"`
}

// Extension extends the request's deadline as the jurisdiction allows.
type Extension struct {
	// reason says why the extension is needed; it is recorded as evidence.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason,omitempty"`
}

// RequestScope narrows what a request touches.
type RequestScope struct {
	// integrations limits the request to these Integrations of the tenant; empty means all.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	Integrations []string `json:"integrations,omitempty"`

	// categories limits the request to these data categories; empty means all.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=6
	Categories []DataCategory `json:"categories,omitempty"`
}

// DataRequestSpec is one data-subject request.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.receivedAt) || (has(self.receivedAt) && self.receivedAt == oldSelf.receivedAt)",message="receivedAt is immutable once set"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.extension) || has(self.extension)",message="an extension cannot be withdrawn once granted"
// +kubebuilder:validation:XValidation:rule="has(oldSelf.scope) == has(self.scope) && (!has(self.scope) || self.scope == oldSelf.scope)",message="scope is immutable: file a new DataRequest for a different scope"
type DataRequestSpec struct {
	// tenantRef is the Tenant whose data the request concerns.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="tenantRef is immutable"
	TenantRef TenantReference `json:"tenantRef,omitzero"`

	// type is the right exercised: Access, Rectification, Erasure, Restriction or Objection.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="type is immutable: file a new DataRequest for another right"
	Type RequestType `json:"type,omitempty"`

	// subject points at the Secret holding the subject's identifiers.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="subject is immutable"
	Subject Subject `json:"subject,omitzero"`

	// jurisdiction is the law the request is answered under; it sets the deadlines.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="jurisdiction is immutable"
	Jurisdiction Jurisdiction `json:"jurisdiction,omitempty"`

	// receivedAt is when the request was received; absent, the DataRequest's creation time.
	// +optional
	ReceivedAt *metav1.Time `json:"receivedAt,omitempty"`

	// extension extends the deadline by the jurisdiction's extension period.
	// +optional
	Extension *Extension `json:"extension,omitempty"`

	// scope narrows the integrations and categories the request touches; absent, everything.
	// +optional
	Scope *RequestScope `json:"scope,omitempty"`
}

// RequestPhase is where a DataRequest stands.
// +kubebuilder:validation:Enum=Pending;Running;Completed;Blocked;Failed;Rejected
type RequestPhase string

// The phases.
const (
	RequestPhasePending   RequestPhase = "Pending"
	RequestPhaseRunning   RequestPhase = "Running"
	RequestPhaseCompleted RequestPhase = "Completed"
	RequestPhaseBlocked   RequestPhase = "Blocked"
	RequestPhaseFailed    RequestPhase = "Failed"
	RequestPhaseRejected  RequestPhase = "Rejected"
)

// JobRecord records one Job run for a request.
type JobRecord struct {
	// name is the Job's name, in the tenant's namespace.
	// +required
	Name string `json:"name,omitempty"`

	// task is the worker task the Job ran: erase, export, rectify or restrict.
	// +optional
	Task string `json:"task,omitempty"`

	// startTime is when the Job started.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// completionTime is when the Job finished, successfully or not.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`

	// succeeded reports whether the Job finished successfully.
	// +optional
	Succeeded *bool `json:"succeeded,omitempty"`
}

// RequestResult is what the request's Job found and did; the receipt is the evidence that it finished.
type RequestResult struct {
	// recordsFound is how many records of the subject were found in scope.
	// +optional
	RecordsFound int64 `json:"recordsFound,omitempty"`
	// recordsErased is how many records were deleted.
	// +optional
	RecordsErased int64 `json:"recordsErased,omitempty"`
	// recordsAnonymized is how many records were anonymized instead of deleted.
	// +optional
	RecordsAnonymized int64 `json:"recordsAnonymized,omitempty"`
	// recordsCorrected is how many records were corrected.
	// +optional
	RecordsCorrected int64 `json:"recordsCorrected,omitempty"`
	// heldCategories are the categories legal holds kept from erasure.
	// +optional
	// +listType=set
	HeldCategories []DataCategory `json:"heldCategories,omitempty"`
	// exportSecret is the Secret, in the operator's namespace, holding an Access request's export.
	// +optional
	ExportSecret string `json:"exportSecret,omitempty"`
	// receiptSHA256 is the SHA-256 of the Job's result object, as evidence of what was done.
	// +optional
	ReceiptSHA256 string `json:"receiptSHA256,omitempty"`
	// completedAt is when the request finished.
	// +optional
	CompletedAt *metav1.Time `json:"completedAt,omitempty"`
}

// DataRequestStatus is the observed state of a DataRequest.
type DataRequestStatus struct {
	// conditions are the request's conditions: Ready (the summary), Overdue, Blocked, Reconciling and Stalled.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec last reconciled successfully.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// phase is where the request stands: Pending, Running, Completed, Blocked, Failed or Rejected.
	// +optional
	Phase RequestPhase `json:"phase,omitempty"`

	// acknowledgeBy is when receipt must be acknowledged (CCPA: 10 business days).
	// +optional
	AcknowledgeBy *metav1.Time `json:"acknowledgeBy,omitempty"`

	// dueAt is when the request must be answered.
	// +optional
	DueAt *metav1.Time `json:"dueAt,omitempty"`

	// extendedDueAt is the due date with the extension, when one is granted.
	// +optional
	ExtendedDueAt *metav1.Time `json:"extendedDueAt,omitempty"`

	// jobs are the Jobs run for the request.
	// +optional
	// +listType=map
	// +listMapKey=name
	Jobs []JobRecord `json:"jobs,omitempty"`

	// result is what the request's Job found and did.
	// +optional
	Result *RequestResult `json:"result,omitempty"`
}

// DataRequest is one data-subject request (access, rectification, erasure, restriction, objection) against a
// tenant's data. Cluster-scoped, so requests and their evidence outlive the tenant's namespace and only the
// privacy team, not tenant members, can read them.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=dr
// +kubebuilder:printcolumn:name="Tenant",type=string,JSONPath=`.spec.tenantRef.name`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Due",type=string,JSONPath=`.status.dueAt`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type DataRequest struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the request.
	// +required
	Spec DataRequestSpec `json:"spec,omitzero"`

	// status is the request's progress, deadlines and evidence.
	// +optional
	Status DataRequestStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// DataRequestList is a list of DataRequests.
type DataRequestList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DataRequest `json:"items"`
}

func init() {
	objectTypes = append(objectTypes, &DataRequest{}, &DataRequestList{})
}
