// Package config loads and validates the operator's configuration file (flag --config).
//
// The file is YAML. Every field has a default that works out of the box (see Default); a file sets only what it
// changes. Unknown fields and invalid values stop start-up with an error naming the field.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// Config is the operator's configuration.
type Config struct {
	// NamespacePrefix is prepended to a tenant's name to form its namespace.
	NamespacePrefix string `json:"namespacePrefix"`

	// AllowedRegions are the residency regions tenants may choose. Jobs of a tenant are pinned to nodes
	// labelled topology.kubernetes.io/region=<region>.
	AllowedRegions []string `json:"allowedRegions"`

	// DefaultRegion applies to tenants without spec.residency; empty leaves them unpinned.
	DefaultRegion string `json:"defaultRegion,omitempty"`

	// DefaultQuota is the ResourceQuota of tenants without spec.quota.
	DefaultQuota corev1.ResourceList `json:"defaultQuota"`

	// DefaultLimits are the LimitRange defaults of tenants without spec.limits.
	DefaultLimits Limits `json:"defaultLimits"`

	// Providers is the catalog of platforms: API hosts and, per feature, the scopes it needs and its schedule.
	Providers map[workspacesv1alpha1.Provider]Provider `json:"providers"`

	// SecretStore is the template of every tenant's SecretStore; absent, tenants get none and Integrations
	// stall until one is configured.
	SecretStore *SecretStoreTemplate `json:"secretStore,omitempty"`

	// EgressExceptCIDRs are the address ranges integration pods may never reach, even on HTTPS: private,
	// link-local and loopback ranges, and the cluster's pod and service ranges.
	EgressExceptCIDRs []string `json:"egressExceptCIDRs"`

	// JobEgress is what the operator's Jobs may reach besides their own namespace and DNS: every tenant
	// namespace is default-deny, so without it no Job reaches the database.
	JobEgress JobEgress `json:"jobEgress"`

	// Worker is the image the operator's Jobs run.
	Worker Worker `json:"worker"`

	// Jobs tunes every Job the operator creates.
	Jobs Jobs `json:"jobs"`

	// Privacy tunes data-subject requests and retention.
	Privacy Privacy `json:"privacy"`

	// TokenRefresh tunes the renewal of the platforms' access tokens.
	TokenRefresh TokenRefresh `json:"tokenRefresh"`
}

// Privacy tunes data-subject requests and retention.
type Privacy struct {
	// ExportNamespace is where Access exports are kept: the operator's own namespace, which no tenant role
	// reaches.
	ExportNamespace string `json:"exportNamespace"`
	// ExportTTL is how long an Access export is kept before it is deleted.
	ExportTTL metav1.Duration `json:"exportTTL"`
	// RetentionSchedule is when each tenant's retention CronJob runs (cron syntax, UTC).
	RetentionSchedule string `json:"retentionSchedule"`
}

// TokenRefresh tunes the renewal of the platforms' access tokens: each Integration's refresh CronJob runs on
// Schedule and renews the token when it expires within Before.
type TokenRefresh struct {
	// Schedule is when each Integration's token refresh CronJob runs (cron syntax, UTC).
	Schedule string `json:"schedule"`
	// Before is how long before its expiry an access token is renewed: well inside the platforms' lifetimes
	// (TikTok Shop's about a week), so that failed attempts are retried, and alerts reach a person, before
	// syncing stops.
	Before metav1.Duration `json:"before"`
}

// cronSchedule is the form of a schedule the CronJob controller accepts; the Integration's schedule field is
// checked by the same expression (CEL).
var cronSchedule = regexp.MustCompile(workspacesv1alpha1.CronSchedulePattern)

const scheduleHelp = "must be a cron schedule: five fields (minute hour day-of-month month day-of-week) within their ranges, or @hourly, @daily, @weekly, @monthly, @yearly"

