package controllers

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/config"
)

func bindingSummary(t *workspacesv1alpha1.Tenant) string {
	out := []string{}
	rbs := desiredRoleBindings(t, "ns")
	for _, role := range workspacesv1alpha1.Roles {
		rb, ok := rbs[roleBindingName(role)]
		if !ok {
			continue
		}
		subs := []string{}
		for _, s := range rb.Subjects {
			subs = append(subs, *s.Kind+":"+*s.Name)
		}
		out = append(out, fmt.Sprintf("%s->%s%v", *rb.Name, *rb.RoleRef.Name, subs))
	}
	return strings.Join(out, " ")
}

func TestDesiredRoleBindingsFollowLifecycle(t *testing.T) {
	members := withMembers(
		user("zed", workspacesv1alpha1.RoleOwner), user("amy", workspacesv1alpha1.RoleOwner),
		workspacesv1alpha1.Member{Kind: workspacesv1alpha1.MemberServiceAccount, Name: "bot", Namespace: "ci", Role: workspacesv1alpha1.RoleMember},
	)
	cases := []struct {
		lifecycle workspacesv1alpha1.Lifecycle
		want      string
	}{
		{workspacesv1alpha1.LifecycleActive, "tenant-owner->workspace-operator:tenant-owner[User:amy User:zed] tenant-member->workspace-operator:tenant-member[ServiceAccount:bot]"},
		{workspacesv1alpha1.LifecycleSuspended, "tenant-viewer->workspace-operator:tenant-viewer[ServiceAccount:bot User:amy User:zed]"},
		{workspacesv1alpha1.LifecycleClosed, ""},
	}
	for _, tc := range cases {
		t.Run(string(tc.lifecycle), func(t *testing.T) {
			tn := newTenant("t", members, func(tn *workspacesv1alpha1.Tenant) { tn.Spec.Lifecycle = tc.lifecycle })
			if got := bindingSummary(tn); got != tc.want {
				t.Errorf("bindings\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestServiceAccountSubjectsCarryTheirNamespace(t *testing.T) {
	tn := newTenant("t", withMembers(workspacesv1alpha1.Member{Kind: workspacesv1alpha1.MemberServiceAccount, Name: "bot", Namespace: "ci", Role: workspacesv1alpha1.RoleViewer}))
	s := desiredRoleBindings(tn, "ns")["tenant-viewer"].Subjects[0]
	if s.Namespace == nil || *s.Namespace != "ci" || s.APIGroup != nil {
		t.Errorf("ServiceAccount subject = %+v, want namespace ci and no API group", s)
	}
}

func TestLimitRangeStatesTheServersDefaultRequest(t *testing.T) {
	cfg := config.Default()
	tn := newTenant("t", func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.Limits = &workspacesv1alpha1.LimitsSpec{
			Default:        corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")},
			DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")},
		}
	})
	item := desiredLimitRange(cfg, tn, "ns").Spec.Limits[0]
	req := *item.DefaultRequest
	if got := req[corev1.ResourceCPU]; got.String() != "250m" {
		t.Errorf("defaultRequest cpu = %s, want the Tenant's 250m", got.String())
	}
	if got := req[corev1.ResourceMemory]; got.String() != "1Gi" {
		t.Errorf("defaultRequest memory = %s, want the default limit 1Gi, as the API server would set it", got.String())
	}
	if _, changed := tn.Spec.Limits.DefaultRequest[corev1.ResourceMemory]; changed {
		t.Error("building the LimitRange changed the Tenant's spec")
	}
}

func TestNamespaceNameAndRegionInput(t *testing.T) {
	cfg := config.Default()
	if ns, err := namespaceName(cfg, "acme"); err != nil || ns != "tenant-acme" {
		t.Errorf("namespaceName = %q, %v", ns, err)
	}
	long := *cfg
	long.NamespacePrefix = "a-very-long-prefix-"
	if _, err := namespaceName(&long, strings.Repeat("x", 50)); err == nil || !strings.Contains(err.Error(), "choose a shorter tenant name") {
		t.Errorf("a namespace over 63 characters: err = %v", err)
	}

	withDefault := *cfg
	withDefault.DefaultRegion = "eu-west-1"
	if r, err := residencyRegion(&withDefault, newTenant("t")); err != nil || r != "eu-west-1" {
		t.Errorf("no residency: region %q, %v; want the default", r, err)
	}
	if r, err := residencyRegion(cfg, newTenant("t")); err != nil || r != "" {
		t.Errorf("no residency, no default: region %q, %v; want unpinned", r, err)
	}
	_, err := residencyRegion(cfg, newTenant("t", func(tn *workspacesv1alpha1.Tenant) {
		tn.Spec.Residency = &workspacesv1alpha1.ResidencySpec{Region: "moon-1"}
	}))
	if err == nil || !strings.Contains(err.Error(), strings.Join(cfg.AllowedRegions, ", ")) {
		t.Errorf("region outside the list: err = %v, want it to name the allowed regions", err)
	}
}
