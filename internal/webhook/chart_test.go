package webhook

import (
	"bytes"
	"errors"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"

	"github.com/alitok/workspace-operator/internal/logging"
	"github.com/alitok/workspace-operator/internal/testenv"
)

const (
	chartRelease   = "workspace-operator"
	chartNamespace = "workspace-operator-system"
	// webhookName is what the chart names the receiver's objects for the release above.
	webhookName = "workspace-operator-webhook"
)

// webhookValues turn the receiver on as hack/helm-check.sh does, with the API server's address given.
var webhookValues = []string{
	"--set", "webhook.enabled=true",
	"--set", "webhook.tiktokShop.appCredentialsSecret=tiktokshop-app",
	"--set-json", `webhook.networkPolicy.apiServer=[{"to":[{"ipBlock":{"cidr":"10.0.0.1/32"}}],"ports":[{"protocol":"TCP","port":6443}]}]`,
}

// renderChart runs helm template on the chart as hack/helm-check.sh does, with extra helm arguments.
func renderChart(t *testing.T, args ...string) ([]*unstructured.Unstructured, error) {
	t.Helper()
	out, err := testenv.HelmTemplate(chartRelease, chartNamespace, args...)
	if err != nil {
		if _, noHelm := testenv.Helm(); noHelm != nil {
			t.Fatal(noHelm)
		}
		return nil, err
	}
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			t.Fatal(err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

// rendered finds one rendered object and converts it to its typed form.
func rendered[T any, PT interface {
	*T
	runtime.Object
}](t *testing.T, objs []*unstructured.Unstructured, kind, name string) PT {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			out := PT(new(T))
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, out); err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	t.Fatalf("the chart renders no %s %s", kind, name)
	return nil
}

func TestChartWebhookIsOffByDefault(t *testing.T) {
	objs, err := renderChart(t)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if strings.Contains(o.GetName(), "webhook") {
			t.Errorf("the default install renders %s %s", o.GetKind(), o.GetName())
		}
	}
}

func TestChartWebhookRefusesToRenderWithoutWhatItNeeds(t *testing.T) {
	if _, err := renderChart(t, "--set", "webhook.enabled=true", "--set", "webhook.networkPolicy.enabled=false"); err == nil ||
		!strings.Contains(err.Error(), "webhook.tiktokShop.appCredentialsSecret is required") {
		t.Errorf("without the credentials Secret: %v", err)
	}
	if _, err := renderChart(t, "--set", "webhook.enabled=true", "--set", "webhook.tiktokShop.appCredentialsSecret=s"); err == nil ||
		!strings.Contains(err.Error(), "set it to egress rules") {
		t.Errorf("where the API server's address cannot be looked up: %v", err)
	}
}

func TestChartWebhookMayOnlyReadAndAnnotateIntegrations(t *testing.T) {
	objs, err := renderChart(t, webhookValues...)
	if err != nil {
		t.Fatal(err)
	}
	role := rendered[rbacv1.ClusterRole](t, objs, "ClusterRole", webhookName)
	want := []rbacv1.PolicyRule{{APIGroups: []string{"workspaces.alitok.ai"}, Resources: []string{"integrations"}, Verbs: []string{"get", "list", "watch", "patch"}}}
	if !equality.Semantic.DeepEqual(role.Rules, want) {
		t.Errorf("ClusterRole %s rules = %+v, want only %+v", webhookName, role.Rules, want)
	}
	binding := rendered[rbacv1.ClusterRoleBinding](t, objs, "ClusterRoleBinding", webhookName)
	if binding.RoleRef.Name != webhookName || len(binding.Subjects) != 1 ||
		binding.Subjects[0] != (rbacv1.Subject{Kind: "ServiceAccount", Name: webhookName, Namespace: chartNamespace}) {
		t.Errorf("ClusterRoleBinding binds %+v to %+v, want the ServiceAccount %s only", binding.RoleRef, binding.Subjects, webhookName)
	}
	deploy := rendered[appsv1.Deployment](t, objs, "Deployment", webhookName)
	if deploy.Spec.Template.Spec.ServiceAccountName != webhookName {
		t.Errorf("the receiver runs as %q, want its own ServiceAccount", deploy.Spec.Template.Spec.ServiceAccountName)
	}
}