// CheckSchedule says why a CronJob could not have schedule s, or nil: first the expression the API server's CEL
// rule applies to an Integration's schedule, then the parser the API server validates CronJobs with (robfig/cron,
// standard five fields), which also refuses what a pattern cannot see, such as a range that runs backwards (5-2).
func CheckSchedule(s string) error {
	if !cronSchedule.MatchString(s) {
		return errors.New(scheduleHelp)
	}
	if _, err := cron.ParseStandard(s); err != nil {
		return fmt.Errorf("a CronJob cannot run on it: %w", err)
	}
	return nil
}

// TenantPlaceholder in a SecretStore template is replaced by the tenant's name.
const TenantPlaceholder = "${TENANT}"

// SecretStoreTemplate stamps each tenant's SecretStore (external-secrets.io/v1).
type SecretStoreTemplate struct {
	// Name of the SecretStore in every tenant namespace.
	Name string `json:"name"`
	// RemoteKeyPrefix is the tenant's path in the secret backend; an Integration's credentials.remoteKey is
	// relative to it and may not leave it. Must contain ${TENANT}.
	RemoteKeyPrefix string `json:"remoteKeyPrefix"`
	// Spec is the SecretStore's spec. Must contain ${TENANT}, so each tenant's store is scoped to that tenant
	// (a Vault role, a path, …).
	Spec map[string]any `json:"spec"`
}

// Stamp returns the store's spec and remote key prefix for one tenant.
func (t *SecretStoreTemplate) Stamp(tenant string) (spec map[string]any, remoteKeyPrefix string) {
	return substitute(t.Spec, tenant).(map[string]any), strings.ReplaceAll(t.RemoteKeyPrefix, TenantPlaceholder, tenant)
}

// substitute returns a copy of v with the tenant placeholder replaced in every string.
func substitute(v any, tenant string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, vv := range x {
			out[k] = substitute(vv, tenant)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, vv := range x {
			out[i] = substitute(vv, tenant)
		}
		return out
	case string:
		return strings.ReplaceAll(x, TenantPlaceholder, tenant)
	default:
		return v
	}
}

// Limits are default container requests and limits.
type Limits struct {
	Default        corev1.ResourceList `json:"default,omitempty"`
	DefaultRequest corev1.ResourceList `json:"defaultRequest,omitempty"`
}

// JobEgress are NetworkPolicy egress rules (networking.k8s.io/v1 NetworkPolicyEgressRule: to and ports), each
// applied in every tenant namespace to the Pods of the Jobs that need it.
type JobEgress struct {
	// Database is where the tenants' PostgreSQL is, for every Job that touches tenant data (all of them).
	Database []networkingv1.NetworkPolicyEgressRule `json:"database,omitempty"`
	// APIServer is the Kubernetes API server, for the Jobs that write to it (Access exports). Empty: the
	// addresses and port of the `kubernetes` Service's endpoints, read by the operator at start-up.
	APIServer []networkingv1.NetworkPolicyEgressRule `json:"apiServer,omitempty"`
}

// Provider describes one platform in the catalog.
type Provider struct {
	// APIHosts are the host names the platform's API and token endpoints are served from. NetworkPolicies match
	// addresses, not names, so they do not limit egress by themselves: the operator writes them on each
	// Integration's egress NetworkPolicy (annotation workspaces.alitok.ai/api-hosts) for an FQDN-aware network
	// plugin or egress proxy to enforce.
	APIHosts []string `json:"apiHosts"`
	// APIBaseURL is the https:// origin sync and refresh Jobs call instead of the platform's own (a sandbox, an
	// egress proxy); empty: the platform's production API.
	APIBaseURL string `json:"apiBaseURL,omitempty"`
	// AuthBaseURL is the https:// origin of the platform's token endpoint where it differs from the API's (TikTok
	// Shop: auth.tiktok-shops.com), passed to refresh Jobs; empty: the platform's own.
	AuthBaseURL string `json:"authBaseURL,omitempty"`
	// Features maps each feature to what it needs.
	Features map[workspacesv1alpha1.FeatureName]Feature `json:"features"`
}

