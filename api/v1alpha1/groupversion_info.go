// Package v1alpha1 contains the API types of the workspaces.alitok.ai group: Tenant, Integration and DataRequest.
//
// +kubebuilder:object:generate=true
// +groupName=workspaces.alitok.ai
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of this package's kinds.
	GroupVersion = schema.GroupVersion{Group: "workspaces.alitok.ai", Version: "v1alpha1"}

	schemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds this package's kinds to a runtime.Scheme.
	AddToScheme = schemeBuilder.AddToScheme

	// objectTypes are this package's kinds; each kind's file adds its own in init. Built on apimachinery alone,
	// so that importing the API does not import controller-runtime.
	objectTypes []runtime.Object
)

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion, objectTypes...)
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
