package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// tenant is the sample Tenant's shape: four members, a region, a quota and retention rules.
func tenant(name string) *workspacesv1alpha1.Tenant {
	return &workspacesv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: workspacesv1alpha1.TenantSpec{
			DisplayName: "Bench " + name,
			Members: []workspacesv1alpha1.Member{
				{Kind: workspacesv1alpha1.MemberUser, Name: name + "-owner@example.com", Role: workspacesv1alpha1.RoleOwner},
				{Kind: workspacesv1alpha1.MemberGroup, Name: name + "-ops", Role: workspacesv1alpha1.RoleAdmin},
				{Kind: workspacesv1alpha1.MemberUser, Name: name + "-viewer@example.com", Role: workspacesv1alpha1.RoleViewer},
			},
			Residency: &workspacesv1alpha1.ResidencySpec{Region: "eu-central-1"},
			Retention: []workspacesv1alpha1.RetentionRule{{Category: "orders", KeepDays: 2555}},
		},
	}
}

// integration is the sample TikTok Shop Integration with schedules that do not fall during the run.
func integration(tenantName string) *workspacesv1alpha1.Integration {
	return &workspacesv1alpha1.Integration{
		ObjectMeta: metav1.ObjectMeta{Name: "tiktok-shop", Namespace: "tenant-" + tenantName},
		Spec: workspacesv1alpha1.IntegrationSpec{
			Provider: workspacesv1alpha1.ProviderTikTokShop,
			Account:  workspacesv1alpha1.AccountRef{ID: "7494512345678901234", Region: "GB"},
			Features: []workspacesv1alpha1.Feature{
				{Name: "orders", Schedule: "0 3 1 1 *"},
				{Name: "products", Schedule: "30 3 1 1 *"},
			},
			Scopes:      []string{"seller.order.info", "seller.product.basic"},
			Credentials: workspacesv1alpha1.CredentialsSpec{RemoteKey: "tiktok/main"},
		},
	}
}

// createAll creates the Tenants from 16 workers, and each Integration as soon as the watch sees its namespace
// (as a person applying both would, without polling the API server), waiting at most timeout for the namespaces.
func createAll(ctx context.Context, c client.Client, names []string, w *watcher, timeout time.Duration) error {
	var firstErr error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range work {
				if err := c.Create(ctx, tenant(name)); err != nil {
					fail(err)
				}
			}
		}()
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	pending := slices.Clone(names)
	deadline := time.Now().Add(timeout)
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d tenant namespaces not created after %s (first: tenant-%s)", len(pending), timeout, pending[0])
		}
		var still []string
		for _, name := range pending {
			if !w.namespaceExists(name) {
				still = append(still, name)
				continue
			}
			if err := c.Create(ctx, integration(name)); err != nil {
				return err
			}
		}
		pending = still
		time.Sleep(500 * time.Millisecond)
	}
	return nil
}
