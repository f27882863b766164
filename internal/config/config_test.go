package config

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestDefaultsAreValid(t *testing.T) {
	if errs := Default().Validate(); len(errs) > 0 {
		t.Fatalf("the built-in defaults are invalid: %v", errs)
	}
	cfg, err := Parse(nil)
	if err != nil || cfg.NamespacePrefix != "tenant-" {
		t.Fatalf("empty file: %+v, %v", cfg, err)
	}
}

func TestShippedConfigFilesLoad(t *testing.T) {
	for _, path := range []string{"../../config/manager/config.yaml", "../../config/local/config.yaml"} {
		if _, err := Load(path); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

func TestBadConfigurationNamesTheField(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown field", "namespacePrefx: x-", `unknown field "namespacePrefx"`},
		{"prefix too long", "namespacePrefix: workspace-tenant-", "namespacePrefix: Too long"},
		{"prefix not a label", "namespacePrefix: Tenant_", "namespacePrefix: Invalid value"},
		{"default region not allowed", "defaultRegion: mars-1", `defaultRegion: Unsupported value: "mars-1"`},
		{"no regions", "allowedRegions: []", "allowedRegions: Required value"},
		{"bad region", "allowedRegions: [EU_1]", "allowedRegions[0]: Invalid value"},
		{"negative quota", "defaultQuota: {pods: \"-1\"}", "defaultQuota[pods]: Invalid value"},
		{"bad pull policy", "worker: {image: x, imagePullPolicy: Sometimes}", `worker.imagePullPolicy: Unsupported value: "Sometimes"`},
		{"provider missing", "providers: {TikTokShop: {apiHosts: [a.example], features: {}}}", "providers[AliExpress]: Required value"},
		{"bad schedule", "providers: {TikTokShop: {apiHosts: [a.example], features: {orders: {scopes: [s], schedule: \"@often\"}}}, AliExpress: {apiHosts: [b.example]}}", "providers[TikTokShop].features[orders].schedule: Invalid value"},
		{"backwards range in a schedule", "privacy: {retentionSchedule: \"5-2 3 * * *\"}", `privacy.retentionSchedule: Invalid value: "5-2 3 * * *": a CronJob cannot run on it: beginning of range (5) beyond end of range (2)`},
		{"not YAML", "namespacePrefix: [", "not valid YAML"},
		{"job egress to everywhere", "jobEgress: {database: [{ports: [{port: 5432}]}]}", "jobEgress.database[0].to: Required value"},
		{"job egress without port", "jobEgress: {database: [{to: [{ipBlock: {cidr: 10.0.0.5/32}}]}]}", "jobEgress.database[0].ports: Required value"},
		{"job egress to every address", "jobEgress: {database: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 5432}]}]}", "jobEgress.database[0].to[0].ipBlock.cidr: Invalid value: \"0.0.0.0/0\": allows every address"},
		{"job egress to every namespace", "jobEgress: {database: [{to: [{namespaceSelector: {}, podSelector: {matchLabels: {app: pg}}}], ports: [{port: 5432}]}]}", "jobEgress.database[0].to[0].namespaceSelector: Invalid value"},
		{"job egress bad CIDR", "jobEgress: {apiServer: [{to: [{ipBlock: {cidr: 10.0.0.5}}], ports: [{port: 6443}]}]}", "jobEgress.apiServer[0].to[0].ipBlock.cidr: Invalid value"},
		{"plain-HTTP API base URL", "providers: {TikTokShop: {apiHosts: [a.example], apiBaseURL: \"http://a.example\"}, AliExpress: {apiHosts: [b.example]}}", "providers[TikTokShop].apiBaseURL: Invalid value"},
		{"API base URL with a path", "providers: {TikTokShop: {apiHosts: [a.example], apiBaseURL: \"https://a.example/api\"}, AliExpress: {apiHosts: [b.example]}}", "providers[TikTokShop].apiBaseURL: Invalid value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestMapsInTheFileReplaceTheDefaults(t *testing.T) {
	cfg, err := Parse([]byte("defaultQuota: {pods: \"3\"}\nallowedRegions: [eu-north-1]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.DefaultQuota) != 1 || cfg.DefaultQuota.Pods().Value() != 3 {
		t.Errorf("defaultQuota = %v, want only pods: 3", cfg.DefaultQuota)
	}
	if len(cfg.AllowedRegions) != 1 || !cfg.RegionAllowed("eu-north-1") || cfg.RegionAllowed("eu-west-1") {
		t.Errorf("allowedRegions = %v", cfg.AllowedRegions)
	}
	if _, ok := cfg.DefaultLimits.Default[corev1.ResourceCPU]; !ok {
		t.Error("fields the file leaves out lost their defaults")
	}
}

func TestSecretStoreTemplateIsScopedPerTenant(t *testing.T) {
	cfg, err := Parse([]byte(`
secretStore:
  name: tenant-secrets
  remoteKeyPrefix: tenants/${TENANT}/
  spec:
    provider:
      vault: {server: "https://vault.example", path: secret, auth: {kubernetes: {role: "tenant-${TENANT}", mountPath: kubernetes}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	spec, prefix := cfg.SecretStore.Stamp("acme")
	if prefix != "tenants/acme/" {
		t.Errorf("prefix = %q", prefix)
	}
	role := spec["provider"].(map[string]any)["vault"].(map[string]any)["auth"].(map[string]any)["kubernetes"].(map[string]any)["role"]
	if role != "tenant-acme" {
		t.Errorf("role = %v, want tenant-acme", role)
	}
	if strings.Contains(cfg.SecretStore.Spec["provider"].(map[string]any)["vault"].(map[string]any)["auth"].(map[string]any)["kubernetes"].(map[string]any)["role"].(string), "acme") {
		t.Error("stamping changed the template")
	}

	for _, bad := range []struct{ yaml, want string }{
		{"secretStore: {name: s, remoteKeyPrefix: shared/, spec: {provider: {fake: {data: []}}, x: '${TENANT}'}}", "secretStore.remoteKeyPrefix: Invalid value"},
		{"secretStore: {name: s, remoteKeyPrefix: 't/${TENANT}/', spec: {provider: {fake: {data: []}}}}", "secretStore.spec: Invalid value"},
		{"secretStore: {name: s, remoteKeyPrefix: 't/${TENANT}/', spec: {x: '${TENANT}'}}", "secretStore.spec.provider: Required value"},
		{"egressExceptCIDRs: [10.0.0.0]", "egressExceptCIDRs[0]: Invalid value"},
	} {
		if _, err := Parse([]byte(bad.yaml)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: error = %v, want %q", bad.yaml, err, bad.want)
		}
	}
}
