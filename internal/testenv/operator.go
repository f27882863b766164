package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// OperatorUser is the identity the operator has in a cluster: its ServiceAccount in the chart's namespace.
const OperatorUser = "system:serviceaccount:workspace-operator-system:workspace-operator"

// InstallOperatorRBAC applies config/rbac's generated ClusterRole and the tenant ClusterRoles, and binds user
// to the former, as the kustomize and Helm installs do; c must be allowed to do so.
func InstallOperatorRBAC(ctx context.Context, c client.Client, user string) error {
	for _, file := range []string{"role.yaml", "tenant_roles.yaml"} {
		if err := ApplyYAMLFile(ctx, c, filepath.Join(Root(), "config", "rbac", file)); err != nil {
			return err
		}
	}
	return c.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "workspace-operator"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "workspace-operator"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	})
}

// ApplyYAMLFile server-side applies every object of a multi-document YAML file.
func ApplyYAMLFile(ctx context.Context, c client.Client, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("%s: %w", path, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("testenv"), client.ForceOwnership); err != nil {
			return fmt.Errorf("%s: %s %s: %w", path, u.GetKind(), u.GetName(), err)
		}
	}
}