// Feature is what one feature of a provider needs.
type Feature struct {
	// Scopes are the platform permissions the feature needs.
	Scopes []string `json:"scopes"`
	// Schedule is the feature's default sync schedule (cron syntax).
	Schedule string `json:"schedule"`
}

// Worker names the image of the operator's Jobs.
type Worker struct {
	// Image is what the Jobs run; empty: the operator's own image (read from its Pod at start-up), so one
	// override of the Deployment's image (Helm image.tag, kustomize images:) changes both.
	Image           string            `json:"image"`
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy"`
}

// Jobs tunes every Job the operator creates.
type Jobs struct {
	// TTLSecondsAfterFinished is how long a finished Job is kept before the cluster deletes it.
	TTLSecondsAfterFinished int32 `json:"ttlSecondsAfterFinished"`
	// BackoffLimit is how many times a failed Job's Pod is retried.
	BackoffLimit int32 `json:"backoffLimit"`
}

// Default returns the configuration used when no file is given, and under any file.
func Default() *Config {
	q := resource.MustParse
	return &Config{
		NamespacePrefix: "tenant-",
		AllowedRegions:  []string{"eu-central-1", "eu-west-1", "us-east-1", "ap-southeast-1"},
		DefaultQuota: corev1.ResourceList{
			corev1.ResourceRequestsCPU:    q("4"),
			corev1.ResourceRequestsMemory: q("8Gi"),
			corev1.ResourceLimitsCPU:      q("8"),
			corev1.ResourceLimitsMemory:   q("16Gi"),
			corev1.ResourcePods:           q("50"),
			"count/jobs.batch":            q("100"),
			"count/cronjobs.batch":        q("20"),
			corev1.ResourceServices:       q("0"),
		},
		DefaultLimits: Limits{
			Default:        corev1.ResourceList{corev1.ResourceCPU: q("500m"), corev1.ResourceMemory: q("512Mi")},
			DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: q("100m"), corev1.ResourceMemory: q("128Mi")},
		},
		Providers: map[workspacesv1alpha1.Provider]Provider{
			workspacesv1alpha1.ProviderTikTokShop: {
				APIHosts: []string{"open-api.tiktokglobalshop.com", "auth.tiktok-shops.com"},
				Features: map[workspacesv1alpha1.FeatureName]Feature{
					workspacesv1alpha1.FeatureProducts:    {Scopes: []string{"seller.product.basic"}, Schedule: "0 */6 * * *"},
					workspacesv1alpha1.FeatureOrders:      {Scopes: []string{"seller.order.info"}, Schedule: "*/15 * * * *"},
					workspacesv1alpha1.FeatureFulfillment: {Scopes: []string{"seller.fulfillment.basic", "seller.logistics"}, Schedule: "*/30 * * * *"},
					workspacesv1alpha1.FeatureReturns:     {Scopes: []string{"seller.return_refund.basic"}, Schedule: "0 * * * *"},
				},
			},
			workspacesv1alpha1.ProviderAliExpress: {
				APIHosts: []string{"api-sg.aliexpress.com"},
				Features: map[workspacesv1alpha1.FeatureName]Feature{
					workspacesv1alpha1.FeatureProducts:    {Scopes: []string{"product.read"}, Schedule: "0 */6 * * *"},
					workspacesv1alpha1.FeatureOrders:      {Scopes: []string{"order.read"}, Schedule: "*/15 * * * *"},
					workspacesv1alpha1.FeatureFulfillment: {Scopes: []string{"logistics.read", "logistics.write"}, Schedule: "*/30 * * * *"},
					workspacesv1alpha1.FeatureReturns:     {Scopes: []string{"issue.read"}, Schedule: "0 * * * *"},
				},
			},
		},
		EgressExceptCIDRs: []string{
			"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", // private
			"100.64.0.0/10",  // carrier-grade NAT, often pod ranges
			"169.254.0.0/16", // link-local, cloud metadata services
			"127.0.0.0/8",    // loopback
		},
		Worker: Worker{ImagePullPolicy: corev1.PullIfNotPresent},
		Jobs:   Jobs{TTLSecondsAfterFinished: int32((7 * 24 * time.Hour).Seconds()), BackoffLimit: 3},
		Privacy: Privacy{
			ExportNamespace:   "workspace-operator-system",
			ExportTTL:         metav1.Duration{Duration: 7 * 24 * time.Hour},
			RetentionSchedule: "30 2 * * *",
		},
		TokenRefresh: TokenRefresh{Schedule: "17 */6 * * *", Before: metav1.Duration{Duration: 72 * time.Hour}},
	}
}

