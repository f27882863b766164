package webhook

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// AccountIndex is the field index of Integrations by platform account: "<provider>/<account id>", so that a
// notification about one shop finds its Integrations without listing every Integration.
const AccountIndex = "workspaces.alitok.ai/provider-account"

// AccountKey is the value AccountIndex holds for an account of a provider.
func AccountKey(p workspacesv1alpha1.Provider, accountID string) string {
	return string(p) + "/" + accountID
}

// accountKeys is AccountIndex's indexer.
func accountKeys(o client.Object) []string {
	i, ok := o.(*workspacesv1alpha1.Integration)
	if !ok || i.Spec.Account.ID == "" {
		return nil
	}
	return []string{AccountKey(i.Spec.Provider, i.Spec.Account.ID)}
}

// IndexIntegrationsByAccount registers AccountIndex with a cache's field indexer.
func IndexIntegrationsByAccount(ctx context.Context, indexer client.FieldIndexer) error {
	return indexer.IndexField(ctx, &workspacesv1alpha1.Integration{}, AccountIndex, accountKeys)
}
