package controllers

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop/tiktokshoptest"
	"github.com/alitok/workspace-operator/internal/webhook"
)

// The seller revokes the app on TikTok Shop: the platform's signed deauthorization reaches the receiver, which
// marks the Integration, and the operator stops syncing and applies onDisconnect within seconds. A forged one
// changes nothing.
func TestASignedDeauthorizationWebhookDisconnectsTheIntegration(t *testing.T) {
	needsCluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := webhook.AppCredentials{Key: "alitok-app", Secret: "alitok-app-secret-7f3c91"}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- webhook.Run(ctx, env.Config, webhook.Options{Listener: ln, MetricsBindAddress: "0", HealthProbeBindAddress: "0",
			Scheme: scheme, TikTokShop: webhook.TikTokShopOptions{Credentials: app}, Log: ctrl.Log.WithName("webhook")})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the receiver ended with: %v", err)
		}
	})
	url := "http://" + ln.Addr().String() + webhook.TikTokShopPath

	i := tenantWithIntegration(t, "deauthorized", func(i *workspacesv1alpha1.Integration) { i.Spec.OnDisconnect = workspacesv1alpha1.OnDisconnectPurge })
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionReady, metav1.ConditionTrue, ""))
	ns := i.Namespace
	send := func(secret string) int {
		body := tiktokshoptest.DeauthorizationEvent(i.Spec.Account.ID, time.Now())
		req, err := tiktokshoptest.WebhookRequest(ctx, url, app.Key, secret, body)
		if err != nil {
			t.Fatal(err)
		}
		var code int
		eventually(t, waitTimeout, func() error { // the receiver serves once its cache has synced
			resp, err := http.DefaultClient.Do(req.Clone(ctx))
			if err != nil {
				return err
			}
			resp.Body.Close()
			code = resp.StatusCode
			return nil
		})
		return code
	}

	if code := send("forged-secret"); code != http.StatusUnauthorized {
		t.Errorf("a forged deauthorization was answered %d, want 401", code)
	}
	consistently(t, 2*time.Second, cronJobsSuspended(ns, false))
	if _, marked := getIntegration(t, i).Annotations[workspacesv1alpha1.RevokedAnnotation]; marked {
		t.Fatal("a forged deauthorization marked the Integration")
	}

	start := time.Now()
	if code := send(app.Secret); code != http.StatusOK {
		t.Fatalf("the signed deauthorization was answered %d, want 200", code)
	}
	eventually(t, waitTimeout, cronJobsSuspended(ns, true))
	eventually(t, waitTimeout, exists(&batchv1.Job{}, purgeJobName(i.Name), ns))
	t.Logf("syncing stopped and the purge started %s after the webhook", time.Since(start).Round(100*time.Millisecond))
	finishJobPods(t, ns, purgeJobName(i.Name), corev1.PodSucceeded, `{"task":"purge","ok":true}`)
	eventually(t, waitTimeout, intgCondition(i, workspacesv1alpha1.ConditionStalled, metav1.ConditionTrue, workspacesv1alpha1.ReasonRevoked))
	eventually(t, waitTimeout, gone(&corev1.Secret{}, credentialsName(i.Name), ns))
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(i), &workspacesv1alpha1.Integration{}); err != nil {
		t.Errorf("the revoked Integration is gone; it must stay as the record: %v", err)
	}
}