// Load reads the file at path over the defaults and validates the result. An empty path gives the defaults.
func Load(path string) (*Config, error) {
	cfg := Default()
	if path == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return Parse(data)
}

// Parse reads YAML over the defaults and validates the result. Maps given in the file (defaultQuota,
// providers, …) replace the default map whole, so the file says exactly what applies.
func Parse(data []byte) (*Config, error) {
	cfg := Default()
	if len(strings.TrimSpace(string(data))) > 0 {
		// Replace, not merge, the maps the file sets: a quota or catalog written out in the file is the whole truth.
		var present map[string]any
		if err := yaml.Unmarshal(data, &present); err != nil {
			return nil, fmt.Errorf("configuration is not valid YAML: %w", err)
		}
		for key := range present {
			switch key {
			case "defaultQuota":
				cfg.DefaultQuota = nil
			case "providers":
				cfg.Providers = nil
			case "defaultLimits":
				cfg.DefaultLimits = Limits{}
			case "allowedRegions":
				cfg.AllowedRegions = nil
			case "egressExceptCIDRs":
				cfg.EgressExceptCIDRs = nil
			}
		}
		if err := yaml.UnmarshalStrict(data, cfg); err != nil {
			return nil, fmt.Errorf("configuration: %w", err)
		}
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("invalid configuration: %w", errs.ToAggregate())
	}
	return cfg, nil
}

// MaxTenantNameLength is the longest Tenant name the CRD admits.
const MaxTenantNameLength = 56

