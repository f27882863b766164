package v1alpha1

// Reasons of the kinds' conditions and events. They are part of the API: alerts, GitOps health checks and
// runbooks match on them.

// Reasons every kind uses.
const (
	ReasonSucceeded       = "Succeeded"
	ReasonProgressing     = "Progressing"
	ReasonReconcileFailed = "ReconcileFailed"
	// ReasonPurging and ReasonPurgeFailed report a purge Job: a Tenant's at closure, an Integration's when it is
	// disconnected with onDisconnect: Purge. A failed purge is retried with backoff.
	ReasonPurging     = "Purging"
	ReasonPurgeFailed = "PurgeFailed"
)

// Reasons of a Tenant's conditions and events.
const (
	ReasonRegionNotAllowed   = "RegionNotAllowed"
	ReasonInvalidName        = "InvalidNamespaceName"
	ReasonNamespaceConflict  = "NamespaceConflict"
	ReasonNamespaceDeleting  = "NamespaceDeleting"
	ReasonAlreadyPurged      = "AlreadyPurged"
	ReasonIsolated           = "Isolated"
	ReasonNotIsolated        = "NotIsolated"
	ReasonVerifying          = "Verifying"
	ReasonTenantNotClosed    = "TenantNotClosed"
	ReasonAwaitingPurge      = "AwaitingPurge"
	ReasonClosed             = "Closed"
	ReasonPurged             = "Purged"
	ReasonNamespaceRecreated = "NamespaceRecreated"
	ReasonHMACKeyCreated     = "HMACKeyCreated"
	ReasonStoreNotConfigured = "NotConfigured"
	ReasonStorePending       = "Pending"
)

// Reasons of an Integration's conditions and events.
const (
	ReasonNotInTenant        = "NotInTenantNamespace"
	ReasonTenantNotReady     = "TenantNotReady"
	ReasonScopesMismatch     = "ScopesMismatch"
	ReasonInvalidSchedule    = "InvalidSchedule"
	ReasonRemoteKeyOutside   = "RemoteKeyOutsideTenantPath"
	ReasonNoSecretStore      = "NoSecretStore"
	ReasonCredentialsPending = "CredentialsPending"
	ReasonSuspended          = "Suspended"
	ReasonSyncStarted        = "SyncStarted"
	// ReasonUnauthorized: the platform refused the credentials on several syncs in a row; syncing is suspended
	// until the credentials Secret changes (the seller authorized again).
	ReasonUnauthorized = "Unauthorized"
	// ReasonAccepted: the last syncs with the current credentials were not refused.
	ReasonAccepted = "Accepted"
	// ReasonCredentialsChanged: new credentials, not yet tried by a sync.
	ReasonCredentialsChanged = "CredentialsChanged"
	// ReasonReauthorizationRequired: the platform refused to renew the token (the refresh token expired or was
	// revoked): a person must have the seller authorize the app again.
	ReasonReauthorizationRequired = "ReauthorizationRequired"
	// ReasonTokenRefreshFailed: a token refresh failed; it is retried on the refresh CronJob's schedule.
	ReasonTokenRefreshFailed = "TokenRefreshFailed"
	// ReasonRevoked: the seller revoked the app's access on the platform (RevokedAnnotation).
	ReasonRevoked = "Revoked"
)

// Reasons of a DataRequest's conditions and events.
const (
	ReasonTenantMissing      = "TenantNotFound"
	ReasonSubjectMissing     = "SubjectSecretNotFound"
	ReasonNoIdentifiers      = "NoIdentifiers"
	ReasonNoCorrections      = "NoCorrections"
	ReasonAllHeld            = "AllCategoriesHeld"
	ReasonPartiallyHeld      = "PartiallyHeld"
	ReasonNotHeld            = "NotHeld"
	ReasonJobRunning         = "JobRunning"
	ReasonJobFailed          = "JobFailed"
	ReasonCompleted          = "Completed"
	ReasonRestrictionInForce = "RestrictionInForce"
	ReasonOverdue            = "PastDue"
	ReasonOnTime             = "OnTime"
	ReasonExportExpired      = "ExportExpired"
)
