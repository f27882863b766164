// Command nodedemo is `make demo` on a real node (hack/e2e.sh --demo runs it inside the node's network namespace):
// ESO and the operator installed from their charts, a Tenant with a TikTok Shop Integration syncing orders from
// the local fake platform into PostgreSQL, an Erasure for one buyer answered with its receipt and the buyer's rows
// gone, and the isolation audit. Each step prints what a user would look at.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
	"github.com/alitok/workspace-operator/internal/provider/tiktokshop/tiktokshoptest"
	"github.com/alitok/workspace-operator/test/e2e/realnode"
)

func main() {
	w, err := realnode.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo set-up failed:", err)
		os.Exit(1)
	}
	err = demo(w)
	w.Stop(err != nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func say(format string, args ...any) { fmt.Printf("\n==> "+format+"\n", args...) }

// show prints what kubectl prints.
func show(w *realnode.World, args ...string) {
	fmt.Printf("$ kubectl %s\n", strings.Join(args, " "))
	out, err := w.Kubectl(args...)
	if err != nil {
		fmt.Println(err)
	}
	fmt.Print(out)
}

func ready(conds []metav1.Condition) (bool, string) {
	c := meta.FindStatusCondition(conds, workspacesv1alpha1.ConditionReady)
	if c == nil {
		return false, "Ready not set"
	}
	return c.Status == metav1.ConditionTrue, c.Reason + ": " + c.Message
}

func demo(w *realnode.World) error {
	now := time.Now()
	alice, bob := tiktokshoptest.NewBuyer("alice"), tiktokshoptest.NewBuyer("bob")
	w.TikTok.AddOrder("5761000000000000001", alice, "COMPLETED", now.Add(-3*time.Hour))
	w.TikTok.AddOrder("5761000000000000002", alice, "AWAITING_SHIPMENT", now.Add(-2*time.Hour))
	w.TikTok.AddOrder("5761000000000000003", bob, "COMPLETED", now.Add(-time.Hour))

	say("a Tenant: its own namespace, default-deny NetworkPolicies, Pod Security restricted, quota, a SecretStore")
	tn := &workspacesv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: workspacesv1alpha1.TenantSpec{
		DisplayName: "ACME Sellers Ltd", Residency: &workspacesv1alpha1.ResidencySpec{Region: "eu-central-1"},
		Members: []workspacesv1alpha1.Member{{Kind: workspacesv1alpha1.MemberUser, Name: "alice@acme.example", Role: workspacesv1alpha1.RoleOwner}},
	}}
	if err := w.C.Create(w.Ctx, tn); err != nil {
		return err
	}
	if err := realnode.Poll(2*time.Minute, func() (bool, string) {
		if err := w.C.Get(w.Ctx, client.ObjectKeyFromObject(tn), tn); err != nil {
			return false, err.Error()
		}
		return ready(tn.Status.Conditions)
	}); err != nil {
		return fmt.Errorf("waiting for Tenant acme to be Ready: %w", err)
	}
	show(w, "get", "tenant", "acme")
	show(w, "get", "networkpolicies,resourcequota,secretstores", "-n", "tenant-acme")

	say("an Integration: the seller's TikTok Shop, credentials through ESO from the tenant's own store, one CronJob per feature")
	intg := &workspacesv1alpha1.Integration{ObjectMeta: metav1.ObjectMeta{Name: "tiktok-shop", Namespace: "tenant-acme"},
		Spec: workspacesv1alpha1.IntegrationSpec{
			Provider: workspacesv1alpha1.ProviderTikTokShop, Account: workspacesv1alpha1.AccountRef{ID: w.TikTok.ShopID, Region: "DE"},
			Features:    []workspacesv1alpha1.Feature{{Name: workspacesv1alpha1.FeatureOrders}},
			Scopes:      realnode.Scopes(workspacesv1alpha1.ProviderTikTokShop, workspacesv1alpha1.FeatureOrders),
			Credentials: workspacesv1alpha1.CredentialsSpec{RemoteKey: "tiktok/main"},
		}}
	if err := w.C.Create(w.Ctx, intg); err != nil {
		return err
	}
	if err := realnode.Poll(2*time.Minute, func() (bool, string) {
		if err := w.C.Get(w.Ctx, client.ObjectKeyFromObject(intg), intg); err != nil {
			return false, err.Error()
		}
		return ready(intg.Status.Conditions)
	}); err != nil {
		return fmt.Errorf("waiting for the Integration to be Ready: %w", err)
	}
	show(w, "get", "integrations,externalsecrets,cronjobs", "-n", "tenant-acme")

	say("sync now: the CronJob's Job runs the worker image on the node, calls the platform over TLS, writes PostgreSQL")
	base := intg.DeepCopy()
	intg.Annotations = map[string]string{workspacesv1alpha1.SyncNowAnnotation: "1"}
	if err := w.C.Patch(w.Ctx, intg, client.MergeFrom(base)); err != nil {
		return err
	}
	if err := realnode.Poll(3*time.Minute, func() (bool, string) {
		n, err := w.Query("SELECT count(*) FROM tenant_acme.orders")
		if err != nil {
			return false, err.Error()
		}
		return n == 3, fmt.Sprintf("%d orders synced", n)
	}); err != nil {
		return fmt.Errorf("orders in PostgreSQL: %w", err)
	}
	show(w, "get", "jobs", "-n", "tenant-acme")
	if err := printOrders(); err != nil {
		return err
	}

	say("an Erasure for alice, filed by the privacy team: identifiers from stdin into a Secret, never in the request")
	fmt.Printf("$ workspace-operator request create --name erase-alice --tenant acme --type Erasure --jurisdiction GDPR -n %s < alice.yaml\n",
		realnode.OperatorNamespace)
	if err := operatorCommand(fmt.Sprintf("email: %s\nbuyer_ids: [\"TikTokShop:%s\"]\n", alice.Email, alice.UserID),
		"request", "create", "--name", "erase-alice", "--tenant", "acme", "--type", "Erasure", "--jurisdiction", "GDPR",
		"-n", realnode.OperatorNamespace); err != nil {
		return err
	}
	dr := &workspacesv1alpha1.DataRequest{ObjectMeta: metav1.ObjectMeta{Name: "erase-alice"}}
	if err := realnode.Poll(3*time.Minute, func() (bool, string) {
		if err := w.C.Get(w.Ctx, client.ObjectKeyFromObject(dr), dr); err != nil {
			return false, err.Error()
		}
		return dr.Status.Phase == workspacesv1alpha1.RequestPhaseCompleted, string(dr.Status.Phase)
	}); err != nil {
		return fmt.Errorf("waiting for the Erasure to complete: %w", err)
	}
	show(w, "get", "datarequest", "erase-alice")
	fmt.Println("$ workspace-operator request receipt erase-alice")
	if err := operatorCommand("", "request", "receipt", "erase-alice"); err != nil {
		return err
	}
	fmt.Printf("records found %d, erased %d, anonymized %d\n", dr.Status.Result.RecordsFound, dr.Status.Result.RecordsErased, dr.Status.Result.RecordsAnonymized)
	if err := printOrders(); err != nil {
		return err
	}

	say("the isolation audit (workspace-operator audit), as an SRE runs it")
	return operatorCommand("", "audit", "--tenant", "acme")
}

// operatorCommand runs the operator's binary (the privacy officer's and the SRE's commands) against the node's
// cluster ($KUBECONFIG), with stdin, its output shown.
func operatorCommand(stdin string, args ...string) error {
	cmd := exec.Command(os.Getenv("E2E_OPERATOR_BINARY"), args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("workspace-operator %s: %w", strings.Join(args[:min(2, len(args))], " "), err)
	}
	return nil
}

// printOrders shows the tenant's orders as the database holds them: an erased buyer's columns are empty.
func printOrders() error {
	out, err := exec.Command("psql", realnode.DatabaseDSN(), "-c",
		"SELECT external_id, status, buyer_name, buyer_email, ship_city FROM tenant_acme.orders ORDER BY external_id").CombinedOutput()
	fmt.Printf("$ psql -c 'SELECT … FROM tenant_acme.orders'\n%s", out)
	return err
}