// Validate checks every field and names each one that is wrong.
func (c *Config) Validate() field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("namespacePrefix")
	switch {
	case c.NamespacePrefix == "":
		errs = append(errs, field.Required(p, "the prefix of tenant namespaces, e.g. \"tenant-\""))
	case len(c.NamespacePrefix)+MaxTenantNameLength > validation.DNS1123LabelMaxLength:
		errs = append(errs, field.TooLong(p, c.NamespacePrefix, validation.DNS1123LabelMaxLength-MaxTenantNameLength))
	default:
		for _, msg := range validation.IsDNS1123Label(c.NamespacePrefix + "x") {
			errs = append(errs, field.Invalid(p, c.NamespacePrefix, "prefix plus a tenant name must be a DNS label: "+msg))
		}
	}

	p = field.NewPath("allowedRegions")
	if len(c.AllowedRegions) == 0 {
		errs = append(errs, field.Required(p, "list at least one region tenants may choose"))
	}
	for i, r := range c.AllowedRegions {
		for _, msg := range validation.IsDNS1123Label(r) {
			errs = append(errs, field.Invalid(p.Index(i), r, msg))
		}
	}
	if c.DefaultRegion != "" && !c.RegionAllowed(c.DefaultRegion) {
		errs = append(errs, field.NotSupported(field.NewPath("defaultRegion"), c.DefaultRegion, c.AllowedRegions))
	}

	errs = append(errs, validateResources(field.NewPath("defaultQuota"), c.DefaultQuota)...)
	errs = append(errs, validateResources(field.NewPath("defaultLimits", "default"), c.DefaultLimits.Default)...)
	errs = append(errs, validateResources(field.NewPath("defaultLimits", "defaultRequest"), c.DefaultLimits.DefaultRequest)...)

	p = field.NewPath("providers")
	known := make([]string, len(workspacesv1alpha1.Providers))
	for i, name := range workspacesv1alpha1.Providers {
		known[i] = string(name)
		if _, ok := c.Providers[name]; !ok {
			errs = append(errs, field.Required(p.Key(string(name)), "every provider needs a catalog entry"))
		}
	}
	for name, prov := range c.Providers {
		pp := p.Key(string(name))
		if !slices.Contains(workspacesv1alpha1.Providers, name) {
			errs = append(errs, field.NotSupported(pp, name, known))
			continue
		}
		if len(prov.APIHosts) == 0 {
			errs = append(errs, field.Required(pp.Child("apiHosts"), "the host names of the platform's API, for FQDN-aware egress enforcement"))
		}
		for i, h := range prov.APIHosts {
			for _, msg := range validation.IsDNS1123Subdomain(h) {
				errs = append(errs, field.Invalid(pp.Child("apiHosts").Index(i), h, msg))
			}
		}
		for _, o := range []struct{ name, origin string }{{"apiBaseURL", prov.APIBaseURL}, {"authBaseURL", prov.AuthBaseURL}} {
			name, origin := o.name, o.origin
			if origin == "" {
				continue
			}
			if u, err := url.Parse(origin); err != nil || u.Scheme != "https" || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil {
				errs = append(errs, field.Invalid(pp.Child(name), origin, "must be an https:// origin without path, query or credentials, such as https://sandbox.example.com"))
			}
		}
		for feat, f := range prov.Features {
			fp := pp.Child("features").Key(string(feat))
			if !slices.Contains(workspacesv1alpha1.Features, feat) {
				errs = append(errs, field.NotSupported(fp, feat, workspacesv1alpha1.Features))
			}
			if len(f.Scopes) == 0 {
				errs = append(errs, field.Required(fp.Child("scopes"), "the platform scopes the feature needs"))
			}
			if err := CheckSchedule(f.Schedule); err != nil {
				errs = append(errs, field.Invalid(fp.Child("schedule"), f.Schedule, err.Error()))
			}
		}
	}

	if st := c.SecretStore; st != nil {
		p := field.NewPath("secretStore")
		for _, msg := range validation.IsDNS1123Subdomain(st.Name) {
			errs = append(errs, field.Invalid(p.Child("name"), st.Name, msg))
		}
		if !strings.Contains(st.RemoteKeyPrefix, TenantPlaceholder) {
			errs = append(errs, field.Invalid(p.Child("remoteKeyPrefix"), st.RemoteKeyPrefix,
				"must contain "+TenantPlaceholder+", so each tenant's keys live under its own path"))
		}
		if _, ok := st.Spec["provider"]; !ok {
			errs = append(errs, field.Required(p.Child("spec", "provider"), "the SecretStore's provider"))
		}
		if raw, err := json.Marshal(st.Spec); err != nil {
			errs = append(errs, field.Invalid(p.Child("spec"), "", err.Error()))
		} else if !strings.Contains(string(raw), TenantPlaceholder) {
			errs = append(errs, field.Invalid(p.Child("spec"), "", "must contain "+TenantPlaceholder+
				" (in a path, role or similar), so a tenant's store can reach only that tenant's secrets"))
		}
	}
	errs = append(errs, validateEgress(field.NewPath("jobEgress", "database"), c.JobEgress.Database)...)
	errs = append(errs, validateEgress(field.NewPath("jobEgress", "apiServer"), c.JobEgress.APIServer)...)
	for i, cidr := range c.EgressExceptCIDRs {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			errs = append(errs, field.Invalid(field.NewPath("egressExceptCIDRs").Index(i), cidr, "must be a CIDR such as 10.0.0.0/8"))
		}
	}

	switch c.Worker.ImagePullPolicy {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		errs = append(errs, field.NotSupported(field.NewPath("worker", "imagePullPolicy"), c.Worker.ImagePullPolicy, []string{"Always", "IfNotPresent", "Never"}))
	}
	if c.Jobs.TTLSecondsAfterFinished < 0 {
		errs = append(errs, field.Invalid(field.NewPath("jobs", "ttlSecondsAfterFinished"), c.Jobs.TTLSecondsAfterFinished, "must not be negative"))
	}
	for _, msg := range validation.IsDNS1123Label(c.Privacy.ExportNamespace) {
		errs = append(errs, field.Invalid(field.NewPath("privacy", "exportNamespace"), c.Privacy.ExportNamespace, msg))
	}
	if c.Privacy.ExportTTL.Duration <= 0 {
		errs = append(errs, field.Invalid(field.NewPath("privacy", "exportTTL"), c.Privacy.ExportTTL.String(), "must be a positive duration such as 168h"))
	}
	if err := CheckSchedule(c.TokenRefresh.Schedule); err != nil {
		errs = append(errs, field.Invalid(field.NewPath("tokenRefresh", "schedule"), c.TokenRefresh.Schedule, err.Error()))
	}
	if c.TokenRefresh.Before.Duration <= 0 {
		errs = append(errs, field.Invalid(field.NewPath("tokenRefresh", "before"), c.TokenRefresh.Before.Duration.String(), "must be a positive duration, such as 72h"))
	}
	if err := CheckSchedule(c.Privacy.RetentionSchedule); err != nil {
		errs = append(errs, field.Invalid(field.NewPath("privacy", "retentionSchedule"), c.Privacy.RetentionSchedule, err.Error()))
	}
	if c.Jobs.BackoffLimit < 0 {
		errs = append(errs, field.Invalid(field.NewPath("jobs", "backoffLimit"), c.Jobs.BackoffLimit, "must not be negative"))
	}
	return errs
}