func TestChartWebhookDeploymentRunsTheSubcommandItsFlagsDescribe(t *testing.T) {
	objs, err := renderChart(t, append(slices.Clone(webhookValues), "--set", "webhook.extraArgs={--log-level=debug}")...)
	if err != nil {
		t.Fatal(err)
	}
	deploy := rendered[appsv1.Deployment](t, objs, "Deployment", webhookName)
	pod := deploy.Spec.Template.Spec
	operator := rendered[appsv1.Deployment](t, objs, "Deployment", chartRelease)
	if len(pod.Containers) != 1 || pod.Containers[0].Image != operator.Spec.Template.Spec.Containers[0].Image {
		t.Fatalf("want one container running the operator's image, got %+v", pod.Containers)
	}
	c := pod.Containers[0]
	if len(c.Args) == 0 || c.Args[0] != "webhook" {
		t.Fatalf("args = %v, want the webhook subcommand first", c.Args)
	}
	fs := pflag.NewFlagSet("webhook", pflag.ContinueOnError)
	var f Flags
	f.Bind(fs)
	(&logging.Flags{}).Bind(fs)
	if err := fs.Parse(c.Args[1:]); err != nil {
		t.Fatalf("the subcommand refuses the chart's arguments %v: %v", c.Args[1:], err)
	}
	if fs.NArg() > 0 {
		t.Fatalf("the subcommand refuses positional arguments, got %v", fs.Args())
	}
	if err := f.Check(); err != nil {
		t.Fatal(err)
	}

	// The credential files are the two keys of the Secret, mounted read-only.
	var mount *corev1.VolumeMount
	for i := range c.VolumeMounts {
		if strings.HasPrefix(f.TikTokShopAppKeyFile, c.VolumeMounts[i].MountPath+"/") {
			mount = &c.VolumeMounts[i]
		}
	}
	if mount == nil || !mount.ReadOnly || filepath.Dir(f.TikTokShopAppSecFile) != mount.MountPath {
		t.Fatalf("the credential files %s and %s are not on one read-only mount: %+v", f.TikTokShopAppKeyFile, f.TikTokShopAppSecFile, c.VolumeMounts)
	}
	var secret *corev1.SecretVolumeSource
	for _, v := range pod.Volumes {
		if v.Name == mount.Name {
			secret = v.Secret
		}
	}
	if secret == nil || secret.SecretName != "tiktokshop-app" {
		t.Fatalf("the credentials mount is not the Secret tiktokshop-app: %+v", pod.Volumes)
	}
	items := map[string]string{}
	for _, it := range secret.Items {
		items[it.Path] = it.Key
	}
	if items[filepath.Base(f.TikTokShopAppKeyFile)] != "app_key" || items[filepath.Base(f.TikTokShopAppSecFile)] != "app_secret" {
		t.Errorf("the files are not the Secret's app_key and app_secret: %+v", secret.Items)
	}

	// Restricted: non-root 65532, read-only root, no capabilities, no privilege escalation.
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || !ptr.Deref(psc.RunAsNonRoot, false) || ptr.Deref(psc.RunAsUser, 0) != 65532 || sc == nil ||
		!ptr.Deref(sc.ReadOnlyRootFilesystem, false) || ptr.Deref(sc.AllowPrivilegeEscalation, true) ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("the receiver is not restricted: pod %+v, container %+v", psc, sc)
	}
	if c.Resources.Limits.Memory().IsZero() || c.LivenessProbe == nil || c.ReadinessProbe == nil {
		t.Errorf("want a memory limit and both probes: %+v", c)
	}

	// The Service reaches the port --listen binds, and the webhook's port is not the probes' or the metrics'.
	_, listenPort, _ := net.SplitHostPort(f.Listen)
	svc := rendered[corev1.Service](t, objs, "Service", webhookName)
	if svc.Spec.Type != corev1.ServiceTypeClusterIP || len(svc.Spec.Ports) != 1 {
		t.Fatalf("Service %s: %+v", webhookName, svc.Spec)
	}
	target := svc.Spec.Ports[0].TargetPort
	var targetPort int32
	for _, p := range c.Ports {
		if target == intstr.FromString(p.Name) {
			targetPort = p.ContainerPort
		}
	}
	if strconv.Itoa(int(targetPort)) != listenPort {
		t.Errorf("the Service targets %s (container port %d), the receiver listens on %s", target.String(), targetPort, f.Listen)
	}
	for _, addr := range []string{f.HealthProbeBindAddress, f.MetricsBindAddress} {
		if _, p, _ := net.SplitHostPort(addr); p == listenPort {
			t.Errorf("%s shares the webhook's port, which the Ingress exposes", addr)
		}
	}
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(deploy.Spec.Template.Labels)) {
		t.Errorf("the Service does not select the receiver's Pods")
	}
	// Neither the operator's Deployment nor its metrics Service may select the receiver's Pods.
	if labels.SelectorFromSet(operator.Spec.Selector.MatchLabels).Matches(labels.Set(deploy.Spec.Template.Labels)) {
		t.Errorf("the operator's Deployment selector %v selects the receiver's Pods", operator.Spec.Selector.MatchLabels)
	}
}

func TestChartWebhookNetworkPolicyAllowsTheWebhookInAndTheAPIServerOut(t *testing.T) {
	objs, err := renderChart(t, append(slices.Clone(webhookValues), "--set-json",
		`webhook.networkPolicy.ingressFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ingress-nginx"}}}]`)...)
	if err != nil {
		t.Fatal(err)
	}
	np := rendered[networkingv1.NetworkPolicy](t, objs, "NetworkPolicy", webhookName)
	deploy := rendered[appsv1.Deployment](t, objs, "Deployment", webhookName)
	sel := labels.SelectorFromSet(np.Spec.PodSelector.MatchLabels)
	if !sel.Matches(labels.Set(deploy.Spec.Template.Labels)) {
		t.Fatalf("the NetworkPolicy does not select the receiver's Pods")
	}
	if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}) {
		t.Errorf("policyTypes = %v, want both", np.Spec.PolicyTypes)
	}
	wantEgress := []networkingv1.NetworkPolicyEgressRule{{
		To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.1/32"}}},
		Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(6443))}},
	}}
	if !equality.Semantic.DeepEqual(np.Spec.Egress, wantEgress) {
		t.Errorf("egress = %+v, want the API server only", np.Spec.Egress)
	}
	if len(np.Spec.Ingress) != 2 {
		t.Fatalf("ingress = %+v, want the webhook's and the metrics' rules", np.Spec.Ingress)
	}
	webhookRule := np.Spec.Ingress[0]
	if len(webhookRule.Ports) != 1 || *webhookRule.Ports[0].Port != intstr.FromString("webhook") ||
		len(webhookRule.From) != 1 || webhookRule.From[0].NamespaceSelector == nil {
		t.Errorf("the webhook's ingress rule = %+v, want port webhook from the Ingress controller's namespace", webhookRule)
	}
	if metrics := np.Spec.Ingress[1]; len(metrics.Ports) != 1 || *metrics.Ports[0].Port != intstr.FromString("metrics") {
		t.Errorf("the second ingress rule = %+v, want the metrics port", metrics)
	}
}
