package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	batchv1ac "k8s.io/client-go/applyconfigurations/batch/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/config"
	"github.com/alitok/workspace-operator/internal/contract"
)

const (
	// Keys of the subject Secret a DataRequest points at.
	subjectEmailKey       = "email"
	subjectBuyerIDsKey    = "buyer_ids"
	subjectCorrectionsKey = "corrections.json"
)

// requestObjectName is the name of a request's Job, ServiceAccount and Secrets: the same for the same
// DataRequest, so every pass and every operator restart finds the one Job rather than making a second, and
// short enough for a Job name.
func requestObjectName(dr string) string {
	if len(dr) <= 40 {
		return "dr-" + dr
	}
	sum := sha256.Sum256([]byte(dr))
	return "dr-" + strings.TrimRight(dr[:30], "-.") + "-" + hex.EncodeToString(sum[:])[:8]
}

func subjectCopyName(dr string) string  { return requestObjectName(dr) + "-subject" }
func exportSecretName(dr string) string { return requestObjectName(dr) + "-export" }

// requestTask is the worker task a request type runs; Restriction and Objection run none ("").
func requestTask(t workspacesv1alpha1.RequestType) contract.Task {
	switch t {
	case workspacesv1alpha1.RequestAccess:
		return contract.TaskExport
	case workspacesv1alpha1.RequestRectification:
		return contract.TaskRectify
	case workspacesv1alpha1.RequestErasure:
		return contract.TaskErase
	}
	return ""
}

func requestLabels(tenant, dr string) map[string]string {
	l := tenantLabels(tenant, componentRequest)
	l[DataRequestLabel] = dr
	return l
}

// requestJob is the Job answering one request. The subject's identifiers reach it only as files from a
// Secret; its arguments name no subject.
func requestJob(cfg *config.Config, dr *workspacesv1alpha1.DataRequest, tenant, ns, region string, held []workspacesv1alpha1.DataCategory) (*batchv1ac.JobApplyConfiguration, error) {
	subject := contract.Subject{Tenant: tenant, SubjectDir: contract.SubjectFiles(subjectCopyName(dr.Name)),
		HMACKey: contract.TenantHMACKey(), Database: contract.TenantDatabase(), Held: held}
	if s := dr.Spec.Scope; s != nil {
		subject.Integrations, subject.Categories = s.Integrations, s.Categories
	}
	var in contract.Inputs
	switch requestTask(dr.Spec.Type) {
	case contract.TaskExport:
		in = &contract.Export{Subject: subject, ExportSecret: cfg.Privacy.ExportNamespace + "/" + exportSecretName(dr.Name)}
	case contract.TaskRectify:
		in = &contract.Rectify{Subject: subject}
	case contract.TaskErase:
		in = &contract.Erase{Subject: subject}
	default:
		return nil, fmt.Errorf("a %s request runs no Job", dr.Spec.Type)
	}
	return workerRun{
		inputs:         in,
		labels:         requestLabels(tenant, dr.Name),
		serviceAccount: requestObjectName(dr.Name),
		region:         region,
		once:           true,
	}.job(cfg, requestObjectName(dr.Name), ns), nil
}

func requestServiceAccount(dr *workspacesv1alpha1.DataRequest, tenant, ns string) *corev1ac.ServiceAccountApplyConfiguration {
	return corev1ac.ServiceAccount(requestObjectName(dr.Name), ns).
		WithLabels(requestLabels(tenant, dr.Name)).
		WithAutomountServiceAccountToken(false)
}

// exportWriterRole lets the export Job's ServiceAccount patch its one export Secret, nothing else.
func exportWriterRole(cfg *config.Config, dr *workspacesv1alpha1.DataRequest, tenant string) *rbacv1ac.RoleApplyConfiguration {
	return rbacv1ac.Role(exportSecretName(dr.Name), cfg.Privacy.ExportNamespace).
		WithLabels(requestLabels(tenant, dr.Name)).
		WithRules(rbacv1ac.PolicyRule().WithAPIGroups("").WithResources("secrets").
			WithResourceNames(exportSecretName(dr.Name)).WithVerbs("get", "patch"))
}

func exportWriterBinding(cfg *config.Config, dr *workspacesv1alpha1.DataRequest, tenant, ns string) *rbacv1ac.RoleBindingApplyConfiguration {
	return rbacv1ac.RoleBinding(exportSecretName(dr.Name), cfg.Privacy.ExportNamespace).
		WithLabels(requestLabels(tenant, dr.Name)).
		WithRoleRef(rbacv1ac.RoleRef().WithAPIGroup(rbacv1.GroupName).WithKind("Role").WithName(exportSecretName(dr.Name))).
		WithSubjects(rbacv1ac.Subject().WithKind(rbacv1.ServiceAccountKind).WithName(requestObjectName(dr.Name)).WithNamespace(ns))
}

// exportSecret is the empty Secret the export Job fills; it lives in the operator's namespace, out of tenant
// members' reach, and is deleted when the export's time to live ends.
func exportSecret(cfg *config.Config, dr *workspacesv1alpha1.DataRequest, tenant string) *corev1.Secret {
	s := &corev1.Secret{Type: corev1.SecretTypeOpaque}
	s.Name, s.Namespace, s.Labels = exportSecretName(dr.Name), cfg.Privacy.ExportNamespace, requestLabels(tenant, dr.Name)
	return s
}