// validateEgress refuses rules a person would not mean: a rule without destinations allows every address.
func validateEgress(p *field.Path, rules []networkingv1.NetworkPolicyEgressRule) field.ErrorList {
	var errs field.ErrorList
	for i, rule := range rules {
		rp := p.Index(i)
		if len(rule.To) == 0 {
			errs = append(errs, field.Required(rp.Child("to"), "name the destination (ipBlock, or namespaceSelector/podSelector): a rule without one allows every address"))
		}
		if len(rule.Ports) == 0 {
			errs = append(errs, field.Required(rp.Child("ports"), "name the port(s), such as {protocol: TCP, port: 5432}"))
		}
		for j, peer := range rule.To {
			pp := rp.Child("to").Index(j)
			if b := peer.IPBlock; b != nil {
				_, ipnet, err := net.ParseCIDR(b.CIDR)
				switch {
				case err != nil:
					errs = append(errs, field.Invalid(pp.Child("ipBlock", "cidr"), b.CIDR, "must be a CIDR such as 10.0.0.5/32"))
				case isEverywhere(ipnet):
					errs = append(errs, field.Invalid(pp.Child("ipBlock", "cidr"), b.CIDR, "allows every address: name the database's or API server's own addresses"))
				}
			}
			if ns := peer.NamespaceSelector; ns != nil && len(ns.MatchLabels) == 0 && len(ns.MatchExpressions) == 0 {
				errs = append(errs, field.Invalid(pp.Child("namespaceSelector"), "{}", "selects every namespace, other tenants' included: name the database's namespace (e.g. matchLabels kubernetes.io/metadata.name)"))
			}
		}
	}
	return errs
}

// isEverywhere reports whether a CIDR covers every address of its family (0.0.0.0/0, ::/0).
func isEverywhere(n *net.IPNet) bool {
	ones, _ := n.Mask.Size()
	return ones == 0
}

func validateResources(p *field.Path, rl corev1.ResourceList) field.ErrorList {
	var errs field.ErrorList
	for name, qty := range rl {
		if qty.Sign() < 0 {
			errs = append(errs, field.Invalid(p.Key(string(name)), qty.String(), "must not be negative"))
		}
	}
	return errs
}

// RegionAllowed reports whether tenants may choose region.
func (c *Config) RegionAllowed(region string) bool {
	return slices.Contains(c.AllowedRegions, region)
}
